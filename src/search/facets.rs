//! Counts per facet for the testimonies a search matches: what the sidebar offers to
//! narrow the search by, with how many testimonies each choice keeps.

use serde::Serialize;

/// One value of a facet and how many matching testimonies have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FacetCount {
    /// The value as the filter takes it (a vocabulary value, a tag, a name).
    pub value: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
}

/// Counts per facet, most frequent first (vocabularies in their own order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Facets {
    /// Matching testimonies in all (not capped).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
    pub statuses: Vec<FacetCount>,
    pub event_kinds: Vec<FacetCount>,
    pub places: Vec<FacetCount>,
    pub tags: Vec<FacetCount>,
    pub consents: Vec<FacetCount>,
    pub interviewers: Vec<FacetCount>,
    /// Interview years.
    pub years: Vec<FacetCount>,
}
