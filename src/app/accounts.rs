//! Staff accounts and their sessions, for the CLI (`pengaduan users …`) and the web alike:
//! adding, listing, disabling, changing a password, logging in and out. Each change is one
//! transaction with its audit event (`events`, complaint_id NULL, the account as actor).
//! The rules are PURE functions (`login_verdict`, `freshness`); the rest carries them out.

use std::fmt;

use anyhow::Context;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use ring::rand::SecureRandom;

use crate::calendar::WIB;
use crate::clock::Clock;
use crate::domain::account::InvalidAccountName;
use crate::domain::{AccountName, Role};
use crate::store::accounts::AccountRow;
use crate::store::{SharedStore, Tx};

/// Why an account action failed. The CLI prints the message; the web maps the variant to
/// a status code (`NotFound` 404, `Exists` 409, `InvalidName`/`WeakPassword` 422).
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("nama akun tidak sah: gunakan 2–32 huruf kecil, angka, '.', '_' atau '-', diawali huruf (mis. siti.aminah)")]
    InvalidName(#[from] InvalidAccountName),
    #[error("peran {0:?} tidak dikenal: pilih petugas, kepala, mutu atau admin")]
    InvalidRole(String),
    #[error(
        "kata sandi terlalu pendek: paling sedikit {} karakter",
        Password::MIN_CHARS
    )]
    WeakPassword,
    #[error(
        "kata sandi terlalu panjang: paling banyak {} karakter",
        Password::MAX_CHARS
    )]
    LongPassword,
    #[error("akun {0} tidak ada")]
    NotFound(AccountName),
    #[error("akun {0} sudah ada")]
    Exists(AccountName),
    #[error("akun {0} sudah nonaktif")]
    AlreadyDisabled(AccountName),
    #[error("kesalahan basis data: {0:#}")]
    Store(#[from] anyhow::Error),
}

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown name, wrong password and disabled account look the same from outside.
    #[error("Nama pengguna atau kata sandi salah.")]
    Invalid,
    #[error("Terlalu banyak percobaan masuk yang gagal. Coba lagi setelah pukul {}.", until.with_timezone(&WIB).format("%H.%M WIB"))]
    RateLimited { until: DateTime<Utc> },
    #[error("kesalahan basis data: {0:#}")]
    Store(#[from] anyhow::Error),
}

/// A password as typed. Never printed: `Debug` hides it.
#[derive(Clone)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    /// Argon2 takes any length; the cap keeps one login from hashing a megabyte.
    pub const MAX_CHARS: usize = 128;

    /// For a new password: the length rules apply.
    pub fn new(s: &str) -> Result<Password, AccountError> {
        match s.chars().count() {
            n if n < Self::MIN_CHARS => Err(AccountError::WeakPassword),
            n if n > Self::MAX_CHARS => Err(AccountError::LongPassword),
            _ => Ok(Password(s.to_string())),
        }
    }

    /// As typed at login: no rules, any length is only compared.
    pub fn typed(s: &str) -> Password {
        Password(s.chars().take(Self::MAX_CHARS + 1).collect())
    }
}

/// How many failed logins are allowed in `window` before further tries wait.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub per_account: usize,
    pub per_address: usize,
    pub window: Duration,
}

/// Five tries per account and twenty per address in a quarter of an hour: enough for a
/// member of staff who mistypes, far too few to guess a password of eight characters.
pub const LOGIN_POLICY: LoginPolicy = LoginPolicy {
    per_account: 5,
    per_address: 20,
    window: Duration::minutes(15),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginVerdict {
    Allow,
    /// Refused without looking at the password, until then.
    Wait {
        until: DateTime<Utc>,
    },
}

/// PURE: whether a login may be tried now, given the times of the failed logins for the
/// typed name and from the address (any order). A sliding window: a try is refused while
/// `limit` failures lie within the last `window`, until the oldest of them leaves it.
pub fn login_verdict(
    account_failures: &[DateTime<Utc>],
    address_failures: &[DateTime<Utc>],
    now: DateTime<Utc>,
    policy: &LoginPolicy,
) -> LoginVerdict {
    let blocked_until = |failures: &[DateTime<Utc>], limit: usize| {
        let mut recent: Vec<_> = failures
            .iter()
            .filter(|t| **t <= now && now - **t < policy.window)
            .copied()
            .collect();
        recent.sort();
        // The failure that brought the count to the limit; it leaves the window last.
        (limit > 0 && recent.len() >= limit).then(|| recent[recent.len() - limit] + policy.window)
    };
    match blocked_until(account_failures, policy.per_account)
        .max(blocked_until(address_failures, policy.per_address))
    {
        Some(until) => LoginVerdict::Wait { until },
        None => LoginVerdict::Allow,
    }
}

/// Where a session stands after `idle` without a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Valid, seen recently: nothing to write.
    Fresh,
    /// Valid; record the request as its last activity.
    Touch,
    Expired,
}

