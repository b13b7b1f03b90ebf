//! Staff accounts, browser sessions and failed logins (tables of migration 4), the addresses
//! each name logged in from and the server secret (the login-hardening migration). Rows come
//! out typed; the rules (throttling, inactivity, who may do what) live in `app::accounts`.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{opt_time, time, word, Store, Tx};
use crate::clock::to_db;
use crate::domain::{AccountName, Role};

/// An account as `users list` and the account page show it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRow {
    pub name: AccountName,
    pub role: Role,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What a login needs to decide.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: i64,
    pub name: AccountName,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
}

/// A live session with its (enabled) account.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub name: AccountName,
    pub role: Role,
    pub csrf: String,
    pub last_seen: DateTime<Utc>,
}

/// The recent failed logins that bear on one attempt (`Store::login_failures`). Failures
/// from a browser with a device cookie are in `device` only.
#[derive(Debug, Clone, Default)]
pub struct LoginFailures {
    /// Every failure from this address without a device cookie, whatever the name.
    pub address: Vec<DateTime<Utc>>,
    /// The typed name's failures without a device cookie, from every address: (when, address).
    pub account: Vec<(DateTime<Utc>, String)>,
    /// The failures of this device cookie (its nonce), if the browser sent one for the name.
    pub device: Vec<DateTime<Utc>>,
}

impl Store {
    pub fn accounts(&self) -> Result<Vec<AccountRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, role, disabled_at, created_at FROM accounts ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(AccountRow {
                name: word(r, 0)?,
                role: word(r, 1)?,
                disabled_at: opt_time(r, 2)?,
                created_at: time(r, 3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn credentials(&self, name: &AccountName) -> Result<Option<Credentials>> {
        credentials(&self.conn, name)
    }

    /// The session of this token hash, if its account is still enabled.
    pub fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT a.name, a.role, s.csrf, s.last_seen FROM sessions s
                 JOIN accounts a ON a.id = s.account_id
                 WHERE s.token_hash = ?1 AND a.disabled_at IS NULL",
            )?
            .query_row([token_hash], |r| {
                Ok(SessionRecord {
                    name: word(r, 0)?,
                    role: word(r, 1)?,
                    csrf: r.get(2)?,
                    last_seen: time(r, 3)?,
                })
            })
            .optional()?)
    }

    /// The server's HMAC key, made from `fresh` by the first caller and the same ever after
    /// (also when two processes race: the first insert wins, both read it back).
    pub fn server_key(&mut self, fresh: &[u8], now: DateTime<Utc>) -> Result<Vec<u8>> {
        let tx = self.transaction()?;
        tx.exec(
            "INSERT INTO server_secret (id, key, created_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO NOTHING",
            params![fresh, to_db(now)],
        )?;
        let key: Vec<u8> = tx.row("SELECT key FROM server_secret WHERE id = 1", [], |r| {
            r.get(0)
        })?;
        tx.commit()?;
        Ok(key)
    }
}

