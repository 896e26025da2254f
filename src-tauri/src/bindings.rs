//! The TypeScript declarations of every type that crosses to the UI, generated from the Rust
//! types. The test below fails when `ui/src/lib/bindings.ts` is stale; run
//! `UPDATE_BINDINGS=1 cargo test -p amanat-desktop bindings` to regenerate it.

#[cfg(test)]
mod tests {
    use amanat::model::*;
    use ts_rs::{Config, TS};

    fn decl<T: TS>(cfg: &Config) -> String {
        format!("export {}", T::decl(cfg))
    }

    fn generate() -> String {
        let cfg = Config::new();
        let decls = [
            decl::<crate::commands::AppStatus>(&cfg),
            decl::<crate::commands::CardView>(&cfg),
            decl::<crate::error::CmdError>(&cfg),
            decl::<amanat::PassphraseStrength>(&cfg),
            decl::<amanat::DateReading>(&cfg),
            decl::<amanat::DraftInfo>(&cfg),
            decl::<amanat::EditOutcome>(&cfg),
            decl::<amanat::CodeClash>(&cfg),
            decl::<amanat::DraftList>(&cfg),
            decl::<amanat::SavedDraft>(&cfg),
            decl::<amanat::TestimonySummary>(&cfg),
            decl::<amanat::StoredTestimony>(&cfg),
            decl::<amanat::HistoryEntry>(&cfg),
            decl::<amanat::Accepted>(&cfg),
            decl::<amanat::ErasurePreview>(&cfg),
            decl::<amanat::ErasureReport>(&cfg),
            decl::<amanat::Withdrawn>(&cfg),
            decl::<amanat::Acceptance>(&cfg),
            decl::<Op>(&cfg),
            decl::<amanat::edtf::Edtf>(&cfg),
            decl::<Vocabularies>(&cfg),
            decl::<Testimony>(&cfg),
            decl::<Person>(&cfg),
            decl::<PersonName>(&cfg),
            decl::<Event>(&cfg),
            decl::<Act>(&cfg),
            decl::<Place>(&cfg),
            decl::<LocalName>(&cfg),
            decl::<Consent>(&cfg),
            decl::<Medium>(&cfg),
            decl::<Status>(&cfg),
            decl::<Script>(&cfg),
            decl::<NameKind>(&cfg),
            decl::<Sex>(&cfg),
            decl::<Role>(&cfg),
            decl::<EventKind>(&cfg),
            decl::<ViolationStatus>(&cfg),
            decl::<PlaceLevel>(&cfg),
            decl::<FacilityKind>(&cfg),
            decl::<ConsentScope>(&cfg),
            decl::<Decision>(&cfg),
            decl::<ConsentMethod>(&cfg),
            decl::<Reliability>(&cfg),
            decl::<Ethnicity>(&cfg),
            decl::<crate::attach::JobProgress>(&cfg),
            decl::<amanat::StoredAttachment>(&cfg),
            decl::<Attachment>(&cfg),
            decl::<CustodyEvent>(&cfg),
            decl::<AttachmentKind>(&cfg),
            decl::<AttachmentRole>(&cfg),
            decl::<CustodyAction>(&cfg),
            decl::<amanat::ContactInfo>(&cfg),
            decl::<PreviousKeyInfo>(&cfg),
            decl::<amanat::KeyChangeReport>(&cfg),
            decl::<ContactTrust>(&cfg),
            decl::<ExportProfile>(&cfg),
            decl::<crate::bundles::ExportArgs>(&cfg),
            decl::<amanat::bundle::ExportPlan>(&cfg),
            decl::<amanat::bundle::PlannedTestimony>(&cfg),
            decl::<amanat::bundle::LeftOut>(&cfg),
            decl::<amanat::bundle::DeletedTestimony>(&cfg),
            decl::<amanat::bundle::ErasedCopy>(&cfg),
            decl::<amanat::bundle::ErasedFile>(&cfg),
            decl::<amanat::bundle::ConsentProblem>(&cfg),
            decl::<amanat::bundle::ExportResult>(&cfg),
            decl::<amanat::bundle::ImportReport>(&cfg),
            decl::<amanat::bundle::ErasedSummary>(&cfg),
            decl::<amanat::bundle::Sender>(&cfg),
            decl::<amanat::bundle::Conflict>(&cfg),
            decl::<amanat::ConflictSide>(&cfg),
            decl::<amanat::bundle::ProposalSummary>(&cfg),
            decl::<HeldReason>(&cfg),
            decl::<amanat::Proposal>(&cfg),
            decl::<amanat::bundle::AnonymisedPreview>(&cfg),
            decl::<amanat::bundle::PreviewField>(&cfg),
            decl::<amanat::bundle::PreviewPart>(&cfg),
            decl::<PersonRef>(&cfg),
            decl::<amanat::SearchQuery>(&cfg),
            decl::<amanat::Filters>(&cfg),
            decl::<amanat::SearchResults>(&cfg),
            decl::<amanat::SearchHit>(&cfg),
            decl::<amanat::SnippetPart>(&cfg),
            decl::<amanat::Facets>(&cfg),
            decl::<amanat::FacetCount>(&cfg),
            decl::<amanat::PersonGroup>(&cfg),
            decl::<amanat::PersonRecord>(&cfg),
            decl::<amanat::PersonEvent>(&cfg),
            decl::<amanat::DuplicatePair>(&cfg),
        ];
        let mut out = String::from(
            "// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit.\n\n",
        );
        for d in decls {
            out.push_str(&d);
            out.push_str("\n\n");
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    }

    #[test]
    fn checked_in_bindings_match_the_rust_types() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
        let fresh = generate();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("write bindings");
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == fresh,
            "ui/src/lib/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p amanat-desktop bindings`"
        );
    }
}
