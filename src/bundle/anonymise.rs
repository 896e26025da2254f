//! The `anonymised` export profile: names of every person replaced by pseudonyms, the
//! fields that identify a witness or an interviewer dropped, and every occurrence of a
//! person's names in free text replaced too.
//!
//! Pseudonyms come from a keyed hash of the person's first name (lower-cased, spaces
//! collapsed) under a key derived from this vault's signing key: the same name always gets
//! the same pseudonym from this vault (across testimonies and bundles), and a recipient
//! cannot test guesses of the original name against it.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::crypto::{self, DOMAIN_PSEUDONYM};
use crate::edtf::Edtf;
use crate::model::{Attachment, Person, PersonName, Script, Testimony};

pub(crate) struct Anonymiser {
    key: zeroize::Zeroizing<[u8; 32]>,
}

/// Needles shorter than this (in characters) are not replaced in free text on their own:
/// too many words would match. Full names always are.
const MIN_TOKEN_CHARS: usize = 2;

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

    /// The blob name of an anonymised attachment's file at the recipient.
    pub(crate) fn blob_id(&self, original_blob: &str) -> String {
        hex::encode(&self.keyed(&[b"blob", original_blob.as_bytes()])[..16])
    }

    /// Every name of every person in `testimonies`, and each part of it, with the person's
    /// pseudonym, longest first: what free text is searched for. Built over the whole bundle,
    /// so a relative named as a person in one testimony is also replaced where another
    /// testimony only mentions them in its narrative.
    pub(crate) fn needles<'a>(
        &self,
        testimonies: impl Iterator<Item = &'a Testimony>,
    ) -> Vec<(String, String)> {
        let mut needles: Vec<(String, String)> = Vec::new();
        for t in testimonies {
            for p in t.testifier.iter().chain(t.persons.iter()) {
                let Some(first) = p.names.first() else {
                    continue;
                };
                let pseudonym = self.pseudonym(&first.name);
                for n in &p.names {
                    for needle in needles_of(&n.name) {
                        needles.push((needle, pseudonym.clone()));
                    }
                }
            }
        }
        needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.chars().count()));
        needles.dedup_by(|a, b| a.0 == b.0);
        needles
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

    /// The anonymised testimony and the paths of the fields that were changed or dropped.
    /// `needles` come from [`Anonymiser::needles`].
    pub(crate) fn testimony(
        &self,
        t: &Testimony,
        code: &str,
        needles: &[(String, String)],
    ) -> (Testimony, Vec<String>) {
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

        let mut changed_text = false;
        let mut redact = |s: &mut String| {
            let r = replace_all(s, needles);
            if r != *s {
                *s = r;
                changed_text = true;
            }
        };
        redact(&mut out.summary);
        redact(&mut out.narrative);
        out.tags.iter_mut().for_each(&mut redact);
        for e in &mut out.events {
            for s in [&mut e.place, &mut e.facility, &mut e.description]
                .into_iter()
                .flatten()
            {
                redact(s);
            }
            for a in &mut e.acts {
                for s in [
                    &mut a.stated_reason,
                    &mut a.charge,
                    &mut a.sentence,
                    &mut a.status_at_end,
                ]
                .into_iter()
                .flatten()
                {
                    redact(s);
                }
            }
        }
        for p in out.testifier.iter_mut().chain(out.persons.iter_mut()) {
            for s in [&mut p.relation, &mut p.hometown, &mut p.occupation]
                .into_iter()
                .flatten()
            {
                redact(s);
            }
        }
        let mut consent_details = false;
        for c in &mut out.consents {
            consent_details |= c.obtained_by.take().is_some();
            consent_details |= c.interpreter.take().is_some();
            consent_details |= c.notes.take().is_some();
            c.conditions.values_mut().for_each(&mut redact);
        }
        note(changed_text, "free text (names replaced)");
        note(
            consent_details,
            "consents[].obtained_by, interpreter, notes",
        );
        (out, fields)
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

/// The strings to look for in free text for one name: the whole name and each of its parts
/// (split at spaces, hyphens, dots and the middle dot used in transcribed Chinese names).
fn needles_of(name: &str) -> Vec<String> {
    let mut out = vec![normalise(name)];
    for part in name.split(|c: char| c.is_whitespace() || matches!(c, '-' | '.' | '·' | '・' | ','))
    {
        if part.chars().count() >= MIN_TOKEN_CHARS {
            out.push(part.to_lowercase());
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Replaces every occurrence of each needle (compared in lower case) that stands as a word
/// of its own (Han text has no spaces, so there any occurrence counts) by its replacement.
pub(crate) fn replace_all(text: &str, needles: &[(String, String)]) -> String {
    if needles.is_empty() || text.is_empty() {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let needles: Vec<(Vec<char>, &str)> = needles
        .iter()
        .map(|(n, r)| (n.chars().collect(), r.as_str()))
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'outer: while i < chars.len() {
        for (n, r) in &needles {
            let end = i + n.len();
            if n.is_empty() || end > lower.len() || lower[i..end] != n[..] {
                continue;
            }
            let han = n.first().is_some_and(|c| is_han(*c));
            let before_ok = i == 0 || han || !chars[i - 1].is_alphanumeric();
            let after_ok = end == chars.len() || han || !chars[end].is_alphanumeric();
            if before_ok && after_ok {
                out.push_str(r);
                i = end;
                continue 'outer;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anonymiser() -> Anonymiser {
        Anonymiser::new(&crypto::new_signing_key())
    }

    #[test]
    fn names_are_replaced_as_words_in_every_script() {
        let a = anonymiser();
        let p = a.pseudonym("Ержанат Абай");
        let mut needles: Vec<(String, String)> = ["Ержанат Абай", "叶尔扎那提·阿拜", "Abai"]
            .iter()
            .flat_map(|n| needles_of(n))
            .map(|n| (n, p.clone()))
            .collect();
        needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.chars().count()));
        let text = "ЕРЖАНАТ абай was taken; 叶尔扎那提 too. Abaifield stays, Abai's goes.";
        let out = replace_all(text, &needles);
        assert!(!out.to_lowercase().contains("ержанат"), "{out}");
        assert!(!out.contains("叶尔扎那提"), "{out}");
        assert!(out.contains("Abaifield"), "{out}");
        assert!(!out.contains("Abai's"), "{out}");
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
}