impl Tx<'_> {
    /// The failed logins since `since` that bear on a try of `account` from `address`,
    /// with the device cookie's nonce if the browser sent one for that name.
    pub fn login_failures(
        &self,
        account: &str,
        address: &str,
        device: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<LoginFailures> {
        let since = to_db(since);
        let mut stmt = self.tx.prepare_cached(
            "SELECT at FROM login_failures
             WHERE address = ?1 AND device IS NULL AND at >= ?2 ORDER BY at",
        )?;
        let address = stmt
            .query_map(params![address, since], |r| time(r, 0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self.tx.prepare_cached(
            "SELECT at, address FROM login_failures
             WHERE account = ?1 AND device IS NULL AND at >= ?2 ORDER BY at",
        )?;
        let account = stmt
            .query_map(params![account, since], |r| Ok((time(r, 0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let device = match device {
            None => Vec::new(),
            Some(nonce) => {
                let mut stmt = self.tx.prepare_cached(
                    "SELECT at FROM login_failures WHERE device = ?1 AND at >= ?2 ORDER BY at",
                )?;
                let rows = stmt.query_map(params![nonce, since], |r| time(r, 0))?;
                rows.collect::<rusqlite::Result<_>>()?
            }
        };
        Ok(LoginFailures {
            address,
            account,
            device,
        })
    }

    /// Whether `account` logged in from `address` before (and not longer ago than pruning).
    pub fn known_login(&self, account: &str, address: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM known_logins WHERE account = ?1 AND address = ?2")?
            .exists(params![account, address])?)
    }

    pub fn credentials(&self, name: &AccountName) -> Result<Option<Credentials>> {
        credentials(&self.tx, name)
    }

    /// False when an account of that name exists already.
    pub fn insert_account(
        &self,
        name: &AccountName,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self.exec(
            "INSERT INTO accounts (name, role, password_hash, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (name) DO NOTHING",
            params![name.as_str(), role.as_str(), password_hash, to_db(now)],
        )?;
        Ok(n == 1)
    }

    /// Sets the password and ends the account's sessions. False when there is no such account.
    pub fn set_password(
        &self,
        name: &AccountName,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self.exec(
            "UPDATE accounts SET password_hash = ?2, updated_at = ?3 WHERE name = ?1",
            params![name.as_str(), password_hash, to_db(now)],
        )?;
        self.end_sessions_of(name)?;
        Ok(n == 1)
    }

    /// Disables the account and ends its sessions. `None`: no such account; `Some(false)`:
    /// it was disabled already.
    pub fn disable_account(&self, name: &AccountName, now: DateTime<Utc>) -> Result<Option<bool>> {
        let exists: Option<bool> = self
            .row(
                "SELECT disabled_at IS NULL FROM accounts WHERE name = ?1",
                [name.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        if exists == Some(true) {
            self.exec(
                "UPDATE accounts SET disabled_at = ?2, updated_at = ?2 WHERE name = ?1",
                params![name.as_str(), to_db(now)],
            )?;
            self.end_sessions_of(name)?;
        }
        Ok(exists)
    }

    fn end_sessions_of(&self, name: &AccountName) -> Result<()> {
        self.exec(
            "DELETE FROM sessions WHERE account_id = (SELECT id FROM accounts WHERE name = ?1)",
            [name.as_str()],
        )?;
        Ok(())
    }

    pub fn insert_session(
        &self,
        token_hash: &str,
        account_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO sessions (token_hash, account_id, csrf, created_at, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![token_hash, account_id, csrf, to_db(now)],
        )?;
        Ok(())
    }

    pub fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
            params![token_hash, to_db(now)],
        )?;
        Ok(())
    }

    pub fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.exec("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// Forgets sessions idle since before `idle_before`, failed logins before
    /// `failures_before` and addresses a name has not logged in from since `known_before`.
    pub fn prune_logins(
        &self,
        idle_before: DateTime<Utc>,
        failures_before: DateTime<Utc>,
        known_before: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "DELETE FROM sessions WHERE last_seen < ?1",
            [to_db(idle_before)],
        )?;
        self.exec(
            "DELETE FROM login_failures WHERE at < ?1",
            [to_db(failures_before)],
        )?;
        self.exec(
            "DELETE FROM known_logins WHERE last_at < ?1",
            [to_db(known_before)],
        )?;
        Ok(())
    }

    /// A failed login; `device` is the nonce of the browser's device cookie for the name.
    pub fn record_login_failure(
        &self,
        account: &str,
        address: &str,
        device: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO login_failures (at, account, address, device) VALUES (?1, ?2, ?3, ?4)",
            params![to_db(now), account, address, device],
        )?;
        Ok(())
    }

    /// A successful login: the name's failures from this address and from this device
    /// start afresh, and the address is known for the name. Failures from other addresses
    /// stay: they are someone else's, and still count against them.
    pub fn record_login(
        &self,
        account: &str,
        address: &str,
        device: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "DELETE FROM login_failures WHERE account = ?1 AND address = ?2 AND device IS NULL",
            params![account, address],
        )?;
        if let Some(nonce) = device {
            self.exec("DELETE FROM login_failures WHERE device = ?1", [nonce])?;
        }
        self.exec(
            "INSERT INTO known_logins (account, address, last_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (account, address) DO UPDATE SET last_at = excluded.last_at",
            params![account, address, to_db(now)],
        )?;
        Ok(())
    }
}

fn credentials(conn: &rusqlite::Connection, name: &AccountName) -> Result<Option<Credentials>> {
    Ok(conn
        .query_row(
            "SELECT id, name, role, password_hash, disabled_at IS NOT NULL FROM accounts WHERE name = ?1",
            [name.as_str()],
            |r| {
                Ok(Credentials {
                    id: r.get(0)?,
                    name: word(r, 1)?,
                    role: word(r, 2)?,
                    password_hash: r.get(3)?,
                    disabled: r.get(4)?,
                })
            },
        )
        .optional()?)
}
