//! Hide now, erase later (docs/erasure.md §5). A witness may be forced to retract, and an
//! organisation may need a few days to reach them safely: "Withdraw" hides the testimony from
//! every list, search and export of this vault at once, and erases it on the first opening on
//! or after the day chosen — unless this vault's user keeps it first (the organisation
//! confirmed the witness wants it kept), which shows it again.

use serde::Serialize;
use uuid::Uuid;

use crate::erase::ErasureReport;
use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{Op, RecordKind, Withdrawal};
use crate::records::check_reason;
use crate::store::PendingWithdrawal;
use crate::vault::Vault;

/// The longest wait a withdrawal may have before its erasure, in days.
pub const WITHDRAWAL_DAYS_MAX: u32 = 90;

/// A withdrawal waiting to be erased, as the app lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Withdrawn {
    /// The testimony.
    pub id: Uuid,
    pub code: String,
    pub reason: String,
    /// The day (UTC, `YYYY-MM-DD`) from which it is erased.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub erase_on: jiff::civil::Date,
    /// Whether that day has come (it is erased on the next opening).
    pub due: bool,
}

/// The revision that ends a pending withdrawal (kept, or erased), for `why`.
pub(crate) fn ended(pending: PendingWithdrawal, why: &str) -> Draft {
    Draft {
        record: pending.record,
        kind: RecordKind::Withdrawal,
        op: Op::Delete,
        parents: pending.heads,
        reason: Some(why.to_string()),
        state: None,
    }
}

pub(crate) fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

impl Vault {
    /// Hides testimony `id` now and erases it on the first opening `days` days from today
    /// (1 to `WITHDRAWAL_DAYS_MAX`) or later, for `reason`, unless it is kept first.
    /// `typed_code` confirms, as for `erase`. Links other testimonies' persons had to its
    /// persons are removed at once (as a deletion does; keeping it does not bring them back).
    pub fn withdraw(
        &mut self,
        id: Uuid,
        typed_code: &str,
        reason: &str,
        days: u32,
    ) -> Result<Withdrawn> {
        let reason = check_reason(Some(reason))?
            .ok_or_else(|| Error::invalid("reason", "is required to withdraw"))?;
        if !(1..=WITHDRAWAL_DAYS_MAX).contains(&days) {
            return Err(Error::invalid(
                "days",
                format!("must be from 1 to {WITHDRAWAL_DAYS_MAX}"),
            ));
        }
        // A deleted or withdrawn testimony is hidden already: erase it instead.
        self.store.testimony(id)?;
        self.confirmed(id, typed_code)?;
        let erase_on = today()
            .checked_add(jiff::Span::new().days(i64::from(days)))
            .map_err(|e| Error::Internal(e.to_string()))?;
        let withdrawal = Withdrawal {
            testimony: id,
            erase_on,
            reason,
        };
        let mut drafts = self.unlink_drafts(id)?;
        drafts.push(Draft {
            record: Uuid::now_v7(),
            kind: RecordKind::Withdrawal,
            op: Op::Create,
            parents: Vec::new(),
            reason: None,
            state: Some(
                serde_json::to_value(&withdrawal).map_err(|e| Error::Internal(e.to_string()))?,
            ),
        });
        self.commit(drafts)?;
        self.withdrawn(id)
    }

    /// Every withdrawal waiting to be erased here.
    pub fn pending_withdrawals(&self) -> Result<Vec<Withdrawn>> {
        let today = today();
        let mut out = Vec::new();
        for p in self.store.pending_withdrawals()? {
            let w = p.withdrawal;
            out.push(Withdrawn {
                id: w.testimony,
                code: self.last_code(w.testimony)?,
                reason: w.reason,
                erase_on: w.erase_on,
                due: w.erase_on <= today,
            });
        }
        out.sort_by(|a, b| (a.erase_on, &a.code).cmp(&(b.erase_on, &b.code)));
        Ok(out)
    }

    fn withdrawn(&self, id: Uuid) -> Result<Withdrawn> {
        self.pending_withdrawals()?
            .into_iter()
            .find(|w| w.id == id)
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// Keeps withdrawn testimony `id` (the organisation confirmed the witness wants it kept):
    /// it is not erased and shows again, as it was. `reason` (required) says why.
    pub fn keep_withdrawn(&mut self, id: Uuid, reason: &str) -> Result<()> {
        let reason = check_reason(Some(reason))?
            .ok_or_else(|| Error::invalid("reason", "is required to keep a withdrawal"))?;
        let pending = self
            .store
            .pending_withdrawal(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        self.commit(vec![ended(pending, &reason)])?;
        Ok(())
    }

    /// Erases withdrawn testimony `id` now, for the reason given when it was withdrawn (its
    /// code was typed then).
    pub fn erase_withdrawn(&mut self, id: Uuid) -> Result<ErasureReport> {
        let pending = self
            .store
            .pending_withdrawal(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        let revisions = self.erasable(id)?;
        self.erase_confirmed(id, pending.withdrawal.reason, revisions)
    }

    /// Erases every withdrawn testimony whose day is `day` or before. Opening calls it with
    /// today (UTC). Returns how many.
    /// One that cannot be erased does not keep the others waiting: each is tried, and the
    /// first failure is returned after.
    pub fn erase_withdrawals_due(&mut self, day: jiff::civil::Date) -> Result<u64> {
        let mut n = 0;
        let mut failed = None;
        for w in self.pending_withdrawals()? {
            if w.erase_on <= day {
                match self.erase_withdrawn(w.id) {
                    Ok(_) => n += 1,
                    Err(e) => {
                        failed.get_or_insert(e);
                    }
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(n),
        }
    }
}