/// A session's `last_seen` is written at most this often, so reading pages is not a write
/// per request; the idle expiry is therefore exact to within this much.
pub const TOUCH_EVERY: Duration = Duration::minutes(1);

/// PURE: the session's state at `now`.
pub fn freshness(last_seen: DateTime<Utc>, now: DateTime<Utc>, idle: Duration) -> Freshness {
    let quiet = now - last_seen;
    if quiet >= idle {
        Freshness::Expired
    } else if quiet >= TOUCH_EVERY {
        Freshness::Touch
    } else {
        Freshness::Fresh
    }
}

/// A logged-in member of staff, as every page sees them.
#[derive(Debug, Clone)]
pub struct Session {
    pub name: AccountName,
    pub role: Role,
    /// The token every form of this session carries (`app::accounts` keeps it in SQLite).
    pub csrf: String,
    token_hash: String,
}

/// A new session: `token` goes into the cookie and is nowhere stored as it is.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub session: Session,
}

/// 256 random bits as hex: session tokens, CSRF tokens.
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system's random number generator failed"))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The session table holds this, never the token: a copy of the database lets nobody in.
fn token_hash(token: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

/// Argon2id with the crate's defaults (OWASP: 19 MiB, 2 passes, 1 lane), on the blocking
/// pool: a hash takes tens of milliseconds of one core.
async fn hash(password: Password) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.0.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
    })
    .await
    .context("the hashing task ended unexpectedly")?
    .map_err(AccountError::Store)
}

/// Compares against `stored`, or against a hash of nothing when the account does not
/// exist, so the time taken does not tell which names exist.
async fn verify(password: Password, stored: Option<String>) -> anyhow::Result<bool> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| {
                    Argon2::default()
                        .hash_password(b"no such account")
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let ok = Argon2::default()
            .verify_password(password.0.as_bytes(), stored.as_str())
            .is_ok();
        known && ok
    })
    .await
    .context("the password check ended unexpectedly")
}

pub async fn list(store: &SharedStore) -> anyhow::Result<Vec<AccountRow>> {
    store.run(|s| s.accounts()).await
}

