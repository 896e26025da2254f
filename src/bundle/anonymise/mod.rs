//! The `anonymised` export profile (docs/trust-model.md §3): names of every person replaced
//! by pseudonyms wherever they appear, inflected or in another script (`names.rs`), dates no
//! finer than the year, in fields and in free text (`dates.rs`), places no finer than the
//! county (facilities keep their names; a place or hometown written only as free text goes), and
//! the fields that identify a witness or an interviewer dropped. Every replacement is kept
//! as a [`names::Piece`] so the coordinator sees exactly what goes before it goes.
//!
//! Pseudonyms come from a keyed hash of the person's first name (lower-cased, spaces
//! collapsed) under a key derived from this vault's signing key: the same name always gets
//! the same pseudonym from this vault (across testimonies and bundles), and a recipient
//! cannot test guesses of the original name against it.

mod dates;
mod joiners;
pub(crate) mod names;
mod places;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::crypto::{self, DOMAIN_PSEUDONYM};
use crate::edtf::Edtf;
use crate::model::{Attachment, Person, PersonName, Script, Testimony};
use names::{Needles, Piece};

/// One field of an anonymised testimony in which names were replaced: its path and its text
/// as pieces (kept, or a name and the pseudonym that replaced it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Replaced {
    pub field: String,
    pub pieces: Vec<Piece>,
}

/// An anonymised testimony: the copy, the fields changed or dropped (for the manifest), and
/// every replacement made in free text (for the preview).
pub(crate) struct Anonymised {
    pub testimony: Testimony,
    pub fields: Vec<String>,
    pub replaced: Vec<Replaced>,
}

pub(crate) struct Anonymiser {
    key: zeroize::Zeroizing<[u8; 32]>,
}

impl Anonymiser {
    pub(crate) fn new(signing_key: &ed25519_dalek::SigningKey) -> Anonymiser {
        Anonymiser {
            key: zeroize::Zeroizing::new(crypto::labelled_hash(
                DOMAIN_PSEUDONYM,
                signing_key.as_bytes(),
            )),
        }
    }

    fn keyed(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(*self.key);
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        h.finalize().into()
    }

    /// "Person K7QM2XHD": stable for one name, from this vault.
    pub(crate) fn pseudonym(&self, name: &str) -> String {
        let d = self.keyed(&[b"person", normalise(name).as_bytes()]);
        let code = data_encoding::BASE32_NOPAD.encode(&d[..5]);
        format!("Person {code}")
    }

    /// The id of the anonymised copy of a record: the same original state anonymised the
    /// same way always gives the same copy, so exporting it again changes nothing for the
    /// recipient, and a copy that differs in any way is a record of its own.
    pub(crate) fn record_id(&self, original: Uuid, heads: &[String], copy: &[u8]) -> Uuid {
        let mut parts: Vec<&[u8]> = vec![b"record", original.as_bytes(), copy];
        parts.extend(heads.iter().map(|h| h.as_bytes()));
        let d = self.keyed(&parts);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&d[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    }

    /// The salt of an anonymised record's revision: derived, so that the same copy comes out
    /// byte for byte the same every time it is exported.
    pub(crate) fn salt(&self, record: Uuid) -> [u8; 32] {
        self.keyed(&[b"salt", record.as_bytes()])
    }

    /// The salt of the erasure of an anonymised copy (`Vault::copy_erasures`): derived, so
    /// that the erasure is the same revision in every bundle that carries it.
    pub(crate) fn erasure_salt(&self, record: Uuid) -> [u8; 32] {
        self.keyed(&[b"erasure", record.as_bytes()])
    }

    /// The blob name of an anonymised attachment's file at the recipient.
    pub(crate) fn blob_id(&self, original_blob: &str) -> String {
        hex::encode(&self.keyed(&[b"blob", original_blob.as_bytes()])[..16])
    }

    /// Every name of every person in `testimonies`, with the person's pseudonym: what free
    /// text is searched for. Built over the whole bundle, so a relative named as a person in
    /// one testimony is also replaced where another testimony only mentions them, and over
    /// every version of each testimony given, so a person removed from the record (a relative
    /// who refused) is still replaced where the text still names them.
    pub(crate) fn needles<'a>(&self, testimonies: impl Iterator<Item = &'a Testimony>) -> Needles {
        let mut persons = Vec::new();
        for t in testimonies {
            for p in t.all_persons() {
                let Some(first) = p.names.first() else {
                    continue;
                };
                persons.push((
                    self.pseudonym(&first.name),
                    p.names.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
                ));
            }
        }
        Needles::new(persons.into_iter())
    }

