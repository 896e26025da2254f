//! Which testimonies a witness allowed to go where. An export to a contact in the same
//! organisation needs `store_internally`; to a partner, `share_with_partner`; an anonymised
//! export, `publish_anonymised`. Every person who gave consent must have granted the scope in
//! the latest version of their consent that is not withdrawn. Anything else (no consent,
//! refused, conditional, not asked, withdrawn) leaves the testimony out, with the reason.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{ConsentScope, ContactTrust, Decision, ExportProfile, Testimony};

/// Why a testimony's consent does not allow a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConsentProblem {
    /// No consent is recorded.
    NoConsent,
    /// Every consent recorded was withdrawn.
    Withdrawn,
    /// The scope was refused.
    Refused,
    /// The scope was granted with conditions someone must check by hand.
    Conditional,
    /// The scope was never asked about.
    NotAsked,
    /// The testimony has two versions (a conflict, or a deletion on one side): nothing of it
    /// leaves until the user resolves it.
    Conflict,
    /// A person in it is linked (the same person, or not) to a person of a testimony whose
    /// consent does not let it go to this recipient: the link would name that testimony.
    Linked,
}

/// The scope an export with `profile` to a contact with `trust` needs.
pub(crate) fn scope_for(profile: ExportProfile, trust: ContactTrust) -> ConsentScope {
    match (profile, trust) {
        (ExportProfile::Anonymised, _) => ConsentScope::PublishAnonymised,
        (ExportProfile::Full, ContactTrust::Organisation) => ConsentScope::StoreInternally,
        (ExportProfile::Full, ContactTrust::Partner) => ConsentScope::ShareWithPartner,
    }
}

/// Whether `t`'s consent allows `scope`.
pub(crate) fn check(t: &Testimony, scope: ConsentScope) -> Result<(), ConsentProblem> {
    if t.consents.is_empty() {
        return Err(ConsentProblem::NoConsent);
    }
    // Each person's latest consent (None: the testifier): every record of their highest
    // version. Two records of one version (the app once numbered every new record 1) both
    // count, so the more restrictive wins; a withdrawn one among them withdraws it, even
    // when it is that person's only record (a withdrawal must never be outvoted by another
    // person's grant).
    let mut highest: BTreeMap<_, u32> = BTreeMap::new();
    for c in &t.consents {
        let v = highest.entry(c.person).or_insert(c.version);
        *v = (*v).max(c.version);
    }
    let latest: Vec<_> = t
        .consents
        .iter()
        .filter(|c| highest.get(&c.person) == Some(&c.version))
        .collect();
    if latest.iter().any(|c| c.withdrawn_at.is_some()) {
        return Err(ConsentProblem::Withdrawn);
    }
    let mut worst = None;
    for c in &latest {
        let problem = match c.scopes.get(&scope) {
            Some(Decision::Granted) => continue,
            Some(Decision::Refused) => ConsentProblem::Refused,
            Some(Decision::Conditional) => ConsentProblem::Conditional,
            None => ConsentProblem::NotAsked,
        };
        // A refusal says more than a missing answer.
        if worst != Some(ConsentProblem::Refused) {
            worst = Some(problem);
        }
    }
    worst.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testimony(consents: &str) -> Testimony {
        Testimony::from_json(&format!(
            r#"{{"code": "T-1", "testifier": {{"names": [{{"name": "A"}}]}},
                "persons": [{{"id": "0190a1b2-0000-7000-8000-000000000001",
                              "names": [{{"name": "B"}}]}}],
                "consents": {consents}}}"#
        ))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_scope_is_allowed_only_when_every_current_consent_grants_it() {
        let scope = ConsentScope::PublishAnonymised;
        assert_eq!(
            check(&testimony("[]"), scope),
            Err(ConsentProblem::NoConsent)
        );
        let granted = testimony(r#"[{"scopes": {"publish_anonymised": "granted"}}]"#);
        assert_eq!(check(&granted, scope), Ok(()));
        assert_eq!(
            check(&granted, ConsentScope::ShareWithPartner),
            Err(ConsentProblem::NotAsked)
        );
        let refused = testimony(
            r#"[{"scopes": {"publish_anonymised": "granted"}},
                {"person": "0190a1b2-0000-7000-8000-000000000001",
                 "scopes": {"publish_anonymised": "refused"}}]"#,
        );
        assert_eq!(check(&refused, scope), Err(ConsentProblem::Refused));
        let conditional = testimony(r#"[{"scopes": {"publish_anonymised": "conditional"}}]"#);
        assert_eq!(check(&conditional, scope), Err(ConsentProblem::Conditional));
    }

    #[test]
    fn a_later_version_or_a_withdrawal_replaces_what_was_granted() {
        let scope = ConsentScope::ShareWithPartner;
        let narrowed = testimony(
            r#"[{"version": 1, "scopes": {"share_with_partner": "granted"}},
                {"version": 2, "scopes": {"share_with_partner": "refused"}}]"#,
        );
        assert_eq!(check(&narrowed, scope), Err(ConsentProblem::Refused));
        let withdrawn = testimony(
            r#"[{"version": 1, "scopes": {"share_with_partner": "granted"}},
                {"version": 2, "withdrawn_at": "2025-03", "scopes": {"share_with_partner": "granted"}}]"#,
        );
        assert_eq!(check(&withdrawn, scope), Err(ConsentProblem::Withdrawn));
        let only_withdrawn =
            testimony(r#"[{"withdrawn_at": "2025", "scopes": {"share_with_partner": "granted"}}]"#);
        assert_eq!(
            check(&only_withdrawn, scope),
            Err(ConsentProblem::Withdrawn)
        );
    }

    /// Review findings 01 and 15: one person's withdrawal is not outvoted by another person's
    /// grant, and two records of the same version count both (the more restrictive wins).
    #[test]
    fn a_withdrawal_beside_another_persons_grant_and_a_tie_in_versions_keep_it_out() {
        let scope = ConsentScope::ShareWithPartner;
        let testifier_withdrew = testimony(
            r#"[{"withdrawn_at": "2025-03", "scopes": {"share_with_partner": "granted"}},
                {"person": "0190a1b2-0000-7000-8000-000000000001",
                 "scopes": {"share_with_partner": "granted"}}]"#,
        );
        assert_eq!(
            check(&testifier_withdrew, scope),
            Err(ConsentProblem::Withdrawn)
        );
        let tie = testimony(
            r#"[{"scopes": {"share_with_partner": "granted"}},
                {"scopes": {"share_with_partner": "refused"}}]"#,
        );
        assert_eq!(check(&tie, scope), Err(ConsentProblem::Refused));
        let regranted = testimony(
            r#"[{"version": 1, "withdrawn_at": "2024", "scopes": {"share_with_partner": "granted"}},
                {"version": 2, "scopes": {"share_with_partner": "granted"}}]"#,
        );
        assert_eq!(check(&regranted, scope), Ok(()));
    }
}
