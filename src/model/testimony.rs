//! The testimony record and its parts, as serde types. Unknown fields are refused so that a
//! typo in hand-written JSON is an error, not silently lost data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::vocab::*;
use crate::edtf::Edtf;
use crate::error::{Error, Result};

fn is_false(b: &bool) -> bool {
    !*b
}

/// One interview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Testimony {
    /// Human-readable code, e.g. `ALA-2025-0412`; unique among live testimonies.
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interviewer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// The day (or a partial date) of the interview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interview_date: Option<Edtf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub started_at: Option<jiff::Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub ended_at: Option<jiff::Timestamp>,
    /// IANA zone of the interviewer, e.g. `Asia/Almaty`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<Medium>,
    /// BCP 47 tags of the languages spoken, e.g. `kk`, `ug-Arab`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Where the interview took place: never the witness's location by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interview_place: Option<String>,
    #[serde(default = "default_status")]
    pub status: Status,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub narrative: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliability: Option<Reliability>,
    /// The person giving the testimony.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testifier: Option<Person>,
    /// Everyone else the testimony mentions, with their roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub persons: Vec<Person>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<Place>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<Consent>,
}

fn default_status() -> Status {
    Status::Draft
}

/// A person as this testimony reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Person {
    #[serde(default = "Uuid::now_v7")]
    pub id: Uuid,
    pub names: Vec<PersonName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// Relation to the testifier: son, brother, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth: Option<Edtf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<Ethnicity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizenship: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hometown: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deceased: bool,
    /// Set when the "person" is a group (e.g. "about 40 villagers").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The same person as recorded in other testimonies: a coordinator's merge, written on
    /// both sides and undone by removing it from both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub same_as: Vec<PersonRef>,
    /// Persons of other testimonies a coordinator judged to be someone else: they are not
    /// suggested as duplicates again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_same_as: Vec<PersonRef>,
}

/// A person as recorded in a testimony: which testimony, which of its persons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PersonRef {
    pub testimony: Uuid,
    pub person: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct PersonName {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<Script>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<NameKind>,
}

/// Something that happened, as told in this testimony ("who did what to whom").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Event {
    #[serde(default = "Uuid::now_v7")]
    pub id: Uuid,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Edtf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Edtf>,
    /// The place as told ("Zharkent"); `place_id` links it to an entry of `places`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation_status: Option<ViolationStatus>,
    /// Ids of persons in this testimony.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub victims: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perpetrators: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acts: Vec<Act>,
}

/// What was done to one victim within an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Act {
    pub victim: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detention_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_at_end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_at_time: Option<u16>,
    /// Ids of persons in this testimony.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perpetrators: Vec<Uuid>,
}

/// A place in the hierarchy region → prefecture → county → township → village → site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Place {
    #[serde(default = "Uuid::now_v7")]
    pub id: Uuid,
    pub names: Vec<LocalName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<PlaceLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Uuid>,
    /// GB/T 2260 code, e.g. `6540`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Radius of uncertainty in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision_m: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct LocalName {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<Script>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// A person's consent for this testimony, per purpose. A refusal is recorded too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Consent {
    #[serde(default = "Uuid::now_v7")]
    pub id: Uuid,
    /// The person consenting; absent means the testifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Uuid>,
    #[serde(default = "first_version")]
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obtained_at: Option<Edtf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obtained_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ConsentMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scopes: BTreeMap<ConsentScope, Decision>,
    /// Conditions for scopes whose decision is `conditional`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<ConsentScope, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<Edtf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

fn first_version() -> u32 {
    1
}

impl Testimony {
    /// Parses and validates a testimony from JSON. Errors name the field, e.g.
    /// `invalid events[0].start: not a valid date: `13` is neither a month …`.
    pub fn from_json(json: &str) -> Result<Testimony> {
        let t: Testimony = parse_json(json)?;
        t.validate()?;
        Ok(t)
    }

    /// The testimony as a JSON value (the revision's `state`).
    pub fn to_value(&self) -> Result<serde_json::Value> {
        serde_json::to_value(self).map_err(|e| Error::Internal(e.to_string()))
    }

    /// Reads a stored state back. Stored states were validated when written.
    pub fn from_value(v: &serde_json::Value) -> Result<Testimony> {
        Testimony::deserialize(v).map_err(|e| Error::Internal(format!("stored testimony: {e}")))
    }

    /// Every person in the testimony, the testifier first.
    pub fn all_persons(&self) -> impl Iterator<Item = &Person> {
        self.testifier.iter().chain(self.persons.iter())
    }
}

/// The most JSON a testimony or an edit given as input may be: a revision's line in a bundle
/// holds no more (`bundle::REVISION_LINE_MAX`), so a larger testimony could never be passed on.
pub const JSON_INPUT_MAX: usize = 16 << 20;

/// Reads JSON given as input (`source` names it in errors: a file, or standard input), refusing
/// more than [`JSON_INPUT_MAX`] bytes before reading them all into memory.
pub fn read_json_input(input: impl std::io::Read, source: &std::path::Path) -> Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    input
        .take(JSON_INPUT_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", source, e))?;
    if bytes.len() > JSON_INPUT_MAX {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| Error::invalid("JSON", "is not UTF-8 text"))
}

fn too_large() -> Error {
    Error::invalid(
        "JSON",
        format!("is larger than {} MiB", JSON_INPUT_MAX >> 20),
    )
}

/// Deserialises JSON, naming the path of the first field that does not fit.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    if json.len() > JSON_INPUT_MAX {
        return Err(too_large());
    }
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            "JSON".to_string()
        } else {
            path
        };
        let inner = e.into_inner();
        // serde_json appends "at line L column C"; keep it, it helps people fix files.
        Error::invalid(field, inner.to_string())
    })
}
