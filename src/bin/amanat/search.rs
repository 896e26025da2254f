//! `amanat search` and `amanat people`: parse the options, call the core, print.

use amanat::model::PersonRef;
use amanat::{Filters, Result, SearchQuery, Vault};
use clap::Args;

use crate::{print_json, render, vocab};

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words to find, in any script; every word must match. Empty: list what the
    /// filters let through
    #[arg(default_value = "")]
    query: String,
    /// Interview date that may fall in this EDTF range (2018, 2019-03/2019-06, 2019/..)
    #[arg(long, value_name = "EDTF")]
    interview: Option<String>,
    /// An event that may fall in this EDTF range (with --kind and --place: the same event)
    #[arg(long, value_name = "EDTF")]
    event: Option<String>,
    /// Event kind (detention, release, …); repeat for any of several
    #[arg(long = "kind", value_name = "KIND")]
    kinds: Vec<String>,
    /// An event at this place or anywhere below it, named in any script
    #[arg(long)]
    place: Option<String>,
    /// Status (draft, reviewed, locked); repeat for any of several
    #[arg(long = "status", value_name = "STATUS")]
    statuses: Vec<String>,
    /// Tag; repeat for any of several
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// A consent scope every current consent grants (publish_anonymised, …)
    #[arg(long = "consent", value_name = "SCOPE")]
    consents: Vec<String>,
    #[arg(long)]
    interviewer: Option<String>,
    /// How many results to show, best first
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Also count the matches per status, event kind, place, tag, consent, interviewer, year
    #[arg(long)]
    facets: bool,
    #[arg(long)]
    json: bool,
}

/// Every value of a repeated vocabulary option.
fn list<T: serde::de::DeserializeOwned>(field: &str, values: &[String]) -> Result<Vec<T>> {
    values.iter().map(|v| vocab(field, v)).collect()
}

impl SearchArgs {
    fn query(&self) -> Result<SearchQuery> {
        Ok(SearchQuery {
            text: self.query.clone(),
            limit: self.limit,
            filters: Filters {
                interview: self.interview.clone(),
                event: self.event.clone(),
                event_kinds: list("kind", &self.kinds)?,
                place: self.place.clone(),
                statuses: list("status", &self.statuses)?,
                tags: self.tags.clone(),
                consents: list("consent", &self.consents)?,
                interviewer: self.interviewer.clone(),
            },
        })
    }
}

pub fn search(v: &Vault, args: &SearchArgs) -> Result<()> {
    let q = args.query()?;
    let found = v.search(&q)?;
    let facets = if args.facets {
        Some(v.facets(&q)?)
    } else {
        None
    };
    if args.json {
        return print_json(&serde_json::json!({"results": found, "facets": facets}));
    }
    print!("{}", render::search(&found));
    if let Some(f) = facets {
        print!("{}", render::facets(&f));
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct PeopleArgs {
    /// A name in any script (empty: everyone, most testimonies first)
    #[arg(default_value = "")]
    name: String,
    /// Pairs of records in different testimonies that may be the same person
    #[arg(long)]
    duplicates: bool,
    #[arg(long, default_value_t = 50)]
    limit: usize,
    #[arg(long)]
    json: bool,
}

pub fn people(v: &Vault, args: &PeopleArgs) -> Result<()> {
    if args.duplicates {
        let pairs = v.duplicate_suggestions(args.limit)?;
        if args.json {
            return print_json(&pairs);
        }
        print!("{}", render::duplicates(&pairs));
        return Ok(());
    }
    let people = v.people(&args.name, args.limit)?;
    if args.json {
        return print_json(&people);
    }
    print!("{}", render::people(&people));
    Ok(())
}

/// A person as `CODE:PERSON-ID` (as `people` prints them).
pub fn person_ref(v: &Vault, s: &str) -> Result<PersonRef> {
    let bad = || {
        amanat::Error::invalid(
            "person",
            "is written TESTIMONY:PERSON-ID, as `amanat people` prints it",
        )
    };
    let (code, person) = s.rsplit_once(':').ok_or_else(bad)?;
    Ok(PersonRef {
        testimony: v.resolve(code)?,
        person: person.parse().map_err(|_| bad())?,
    })
}
