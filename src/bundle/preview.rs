//! The preview of an anonymised export: for each testimony, every field in which names were
//! replaced, as the text that will go with each replacement marked, and what was dropped or
//! coarsened. Made by the same code as the bundle, so what the coordinator reads is what goes.

use serde::Serialize;
use uuid::Uuid;

use super::anonymise::Anonymiser;
use super::anonymise::names::Piece;
use super::plan::ExportRequest;
use crate::error::{Error, Result};
use crate::model::ExportProfile;
use crate::vault::Vault;

/// One testimony as an anonymised export would send it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AnonymisedPreview {
    pub id: Uuid,
    pub code: String,
    /// The code of the anonymised copy.
    pub copy_code: String,
    /// Every field in which a name was replaced.
    pub fields: Vec<PreviewField>,
    /// Fields dropped, coarsened or replaced, as paths (`interviewer`, `persons[].birth`, …).
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreviewField {
    /// The field's path, e.g. `narrative` or `events[0].description`.
    pub field: String,
    pub parts: Vec<PreviewPart>,
}

/// A stretch of text as it goes, and for a replacement, the original it replaces.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreviewPart {
    pub text: String,
    pub original: Option<String>,
}

impl Vault {
    /// What an anonymised export would replace and drop, before anything is written.
    pub fn preview_anonymised(&self, req: &ExportRequest) -> Result<Vec<AnonymisedPreview>> {
        if req.profile != ExportProfile::Anonymised {
            return Err(Error::invalid(
                "profile",
                "a preview is made for anonymised exports",
            ));
        }
        let (_, chosen) = self.choose(req)?;
        let anon = Anonymiser::new(self.secret.signing_key());
        let copies = self.anonymise_all(&anon, &chosen)?;
        Ok(chosen
            .iter()
            .zip(copies)
            .map(|(t, copy)| AnonymisedPreview {
                id: t.id,
                code: t.code.clone(),
                copy_code: copy.testimony.code.clone(),
                fields: copy
                    .replaced
                    .into_iter()
                    .map(|r| PreviewField {
                        field: r.field,
                        parts: r
                            .pieces
                            .into_iter()
                            .map(|p| match p {
                                Piece::Kept(text) => PreviewPart {
                                    text,
                                    original: None,
                                },
                                Piece::Replaced { original, by } => PreviewPart {
                                    text: by,
                                    original: Some(original),
                                },
                            })
                            .collect(),
                    })
                    .collect(),
                changed: copy.fields,
            })
            .collect())
    }
}
