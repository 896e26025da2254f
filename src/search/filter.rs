//! Filters on a search, as SQL over the derived tables: dates by their EDTF bounds (an
//! event "in 2018" is one whose possible days meet 2018: "spring 2018", "2017/2019"), a
//! place with everything below it, event kinds, statuses, tags, consent scopes, the
//! interviewer. Within one filter any value may match; every filter given must.

use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

use crate::edtf::Edtf;
use crate::error::{Error, Result};
use crate::model::vocab::{ConsentScope, EventKind, Status};

use super::{fold, snippet::plain};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(default, deny_unknown_fields)]
pub struct Filters {
    /// EDTF (`2018`, `2019-03/2019-06`, `2019/..`): interviews that may fall in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interview: Option<String>,
    /// EDTF: testimonies with an event that may fall in it (of `event_kinds`, at `place`,
    /// when those are given too: the same event must match all three).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_kinds: Vec<EventKind>,
    /// A place's name in any script: events there or anywhere below it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Consent scopes every current consent of the testimony grants.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<ConsentScope>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interviewer: Option<String>,
}

const MIN: i64 = i64::MIN;
const MAX: i64 = i64::MAX;

/// The days an EDTF value may mean; an open end is unbounded.
fn bounds(field: &str, text: &str) -> Result<(i64, i64)> {
    let e = Edtf::parse(text.trim())
        .map_err(|e| Error::invalid(field, format!("is not a date: {e}")))?;
    Ok((e.lower().unwrap_or(MIN), e.upper().unwrap_or(MAX)))
}

fn placeholders(n: usize, start: usize) -> String {
    (start..start + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A name as places are compared: lower case without diacritics, words single-spaced.
pub(crate) fn place_norm(name: &str) -> String {
    plain(name).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The strict keys of a place name's words, space-separated.
pub(crate) fn place_key(name: &str) -> String {
    fold::fold_words(name).join(" ")
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// SQL conditions on `t` (the `testimonies` row) and their parameters, numbered from
    /// `first`. Refuses a date that is not EDTF.
    pub(crate) fn sql(&self, first: usize) -> Result<(Vec<String>, Vec<SqlValue>)> {
        let mut conds = Vec::new();
        let mut params: Vec<SqlValue> = Vec::new();
        let next = |params: &mut Vec<SqlValue>, v: SqlValue| {
            params.push(v);
            format!("?{}", first + params.len() - 1)
        };
        if let Some(d) = &self.interview {
            let (lo, hi) = bounds("interview", d)?;
            let (lo, hi) = (next(&mut params, lo.into()), next(&mut params, hi.into()));
            conds.push(format!(
                "(t.interview_date IS NOT NULL AND coalesce(t.date_hi, {MAX}) >= {lo}
                  AND coalesce(t.date_lo, {MIN}) <= {hi})"
            ));
        }
        let mut event = Vec::new();
        if let Some(d) = &self.event {
            let (lo, hi) = bounds("event", d)?;
            let (lo, hi) = (next(&mut params, lo.into()), next(&mut params, hi.into()));
            // The event runs from its start's lower bound to its end's upper bound. A date
            // whose bound is open (`../2017`, `2019/..`) or unknown (`/2017`) sets no limit
            // on that side; an event known by one date only runs within that date; an event
            // with no date at all is not "in" any range.
            event.push(format!(
                "(e.start_text IS NOT NULL OR e.end_text IS NOT NULL)
                 AND (CASE WHEN e.end_text IS NOT NULL THEN coalesce(e.end_hi, {MAX})
                      ELSE coalesce(e.start_hi, {MAX}) END) >= {lo}
                 AND (CASE WHEN e.start_text IS NOT NULL THEN coalesce(e.start_lo, {MIN})
                      ELSE coalesce(e.end_lo, {MIN}) END) <= {hi}"
            ));
        }
        if !self.event_kinds.is_empty() {
            let list = placeholders(self.event_kinds.len(), first + params.len());
            params.extend(
                self.event_kinds
                    .iter()
                    .map(|k| SqlValue::from(k.as_str().to_string())),
            );
            event.push(format!("e.kind IN ({list})"));
        }
        if let Some(place) = self
            .place
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let norm = next(&mut params, place_norm(place).into());
            let key = next(&mut params, place_key(place).into());
            event.push(format!(
                "EXISTS (SELECT 1 FROM event_places p WHERE p.testimony_id = e.testimony_id
                     AND p.event_id = e.id AND (p.norm = {norm} OR p.key = {key}))"
            ));
        }
        if !event.is_empty() {
            conds.push(format!(
                "EXISTS (SELECT 1 FROM events e WHERE e.testimony_id = t.id AND {})",
                event.join(" AND ")
            ));
        }
        if !self.statuses.is_empty() {
            let list = placeholders(self.statuses.len(), first + params.len());
            params.extend(
                self.statuses
                    .iter()
                    .map(|s| SqlValue::from(s.as_str().to_string())),
            );
            conds.push(format!("t.status IN ({list})"));
        }
        if !self.tags.is_empty() {
            let list = placeholders(self.tags.len(), first + params.len());
            params.extend(self.tags.iter().map(|s| SqlValue::from(s.clone())));
            conds.push(format!(
                "EXISTS (SELECT 1 FROM tags g WHERE g.testimony_id = t.id AND g.tag IN ({list}))"
            ));
        }
        if !self.consents.is_empty() {
            let list = placeholders(self.consents.len(), first + params.len());
            params.extend(
                self.consents
                    .iter()
                    .map(|s| SqlValue::from(s.as_str().to_string())),
            );
            conds.push(format!(
                "EXISTS (SELECT 1 FROM consent_granted c WHERE c.testimony_id = t.id
                     AND c.scope IN ({list}))"
            ));
        }
        if let Some(who) = self.interviewer.as_deref().filter(|w| !w.trim().is_empty()) {
            let who = next(&mut params, who.trim().to_string().into());
            conds.push(format!("t.interviewer = {who}"));
        }
        Ok((conds, params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_filter_is_no_condition_and_a_bad_date_is_refused() -> Result<()> {
        assert_eq!(Filters::default().sql(1)?, (vec![], vec![]));
        let bad = Filters {
            event: Some("last spring".into()),
            ..Filters::default()
        };
        assert_eq!(bad.sql(1).err().map(|e| e.code()), Some("invalid_input"));
        Ok(())
    }

    #[test]
    fn parameters_are_numbered_after_the_query_s_own() -> Result<()> {
        let f = Filters {
            event: Some("2018".into()),
            event_kinds: vec![EventKind::Detention],
            statuses: vec![Status::Draft, Status::Reviewed],
            ..Filters::default()
        };
        let (conds, params) = f.sql(3)?;
        assert_eq!(params.len(), 5);
        let sql = conds.join(" AND ");
        for i in 3..8 {
            assert!(sql.contains(&format!("?{i}")), "{sql}");
        }
        assert!(!sql.contains("?8") && !sql.contains("?2"), "{sql}");
        Ok(())
    }
}