    /// The testimony with every id in it (persons, events, acts' references, consents,
    /// places) replaced by a keyed hash of it: references stay consistent, and no UUIDv7
    /// tells when a person or an event was first written down.
    pub(crate) fn remap_ids(&self, t: &Testimony) -> crate::error::Result<Testimony> {
        let mut v = t.to_value()?;
        self.remap_value(&mut v);
        Testimony::from_value(&v)
    }

    fn remap_value(&self, v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if s.len() == 36
                    && let Ok(id) = Uuid::parse_str(s)
                {
                    let d = self.keyed(&[b"id", id.as_bytes()]);
                    let mut bytes = [0u8; 16];
                    bytes.copy_from_slice(&d[..16]);
                    *s = uuid::Builder::from_custom_bytes(bytes)
                        .into_uuid()
                        .to_string();
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| self.remap_value(x)),
            serde_json::Value::Object(m) => m.values_mut().for_each(|x| self.remap_value(x)),
            _ => {}
        }
    }

    /// The anonymised testimony, the paths of the fields changed or dropped, and every
    /// replacement made in its free text. `needles` come from [`Anonymiser::needles`].
    pub(crate) fn testimony(&self, t: &Testimony, code: &str, needles: &Needles) -> Anonymised {
        let mut out = t.clone();
        let mut fields = Vec::new();
        let mut note = |cond: bool, f: &str| {
            if cond {
                fields.push(f.to_string());
            }
        };
        note(out.code != code, "code");
        out.code = code.to_string();
        note(out.interviewer.take().is_some(), "interviewer");
        note(out.interpreter.take().is_some(), "interpreter");
        note(out.interview_place.take().is_some(), "interview_place");
        note(out.started_at.take().is_some(), "started_at");
        note(out.ended_at.take().is_some(), "ended_at");
        note(out.time_zone.take().is_some(), "time_zone");
        note(out.medium.take().is_some(), "medium");
        note(!std::mem::take(&mut out.languages).is_empty(), "languages");
        let date = out.interview_date.and_then(|d| d.to_year());
        note(date != out.interview_date, "interview_date");
        out.interview_date = date;

        let mut any_person = false;
        let mut birth_cut = false;
        let mut dropped_personal = false;
        for p in out.testifier.iter_mut().chain(out.persons.iter_mut()) {
            any_person = true;
            let Some(first) = p.names.first() else {
                continue;
            };
            let pseudonym = self.pseudonym(&first.name);
            birth_cut |= anonymise_person(p, pseudonym, &mut dropped_personal);
        }
        note(any_person, "persons[].names");
        note(birth_cut, "persons[].birth");
        note(dropped_personal, "persons[].notes");

        let mut event_dates = false;
        for e in &mut out.events {
            for d in [&mut e.start, &mut e.end] {
                let year = d.and_then(|x| x.to_year());
                event_dates |= year != *d;
                *d = year;
            }
        }
        note(event_dates, "events[].start, end");
        note(places::coarsen(&mut out), "places (finer than a county)");
        note(places::as_told(&mut out), "events[].place (as told)");
        let mut hometown = false;
        for p in out.testifier.iter_mut().chain(out.persons.iter_mut()) {
            // Written as free text, its level is unknown: a village as likely as a county.
            hometown |= p.hometown.take().is_some();
        }
        note(hometown, "persons[].hometown");

        let mut replaced = Vec::new();
        let mut redact = |field: String, s: &mut String| {
            let pieces = dates::year_only(needles.redact(s));
            if pieces.iter().any(|p| matches!(p, Piece::Replaced { .. })) {
                *s = names::joined(&pieces);
                replaced.push(Replaced { field, pieces });
            }
        };
        redact("summary".into(), &mut out.summary);
        redact("narrative".into(), &mut out.narrative);
        for (i, tag) in out.tags.iter_mut().enumerate() {
            redact(format!("tags[{i}]"), tag);
        }
        for (i, e) in out.events.iter_mut().enumerate() {
            for (name, s) in [
                ("place", &mut e.place),
                ("facility", &mut e.facility),
                ("description", &mut e.description),
            ] {
                if let Some(s) = s {
                    redact(format!("events[{i}].{name}"), s);
                }
            }
            for (j, a) in e.acts.iter_mut().enumerate() {
                for (name, s) in [
                    ("act_type", &mut a.act_type),
                    ("detention_type", &mut a.detention_type),
                    ("stated_reason", &mut a.stated_reason),
                    ("charge", &mut a.charge),
                    ("sentence", &mut a.sentence),
                    ("status_at_end", &mut a.status_at_end),
                ] {
                    if let Some(s) = s {
                        redact(format!("events[{i}].acts[{j}].{name}"), s);
                    }
                }
            }
        }
        for (i, p) in out
            .testifier
            .iter_mut()
            .chain(out.persons.iter_mut())
            .enumerate()
        {
            for (name, s) in [
                ("relation", &mut p.relation),
                ("citizenship", &mut p.citizenship),
                ("occupation", &mut p.occupation),
            ] {
                if let Some(s) = s {
                    redact(format!("persons[{i}].{name}"), s);
                }
            }
        }
        for (i, place) in out.places.iter_mut().enumerate() {
            for (j, n) in place.names.iter_mut().enumerate() {
                redact(format!("places[{i}].names[{j}]"), &mut n.name);
            }
        }
        let mut consent_details = false;
        let mut consent_dates = false;
        for (i, c) in out.consents.iter_mut().enumerate() {
            consent_details |= c.obtained_by.take().is_some();
            consent_details |= c.interpreter.take().is_some();
            consent_details |= c.notes.take().is_some();
            consent_details |= c.method.take().is_some();
            consent_details |= c.language.take().is_some();
            for d in [&mut c.obtained_at, &mut c.withdrawn_at] {
                let year = d.and_then(|x| x.to_year());
                // A withdrawal stays a withdrawal even where its date cannot be kept.
                consent_dates |= year != *d;
                *d = year.or_else(|| d.and_then(|_| crate::edtf::Edtf::parse("..").ok()));
            }
            for (scope, s) in c.conditions.iter_mut() {
                redact(format!("consents[{i}].conditions.{}", scope.as_str()), s);
            }
        }
        note(
            !replaced.is_empty(),
            "free text (names replaced, dates cut to the year)",
        );
        note(
            consent_details,
            "consents[].obtained_by, interpreter, notes, method, language",
        );
        note(consent_dates, "consents[].obtained_at, withdrawn_at");
        Anonymised {
            testimony: out,
            fields,
            replaced,
        }
    }

    /// The anonymised copy of an attachment marked safe to publish: a new record on the
    /// anonymised testimony, the file named by its number, who captured it dropped, and a
    /// custody log that starts with the redaction.
    pub(crate) fn attachment(
        &self,
        a: &Attachment,
        testimony: Uuid,
        number: usize,
        custody: crate::model::CustodyEvent,
    ) -> Attachment {
        let ext = a
            .name
            .rsplit_once('.')
            .map(|(_, e)| e)
            .filter(|e| {
                !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric())
            })
            .map(|e| format!(".{}", e.to_ascii_lowercase()))
            .unwrap_or_default();
        Attachment {
            testimony,
            blob: self.blob_id(&a.blob),
            sha256: a.sha256.clone(),
            size: a.size,
            media_type: a.media_type.clone(),
            name: format!("attachment-{number}{ext}"),
            kind: a.kind,
            role: a.role,
            derived_from: None,
            captured_at: None,
            captured_by: None,
            collection_method: None,
            safe_to_publish: true,
            custody: vec![custody],
        }
    }
}

