//! Controlled vocabularies (DATA-MODEL.md). Stored as snake_case strings; the UI translates
//! each value. Adding a value is backwards compatible; renaming one is a migration.

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in the order the UI lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and CLI) spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

vocabulary!(Medium { VideoCall => "video_call", InPerson => "in_person", Phone => "phone", Written => "written" });
vocabulary!(
    /// `locked` testimonies refuse edits until their status is changed back.
    Status { Draft => "draft", Reviewed => "reviewed", Locked => "locked" }
);
vocabulary!(
    /// ISO 15924 script codes.
    Script { Latn => "Latn", Cyrl => "Cyrl", Arab => "Arab", Hans => "Hans", Hant => "Hant" }
);
vocabulary!(NameKind {
    Primary => "primary", Alias => "alias", ChineseName => "chinese_name",
    Patronymic => "patronymic", Transliteration => "transliteration",
});
vocabulary!(Sex { Female => "female", Male => "male", Other => "other", Unknown => "unknown" });
vocabulary!(Role {
    Testifier => "testifier", Victim => "victim", Witness => "witness",
    Relative => "relative", Perpetrator => "perpetrator", Official => "official",
});
vocabulary!(EventKind {
    Detention => "detention", Disappearance => "disappearance", Sentencing => "sentencing",
    ForcedLabour => "forced_labour", Surveillance => "surveillance",
    FamilySeparation => "family_separation", DocumentConfiscation => "document_confiscation",
    TravelBan => "travel_ban", DeathInCustody => "death_in_custody", Release => "release",
});
vocabulary!(ViolationStatus {
    Confirmed => "confirmed", Likely => "likely", Possible => "possible",
    Unlikely => "unlikely", Unknown => "unknown",
});
vocabulary!(PlaceLevel {
    Region => "region", Prefecture => "prefecture", County => "county",
    Township => "township", Village => "village", Site => "site",
});
vocabulary!(FacilityKind {
    Camp => "camp", DetentionCentre => "detention_centre", Prison => "prison",
    Factory => "factory", School => "school", Other => "other",
});
vocabulary!(ConsentScope {
    StoreInternally => "store_internally", ShareWithPartner => "share_with_partner",
    ShareWithUn => "share_with_un", ShareWithCourt => "share_with_court",
    PublishAnonymised => "publish_anonymised", PublishNamed => "publish_named",
    PublishImageVoice => "publish_image_voice", Recontact => "recontact",
});
vocabulary!(Decision { Granted => "granted", Refused => "refused", Conditional => "conditional" });
vocabulary!(ConsentMethod { Written => "written", OralRecorded => "oral_recorded", OralNoted => "oral_noted" });
vocabulary!(Reliability {
    HighlyReliable => "highly_reliable", Reliable => "reliable", FairlyReliable => "fairly_reliable",
    Unreliable => "unreliable", HighlyUnreliable => "highly_unreliable", Unknown => "unknown",
});
vocabulary!(Ethnicity {
    Kazakh => "kazakh", Uyghur => "uyghur", Kyrgyz => "kyrgyz", Hui => "hui",
    Uzbek => "uzbek", Tajik => "tajik", Han => "han", Other => "other",
});

vocabulary!(AttachmentKind {
    Audio => "audio", Video => "video", Photo => "photo", Document => "document",
    Transcript => "transcript", Translation => "translation",
});
vocabulary!(AttachmentRole {
    Evidentiary => "evidentiary", Working => "working", Derivative => "derivative",
    Redacted => "redacted",
});
vocabulary!(
    /// What happened to an attachment, in its custody log.
    CustodyAction {
        Collected => "collected", Imported => "imported", Hashed => "hashed", Copied => "copied",
        Transcribed => "transcribed", Exported => "exported", Transferred => "transferred",
        Redacted => "redacted",
    }
);

vocabulary!(
    /// How far a contact may receive testimonies: `organisation` (same organisation, e.g. the
    /// interviewer's coordinator: needs consent to store internally) or `partner` (another
    /// organisation: needs consent to share with a partner).
    ContactTrust { Organisation => "organisation", Partner => "partner" }
);
vocabulary!(
    /// What an export carries: `full` (everything, for a trusted recipient) or `anonymised`
    /// (pseudonyms for names, identifying fields dropped, for publication).
    ExportProfile { Full => "full", Anonymised => "anonymised" }
);
vocabulary!(TransferDirection { Export => "export", Import => "import" });
vocabulary!(
    /// Why an imported revision was kept as a proposal instead of applied
    /// (docs/trust-model.md §4).
    HeldReason {
        NoAuthority => "no_authority", Locked => "locked", ConsentWidened => "consent_widened",
        PublishFlag => "publish_flag", Deletion => "deletion",
        BuildsOnProposal => "builds_on_proposal", RevokedKey => "revoked_key",
    }
);

/// Every vocabulary with all its values, for the UI's choices.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Vocabularies {
    pub medium: &'static [Medium],
    pub status: &'static [Status],
    pub script: &'static [Script],
    pub name_kind: &'static [NameKind],
    pub sex: &'static [Sex],
    pub role: &'static [Role],
    pub event_kind: &'static [EventKind],
    pub violation_status: &'static [ViolationStatus],
    pub place_level: &'static [PlaceLevel],
    pub facility_kind: &'static [FacilityKind],
    pub consent_scope: &'static [ConsentScope],
    pub decision: &'static [Decision],
    pub consent_method: &'static [ConsentMethod],
    pub reliability: &'static [Reliability],
    pub ethnicity: &'static [Ethnicity],
}

pub const VOCABULARIES: Vocabularies = Vocabularies {
    medium: Medium::ALL,
    status: Status::ALL,
    script: Script::ALL,
    name_kind: NameKind::ALL,
    sex: Sex::ALL,
    role: Role::ALL,
    event_kind: EventKind::ALL,
    violation_status: ViolationStatus::ALL,
    place_level: PlaceLevel::ALL,
    facility_kind: FacilityKind::ALL,
    consent_scope: ConsentScope::ALL,
    decision: Decision::ALL,
    consent_method: ConsentMethod::ALL,
    reliability: Reliability::ALL,
    ethnicity: Ethnicity::ALL,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_spelling_matches_serde_for_every_value() {
        for s in ConsentScope::ALL {
            let json = serde_json::to_string(s).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(EventKind::ALL.len(), 10);
    }
}