/// One account change and its audit event, in one transaction. `change` returns why it
/// cannot be done (nothing is written then).
async fn audited<F>(
    store: &SharedStore,
    clock: &dyn Clock,
    actor: &str,
    kind: &'static str,
    detail: String,
    change: F,
) -> Result<(), AccountError>
where
    F: FnOnce(&Tx<'_>, DateTime<Utc>) -> anyhow::Result<Result<(), AccountError>> + Send + 'static,
{
    let (now, actor) = (clock.now(), actor.to_string());
    store
        .run(move |s| {
            let tx = s.transaction()?;
            if let Err(refused) = change(&tx, now)? {
                return Ok(Err(refused));
            }
            tx.add_event(None, now, &actor, kind, &detail)?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await?
}

pub async fn add(
    store: &SharedStore,
    clock: &dyn Clock,
    actor: &str,
    name: AccountName,
    role: Role,
    password: Password,
) -> Result<(), AccountError> {
    let hashed = hash(password).await?;
    let detail = format!("{name} ({role})");
    audited(
        store,
        clock,
        actor,
        "account_added",
        detail,
        move |tx, now| {
            Ok(match tx.insert_account(&name, role, &hashed, now)? {
                true => Ok(()),
                false => Err(AccountError::Exists(name)),
            })
        },
    )
    .await
}

pub async fn disable(
    store: &SharedStore,
    clock: &dyn Clock,
    actor: &str,
    name: AccountName,
) -> Result<(), AccountError> {
    let detail = name.to_string();
    audited(
        store,
        clock,
        actor,
        "account_disabled",
        detail,
        move |tx, now| {
            Ok(match tx.disable_account(&name, now)? {
                Some(true) => Ok(()),
                Some(false) => Err(AccountError::AlreadyDisabled(name)),
                None => Err(AccountError::NotFound(name)),
            })
        },
    )
    .await
}

/// Sets a new password; the account's open sessions end.
pub async fn set_password(
    store: &SharedStore,
    clock: &dyn Clock,
    actor: &str,
    name: AccountName,
    password: Password,
) -> Result<(), AccountError> {
    let hashed = hash(password).await?;
    let detail = name.to_string();
    audited(
        store,
        clock,
        actor,
        "password_changed",
        detail,
        move |tx, now| {
            Ok(match tx.set_password(&name, &hashed, now)? {
                true => Ok(()),
                false => Err(AccountError::NotFound(name)),
            })
        },
    )
    .await
}

/// Checks the rate limit, then the password; a success opens a session, a failure is
/// counted and audited. `address` is the client's IP address as the web layer sees it.
pub async fn login(
    store: &SharedStore,
    clock: &dyn Clock,
    typed_name: &str,
    password: Password,
    address: &str,
) -> Result<NewSession, LoginError> {
    let now = clock.now();
    // Failures are counted under the name as typed (shortened), valid or not, so guessing
    // at names is limited too.
    let typed: String = typed_name
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(AccountName::MAX_CHARS)
        .collect();
    let name = AccountName::parse(&typed).ok();
    let (t, a, n) = (typed.clone(), address.to_string(), name.clone());
    let (failures, credentials) = store
        .run(move |s| {
            let failures = s.login_failures(&t, &a, now - LOGIN_POLICY.window)?;
            let credentials = n.map(|n| s.credentials(&n)).transpose()?.flatten();
            Ok((failures, credentials))
        })
        .await?;
    if let LoginVerdict::Wait { until } =
        login_verdict(&failures.account, &failures.address, now, &LOGIN_POLICY)
    {
        return Err(LoginError::RateLimited { until });
    }
    let usable = credentials.filter(|c| !c.disabled);
    let ok = verify(password, usable.as_ref().map(|c| c.password_hash.clone())).await?;
    let address = address.to_string();
    match usable.filter(|_| ok) {
        None => {
            store
                .run(move |s| {
                    let tx = s.transaction()?;
                    tx.record_login_failure(&typed, &address, now)?;
                    tx.add_event(
                        None,
                        now,
                        &typed,
                        "login_failed",
                        &format!("dari {address}"),
                    )?;
                    tx.commit()
                })
                .await?;
            Err(LoginError::Invalid)
        }
        Some(c) => {
            let token = random_token()?;
            let session = Session {
                name: c.name.clone(),
                role: c.role,
                csrf: random_token()?,
                token_hash: token_hash(&token),
            };
            let s2 = session.clone();
            store
                .run(move |s| {
                    let tx = s.transaction()?;
                    tx.insert_session(&s2.token_hash, c.id, &s2.csrf, now)?;
                    tx.clear_login_failures(&typed)?;
                    tx.add_event(
                        None,
                        now,
                        c.name.as_str(),
                        "login",
                        &format!("dari {address}"),
                    )?;
                    tx.commit()
                })
                .await?;
            Ok(NewSession { token, session })
        }
    }
}

/// The session of a cookie's token, if it is valid at `now`; an expired one is deleted.
pub async fn session(
    store: &SharedStore,
    clock: &dyn Clock,
    token: &str,
    idle: Duration,
) -> anyhow::Result<Option<Session>> {
    let now = clock.now();
    let hash = token_hash(token);
    store
        .run(move |s| {
            let Some(record) = s.session(&hash)? else {
                return Ok(None);
            };
            let fresh = freshness(record.last_seen, now, idle);
            if fresh != Freshness::Fresh {
                // At most once a minute per active session: also forget abandoned sessions
                // and failed logins past the window, so both tables stay small.
                let tx = s.transaction()?;
                tx.prune_logins(now - idle, now - LOGIN_POLICY.window)?;
                if fresh == Freshness::Expired {
                    tx.delete_session(&hash)?;
                } else {
                    tx.touch_session(&hash, now)?;
                }
                tx.commit()?;
            }
            Ok((fresh != Freshness::Expired).then_some(Session {
                name: record.name,
                role: record.role,
                csrf: record.csrf,
                token_hash: hash,
            }))
        })
        .await
}

pub async fn logout(
    store: &SharedStore,
    clock: &dyn Clock,
    session: &Session,
) -> anyhow::Result<()> {
    let now = clock.now();
    let s2 = session.clone();
    store
        .run(move |s| {
            let tx = s.transaction()?;
            tx.delete_session(&s2.token_hash)?;
            tx.add_event(None, now, s2.name.as_str(), "logout", "")?;
            tx.commit()
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap() + Duration::minutes(m)
    }

    #[test]
    fn login_rate_limit() {
        let p = LoginPolicy {
            per_account: 3,
            per_address: 5,
            window: Duration::minutes(15),
        };
        let allow = LoginVerdict::Allow;
        let wait = |m| LoginVerdict::Wait { until: t(m) };
        // (failures for the name, failures from the address, now, verdict)
        let cases: &[(&[i64], &[i64], i64, LoginVerdict)] = &[
            (&[], &[], 0, allow),
            (&[0, 1], &[0, 1], 2, allow),
            // The third failure of the name within 15 minutes blocks it until the first leaves.
            (&[0, 1, 2], &[0, 1, 2], 3, wait(15)),
            (&[2, 0, 1], &[], 14, wait(15)),
            (&[0, 1, 2], &[], 15, allow),
            // Four failures: blocked until the second one leaves the window.
            (&[0, 1, 2, 3], &[], 15, wait(16)),
            // Old failures do not count.
            (&[-30, -20, 0], &[], 1, allow),
            // Many names from one address: the address limit.
            (&[4], &[0, 1, 2, 3, 4], 5, wait(15)),
            (&[4], &[0, 1, 2, 3], 5, allow),
            // Both blocked: the later of the two.
            (&[2, 3, 10], &[0, 1, 2, 3, 4], 11, wait(17)),
            // A failure recorded "in the future" (clock set back) is ignored.
            (&[20, 21, 22], &[], 0, allow),
        ];
        for (account, address, now, expected) in cases {
            let a: Vec<_> = account.iter().map(|m| t(*m)).collect();
            let b: Vec<_> = address.iter().map(|m| t(*m)).collect();
            assert_eq!(
                login_verdict(&a, &b, t(*now), &p),
                *expected,
                "{account:?} {address:?} at {now}"
            );
        }
    }

    #[test]
    fn session_freshness() {
        let idle = Duration::minutes(60);
        for (quiet_secs, expected) in [
            (0, Freshness::Fresh),
            (59, Freshness::Fresh),
            (60, Freshness::Touch),
            (59 * 60 + 59, Freshness::Touch),
            (60 * 60, Freshness::Expired),
            (10 * 60 * 60, Freshness::Expired),
        ] {
            assert_eq!(
                freshness(t(0), t(0) + Duration::seconds(quiet_secs), idle),
                expected,
                "{quiet_secs} s"
            );
        }
    }

    #[test]
    fn password_rules_and_secrecy() {
        assert!(matches!(
            Password::new("pendek"),
            Err(AccountError::WeakPassword)
        ));
        assert!(matches!(
            Password::new(&"x".repeat(129)),
            Err(AccountError::LongPassword)
        ));
        let p = Password::new("rahasia-sekali").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert_eq!(Password::typed(&"x".repeat(500)).0.len(), 129);
    }
}
