//! The tables of records that never leave the vault: contacts and transfers.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::Store;
use crate::error::{Error, Result};
use crate::model::{Contact, ContactInfo, Revision, Transfer, TransferDirection};

fn live_state(rev: &Revision) -> Option<&Value> {
    rev.state.as_ref().filter(|_| !rev.op.removes())
}

pub(super) fn reindex_contact(
    conn: &Connection,
    id: &str,
    rev: &Revision,
    what: &dyn Fn() -> String,
) -> Result<()> {
    conn.execute("DELETE FROM contacts WHERE id = ?1", [id])?;
    let Some(v) = live_state(rev) else {
        return Ok(());
    };
    let c = Contact::deserialize(v)
        .map_err(|e| Error::tampered(what(), format!("its state is not a contact: {e}")))?;
    let card = c
        .parsed_card()
        .map_err(|e| Error::tampered(what(), format!("its card is not valid: {e}")))?;
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM contacts WHERE lower(name) = lower(?1)
                        OR signing_key = ?2)",
        params![c.name, hex::encode(card.verifying_key().as_bytes())],
        |r| r.get(0),
    )?;
    if taken {
        return Err(Error::tampered(
            what(),
            "another contact has its name or its key",
        ));
    }
    conn.execute(
        "INSERT INTO contacts (id, name, signing_key, json) VALUES (?1, ?2, ?3, ?4)",
        params![
            id,
            c.name,
            hex::encode(card.verifying_key().as_bytes()),
            serde_json::to_string(&c).map_err(|e| Error::Internal(e.to_string()))?
        ],
    )?;
    Ok(())
}

pub(super) fn reindex_transfer(
    conn: &Connection,
    id: &str,
    rev: &Revision,
    what: &dyn Fn() -> String,
) -> Result<()> {
    conn.execute("DELETE FROM transfers WHERE id = ?1", [id])?;
    let Some(v) = live_state(rev) else {
        return Ok(());
    };
    let t = Transfer::deserialize(v)
        .map_err(|e| Error::tampered(what(), format!("its state is not a transfer: {e}")))?;
    conn.execute(
        "INSERT INTO transfers (id, direction, manifest_sha256, exporter, seq, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id,
            t.direction.as_str(),
            t.manifest_sha256,
            t.exporter,
            i64::try_from(t.seq).unwrap_or(i64::MAX),
            serde_json::to_string(&t).map_err(|e| Error::Internal(e.to_string()))?
        ],
    )?;
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("stored record: {e}"))
}

impl Store {
    /// Every contact, by name.
    pub(crate) fn contacts(&self) -> Result<Vec<(Uuid, Contact)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, json FROM contacts ORDER BY lower(name), id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|r| {
            let (id, json) = r?;
            Ok((
                Uuid::parse_str(&id).map_err(internal)?,
                serde_json::from_str(&json).map_err(internal)?,
            ))
        })
        .collect()
    }

    pub(crate) fn contact_infos(&self) -> Result<Vec<ContactInfo>> {
        self.contacts()?
            .into_iter()
            .map(|(id, c)| ContactInfo::new(id, c))
            .collect()
    }

    /// The contact whose signing key is `key_hex`, if any.
    pub(crate) fn contact_by_key(&self, key_hex: &str) -> Result<Option<(Uuid, Contact)>> {
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT id, json FROM contacts WHERE signing_key = ?1",
                [key_hex],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(id, json)| {
            Ok((
                Uuid::parse_str(&id).map_err(internal)?,
                serde_json::from_str(&json).map_err(internal)?,
            ))
        })
        .transpose()
    }

    /// Transfers in one direction, oldest bundle first (by the exporter's number).
    pub(crate) fn transfers(&self, direction: TransferDirection) -> Result<Vec<(Uuid, Transfer)>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, json FROM transfers WHERE direction = ?1 ORDER BY exporter, seq, id",
        )?;
        let rows = stmt.query_map([direction.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|r| {
            let (id, json) = r?;
            Ok((
                Uuid::parse_str(&id).map_err(internal)?,
                serde_json::from_str(&json).map_err(internal)?,
            ))
        })
        .collect()
    }

    /// Whether a bundle with this manifest hash was already imported.
    pub(crate) fn imported(&self, manifest_sha256: &str) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM transfers WHERE direction = 'import'
                            AND manifest_sha256 = ?1)",
            [manifest_sha256],
            |r| r.get(0),
        )?)
    }
}
