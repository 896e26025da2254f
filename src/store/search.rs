//! Search and facet counts over the index (the query language is in `crate::search`).

use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;

use super::Store;
use super::queries::SUMMARY_COLUMNS;
use crate::error::Result;
use crate::search::{self, FacetCount, Facets, SearchHit, SearchQuery, SearchResults};

/// Up to this many matches are counted and ranked by relevance; beyond, the newest first.
const RANKED_MAX: u64 = 1000;
/// Values listed per open-ended facet (places, tags, interviewers).
const FACET_VALUES: u64 = 50;

/// The matching testimonies as a FROM/WHERE clause over `t`, and its parameters.
struct Matched {
    text: bool,
    from_where: String,
    params: Vec<SqlValue>,
}

fn matched(query: &SearchQuery) -> Result<Option<Matched>> {
    let parsed = search::Parsed::new(&query.text);
    let text = !parsed.is_empty();
    let mut params: Vec<SqlValue> = Vec::new();
    let mut conds = Vec::new();
    let from = if text {
        params.push(parsed.fts().into());
        conds.push("search MATCH ?1".to_string());
        "search JOIN testimonies t ON t.rowid = search.rowid"
    } else if !query.text.trim().is_empty() {
        // Only punctuation was typed: nothing can match it.
        return Ok(None);
    } else {
        "testimonies t"
    };
    let (filters, fparams) = query.filters.sql(params.len() + 1)?;
    conds.extend(filters);
    params.extend(fparams);
    let where_ = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    Ok(Some(Matched {
        text,
        from_where: format!("{from}{where_}"),
        params,
    }))
}

impl Store {
    /// Live testimonies that match a query, best match first, each with a snippet.
    pub(crate) fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let Some(m) = matched(query)? else {
            return Ok(SearchResults {
                total: 0,
                more: false,
                hits: vec![],
            });
        };
        // Ranking by relevance (bm25) scores every match, which for a word in most of
        // 100k testimonies takes far longer than a search may; so matches are counted up
        // to a cap first, and beyond it the newest come first (FTS5 walks its rowids
        // backwards and stops after `limit`).
        let mut params = m.params.clone();
        params.push(((RANKED_MAX + 1) as i64).into());
        let counted: u64 = self.conn().query_row(
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM {} LIMIT ?{})",
                m.from_where,
                params.len()
            ),
            params_from_iter(&params),
            |r| r.get(0),
        )?;
        let more = counted > RANKED_MAX;
        let order = match (m.text, more) {
            (true, false) => "rank",
            (true, true) => "search.rowid DESC",
            (false, _) => "t.date_lo IS NULL, t.date_lo DESC, t.code",
        };
        let mut params = m.params;
        params.push((query.limit.min(i64::MAX as usize) as i64).into());
        let found = self.summaries(
            &format!(
                "SELECT {SUMMARY_COLUMNS} FROM {} ORDER BY {order} LIMIT ?{}",
                m.from_where,
                params.len()
            ),
            params_from_iter(&params),
        )?;
        let parsed = search::Parsed::new(&query.text);
        let mut hits = Vec::with_capacity(found.len());
        for testimony in found {
            let (field, snippet) = if m.text {
                let state = self.testimony(testimony.id)?.testimony;
                search::snippet::best(&search::fields(&state), &parsed)
            } else {
                (String::new(), vec![])
            };
            hits.push(SearchHit {
                testimony,
                field,
                snippet,
            });
        }
        Ok(SearchResults {
            total: counted.min(RANKED_MAX),
            more,
            hits,
        })
    }

    /// How many of the testimonies a query matches have each value of each facet.
    pub(crate) fn facets(&self, query: &SearchQuery) -> Result<Facets> {
        let Some(m) = matched(query)? else {
            return Ok(Facets::default());
        };
        let with = format!(
            "WITH m AS (SELECT t.id, t.status, t.interviewer, t.interview_date FROM {})",
            m.from_where
        );
        let count = |select: &str| -> Result<Vec<FacetCount>> {
            let mut stmt = self.conn().prepare(&format!("{with} {select}"))?;
            let rows = stmt.query_map(params_from_iter(&m.params), |r| {
                Ok(FacetCount {
                    value: r.get(0)?,
                    count: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let total = count("SELECT '', count(*) FROM m")?
            .first()
            .map_or(0, |c| c.count);
        Ok(Facets {
            total,
            statuses: count("SELECT status, count(*) FROM m GROUP BY status ORDER BY 2 DESC, 1")?,
            event_kinds: count(
                "SELECT e.kind, count(DISTINCT m.id) FROM m JOIN events e ON e.testimony_id = m.id
                 GROUP BY e.kind ORDER BY 2 DESC, 1",
            )?,
            places: count(&format!(
                "SELECT min(p.name), count(DISTINCT m.id) FROM m
                 JOIN event_places p ON p.testimony_id = m.id
                 GROUP BY p.norm ORDER BY 2 DESC, 1 LIMIT {FACET_VALUES}"
            ))?,
            tags: count(&format!(
                "SELECT g.tag, count(*) FROM m JOIN tags g ON g.testimony_id = m.id
                 GROUP BY g.tag ORDER BY 2 DESC, 1 LIMIT {FACET_VALUES}"
            ))?,
            consents: count(
                "SELECT c.scope, count(*) FROM m JOIN consent_granted c ON c.testimony_id = m.id
                 GROUP BY c.scope ORDER BY 2 DESC, 1",
            )?,
            interviewers: count(&format!(
                "SELECT interviewer, count(*) FROM m WHERE interviewer IS NOT NULL
                 GROUP BY interviewer ORDER BY 2 DESC, 1 LIMIT {FACET_VALUES}"
            ))?,
            years: count(
                "SELECT substr(interview_date, 1, 4), count(*) FROM m
                 WHERE interview_date GLOB '[0-9][0-9][0-9][0-9]*'
                 GROUP BY 1 ORDER BY 1 DESC",
            )?,
        })
    }
}

impl Store {
    /// Every term the search index holds, one per line (`forensics`: what an index that was
    /// meant to forget still knows).
    pub(crate) fn search_terms(&self) -> Result<Vec<u8>> {
        self.conn().execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab
                 USING fts5vocab(main, search, row);",
        )?;
        let mut stmt = self.conn().prepare("SELECT term FROM temp.search_vocab")?;
        let mut out = Vec::new();
        for term in stmt.query_map([], |r| r.get::<_, String>(0))? {
            out.extend_from_slice(term?.as_bytes());
            out.push(b'\n');
        }
        Ok(out)
    }
}