/// Replaces a person's names by the pseudonym, keeps only the year of birth, drops notes.
/// Returns whether the birth date was cut.
fn anonymise_person(p: &mut Person, pseudonym: String, dropped: &mut bool) -> bool {
    p.names = vec![PersonName {
        name: pseudonym,
        script: Some(Script::Latn),
        lang: None,
        kind: None,
    }];
    *dropped |= p.notes.take().is_some();
    // Links to persons of other testimonies would tell who is who across the bundle.
    *dropped |= !p.same_as.is_empty() || !p.not_same_as.is_empty();
    p.same_as.clear();
    p.not_same_as.clear();
    let Some(birth) = p.birth else {
        return false;
    };
    let year_only = match birth {
        Edtf::Date(d) if (0..=9999).contains(&d.year()) => {
            Edtf::parse(&format!("{:04}", d.year())).ok()
        }
        _ => None,
    };
    let cut = year_only != Some(birth);
    p.birth = year_only;
    cut
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The code of the anonymised copy `record`: what its recipients see instead of the original's.
pub(crate) fn copy_code(record: Uuid) -> String {
    format!("ANON-{}", &record.simple().to_string()[..10].to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anonymiser() -> Anonymiser {
        Anonymiser::new(&crypto::new_signing_key())
    }

    #[test]
    fn pseudonyms_are_stable_per_vault_and_differ_between_vaults() {
        let a = anonymiser();
        assert_eq!(a.pseudonym("Ержанат  Абай"), a.pseudonym("ержанат абай"));
        assert_ne!(a.pseudonym("Ержанат Абай"), a.pseudonym("Yerzhanat Abai"));
        assert_ne!(
            a.pseudonym("Ержанат Абай"),
            anonymiser().pseudonym("Ержанат Абай")
        );
    }

    #[test]
    fn dates_go_to_the_year_and_identifying_details_go() {
        let a = anonymiser();
        let t = Testimony::from_json(
            r#"{"code": "A-1", "interview_date": "2025-03-31", "medium": "video_call",
                "languages": ["kk"],
                "testifier": {"names": [{"name": "Ержанат Абай"}], "birth": "1985-03-12"},
                "events": [{"kind": "detention", "start": "2018-03-12", "end": "2019-21"}],
                "consents": [{"obtained_at": "2025-03-31", "method": "written",
                              "language": "kk", "scopes": {"publish_anonymised": "granted"}}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let needles = a.needles(std::iter::once(&t));
        let out = a.testimony(&t, "ANON-1", &needles).testimony;
        let json = serde_json::to_string(&out).unwrap_or_default();
        for gone in [
            "2025-03",
            "1985-03",
            "2018-03",
            "2019-21",
            "video_call",
            "written",
            "Ержанат",
        ] {
            assert!(!json.contains(gone), "{gone} in {json}");
        }
        assert!(json.contains(r#""interview_date":"2025""#), "{json}");
        assert!(json.contains(r#""start":"2018""#), "{json}");
    }

    #[test]
    fn exact_dates_in_free_text_keep_only_the_year_and_free_text_places_go() {
        let a = anonymiser();
        let t = Testimony::from_json(
            r#"{"code": "A-3",
                "testifier": {"names": [{"name": "Ержанат Абай"}], "hometown": "Tokkuztara village"},
                "narrative": "On 12 March 2018 at 5 am police came. 2018-03-12. 12.03.2018 жылы ұсталды. 2018年3月12日被带走了. 2018 жылы 12 наурызда. 12 марта 2018 года. In 2019 he was freed.",
                "summary": "Detained 2018-03-12.",
                "events": [{"kind": "detention", "place": "Tokkuztara village, house no. 14",
                            "description": "taken on 5 June 2017"}],
                "consents": [{"scopes": {"publish_anonymised": "granted"}}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let needles = a.needles(std::iter::once(&t));
        let anon = a.testimony(&t, "ANON-3", &needles);
        let json = serde_json::to_string(&anon.testimony).unwrap_or_default();
        for gone in [
            "March",
            "03-12",
            "12.03",
            "3月",
            "наурыз",
            "марта",
            "June",
            "Tokkuztara",
            "house",
        ] {
            assert!(!json.contains(gone), "{gone} in {json}");
        }
        for kept in [
            "2018",
            "2017",
            "In 2019 he was freed",
            "police came",
            "被带走了",
        ] {
            assert!(json.contains(kept), "{kept} not in {json}");
        }
        // The coordinator sees each date cut in the preview.
        assert!(
            anon.replaced
                .iter()
                .any(|r| r.field == "narrative"
                    && r.pieces.iter().any(|p| matches!(p, Piece::Replaced { original, .. } if original.contains("12 March 2018")))),
            "{:?}",
            anon.replaced
        );
    }
}
