//! Staff accounts and their sessions, for the CLI (`pengaduan users …`) and the web alike:
//! adding, listing, disabling, changing a password, logging in and out. Each change is one
//! transaction with its audit event (`events`, complaint_id NULL, the account as actor).
//! The rules are PURE functions (`login_verdict`, `freshness`); the rest carries them out.
//! The server secret ([`ServerSecret`]) signs the login form's token and the device cookies
//! that let a browser which logged in before past other people's failed logins.

use std::fmt;

use anyhow::Context;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use ring::hmac;
use ring::rand::SecureRandom;
use serde::Serialize;

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

/// Why a login was refused. The login page words each kind (templates/web/login.html);
/// these messages are for the log.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown name, wrong password and disabled account look the same from outside.
    #[error("wrong name or password")]
    Invalid,
    #[error("too many failed logins ({}): wait until {until}", why.as_str())]
    Throttled { until: DateTime<Utc>, why: Throttle },
    #[error("database error: {0:#}")]
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

/// How failed logins slow further tries (issue 18). Wrong passwords hold back the address
/// that sent them; a name attacked from many addresses gets a growing delay, never a lock;
/// a browser with a device cookie for the name answers only for its own failures.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Failures for one name from one address (or from one device cookie) in `window`.
    pub per_name_here: usize,
    /// Failures for any names from one address in `window`.
    pub per_address: usize,
    pub window: Duration,
    /// A name counts as attacked once its failures in `window` come from this many addresses.
    pub spread: usize,
    /// The name's delay at `spread` failures; it doubles with each further failure.
    pub first_delay: Duration,
    pub max_delay: Duration,
}

/// Five tries per name and twenty per address in a quarter of an hour: enough for a member
/// of staff who mistypes, far too few to guess a password of eight characters. From three
/// addresses on, each failure doubles the name's delay (2 s, 4 s, … at most 2 minutes),
/// which holds a spread-out guesser to a few hundred tries a day.
pub const LOGIN_POLICY: LoginPolicy = LoginPolicy {
    per_name_here: 5,
    per_address: 20,
    window: Duration::minutes(15),
    spread: 3,
    first_delay: Duration::seconds(2),
    max_delay: Duration::minutes(2),
};

/// Addresses a name logged in from are forgotten after this long without a login.
pub const KNOWN_ADDRESS_FOR: Duration = Duration::days(180);

/// Who is trying, as far as the throttle cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The browser holds a valid device cookie for the name: only that cookie's own
    /// failures can hold it back.
    Device,
    /// The name logged in from this address before: the name's delay does not apply.
    KnownAddress,
    Stranger,
}

/// Which count held a try back; the login page words each differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Throttle {
    /// Too many failures from this address, for this name or for any names.
    Address,
    /// The name is attacked from many addresses: a short, growing delay.
    Name,
    /// Too many failures from this device cookie.
    Device,
}

impl Throttle {
    /// For the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Throttle::Address => "alamat",
            Throttle::Name => "nama",
            Throttle::Device => "perangkat",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginVerdict {
    Allow,
    /// Refused without looking at the password, until then.
    Wait {
        until: DateTime<Utc>,
        why: Throttle,
    },
}

/// What the throttle knows about one try: the recent failures that bear on it.
#[derive(Debug, Clone, Default)]
pub struct LoginFacts {
    /// Failures from this address without a device cookie, any name.
    pub address: Vec<DateTime<Utc>>,
    /// The name's failures without a device cookie: (when, from which address).
    pub account: Vec<(DateTime<Utc>, String)>,
    /// This address, as `account`'s addresses are written.
    pub here: String,
    /// The device cookie's failures (empty without one).
    pub device: Vec<DateTime<Utc>>,
}

/// PURE: whether a try may go ahead now. Failures count within a sliding `window`
/// (failures "in the future", after the clock was set back, do not count):
/// - `Device`: refused while `per_name_here` of the cookie's own failures are in the window;
///   nobody else's failures matter.
/// - otherwise the address is held back while `per_name_here` failures of this name from
///   here, or `per_address` failures of any names from here, are in the window;
/// - and a `Stranger` also waits out the name's delay when its failures come from at least
///   `spread` addresses: `first_delay` after the latest, doubled for each failure beyond
///   `spread`, at most `max_delay`.
pub fn login_verdict(
    facts: &LoginFacts,
    standing: Standing,
    now: DateTime<Utc>,
    policy: &LoginPolicy,
) -> LoginVerdict {
    let recent = |failures: &mut dyn Iterator<Item = DateTime<Utc>>| {
        let mut r: Vec<_> = failures
            .filter(|t| *t <= now && now - *t < policy.window)
            .collect();
        r.sort();
        r
    };
    // The failure that brought the count to the limit leaves the window last.
    let blocked_until = |recent: &[DateTime<Utc>], limit: usize| {
        (limit > 0 && recent.len() >= limit).then(|| recent[recent.len() - limit] + policy.window)
    };
    let mut waits: Vec<(DateTime<Utc>, Throttle)> = Vec::new();
    if standing == Standing::Device {
        let device = recent(&mut facts.device.iter().copied());
        waits.extend(blocked_until(&device, policy.per_name_here).map(|u| (u, Throttle::Device)));
    } else {
        let here = recent(
            &mut facts
                .account
                .iter()
                .filter(|(_, a)| *a == facts.here)
                .map(|(t, _)| *t),
        );
        let address = recent(&mut facts.address.iter().copied());
        waits.extend(
            blocked_until(&here, policy.per_name_here)
                .max(blocked_until(&address, policy.per_address))
                .map(|u| (u, Throttle::Address)),
        );
    }
    if standing == Standing::Stranger {
        let in_window: Vec<&(DateTime<Utc>, String)> = facts
            .account
            .iter()
            .filter(|(t, _)| *t <= now && now - *t < policy.window)
            .collect();
        let addresses: std::collections::BTreeSet<&str> =
            in_window.iter().map(|(_, a)| a.as_str()).collect();
        if addresses.len() >= policy.spread {
            let beyond = (in_window.len() - policy.spread).min(20) as u32;
            let delay = (policy.first_delay * 2i32.pow(beyond)).min(policy.max_delay);
            if let Some(latest) = in_window.iter().map(|(t, _)| *t).max() {
                waits.push((latest + delay, Throttle::Name));
            }
        }
    }
    match waits
        .into_iter()
        .filter(|(u, _)| *u > now)
        .max_by_key(|(u, _)| *u)
    {
        Some((until, why)) => LoginVerdict::Wait { until, why },
        None => LoginVerdict::Allow,
    }
}

/// The address the throttle counts under: an IPv6 client is its /64 (one customer's
/// network, where every address is theirs to use), anything else as it is.
pub fn throttle_key(address: &str) -> String {
    match address
        .parse::<std::net::IpAddr>()
        .map(|a| a.to_canonical())
    {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
        Ok(v4) => v4.to_string(),
        Err(_) => address.to_string(),
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

/// A new session: `token` goes into the cookie and is nowhere stored as it is; `device`
/// goes, signed, into the browser's device cookie for the name.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub session: Session,
    pub device: Device,
}

/// 256 random bits as hex: session tokens, CSRF tokens.
pub fn random_token() -> anyhow::Result<String> {
    Ok(hex(&random_bytes::<32>()?))
}

fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system's random number generator failed"))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Equal without an early exit, so the time taken does not reveal a matching prefix.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

/// A browser that logged in before as `name`: the content of its device cookie (OWASP,
/// "Slow down online guessing attacks with device cookies"), once its signature is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub name: AccountName,
    /// 128 random bits as hex; failed logins from this browser are counted under it.
    pub nonce: String,
}

/// The server's HMAC-SHA256 key: made once, kept in the database (`server_secret`), shared
/// by the login form's token and the device cookies (each signs under its own label, so
/// one can never pass for the other). Never printed: `Debug` hides it.
pub struct ServerSecret(hmac::Key);

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(***)")
    }
}

/// How long the login form's token is accepted; the login page reissues it after half.
pub const LOGIN_TOKEN_LIFETIME: Duration = Duration::hours(12);
/// A device cookie lasts this long; each login renews it.
pub const DEVICE_LIFETIME: Duration = Duration::days(180);

const LOGIN_LABEL: &[u8] = b"pengaduan login form\0";
const DEVICE_LABEL: &[u8] = b"pengaduan device\0";

impl ServerSecret {
    /// The database's key, made now if there is none yet.
    pub async fn load(store: &SharedStore, clock: &dyn Clock) -> anyhow::Result<ServerSecret> {
        let now = clock.now();
        let fresh = random_bytes::<32>()?;
        let key = store.run(move |s| s.server_key(&fresh, now)).await?;
        anyhow::ensure!(key.len() >= 32, "the stored server secret is too short");
        Ok(ServerSecret::from_bytes(&key))
    }

    pub fn from_bytes(key: &[u8]) -> ServerSecret {
        ServerSecret(hmac::Key::new(hmac::HMAC_SHA256, key))
    }

    fn tag(&self, label: &[u8], message: &[u8]) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(label);
        ctx.update(message);
        ctx.sign()
    }

    /// A new login-form token: 64 hex digits, the time it was made (8 bytes), a nonce
    /// (8 bytes) and the first 16 bytes of their HMAC. Only this server can make one, so a
    /// made-up pair of cookie and field is refused.
    pub fn login_token(&self, now: DateTime<Utc>) -> anyhow::Result<String> {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&now.timestamp().to_be_bytes());
        bytes[8..16].copy_from_slice(&random_bytes::<8>()?);
        let tag = self.tag(LOGIN_LABEL, &bytes[..16]);
        bytes[16..].copy_from_slice(&tag.as_ref()[..16]);
        Ok(hex(&bytes))
    }

    /// When `token` was made, if this server made it, it is not from the future (a minute
    /// of leeway) and not older than [`LOGIN_TOKEN_LIFETIME`].
    pub fn login_token_made(&self, token: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let bytes: [u8; 32] = unhex(token)?.try_into().ok()?;
        let tag = self.tag(LOGIN_LABEL, &bytes[..16]);
        if !same_bytes(&tag.as_ref()[..16], &bytes[16..]) {
            return None;
        }
        let made = i64::from_be_bytes(bytes[..8].try_into().ok()?);
        let made = DateTime::from_timestamp(made, 0)?;
        (made <= now + Duration::minutes(1) && now - made < LOGIN_TOKEN_LIFETIME).then_some(made)
    }

    /// A device cookie's value: `name|nonce|HMAC(name|nonce)`, all of it cookie-safe.
    pub fn device_cookie(&self, device: &Device) -> String {
        let signed = format!("{}|{}", device.name, device.nonce);
        let tag = self.tag(DEVICE_LABEL, signed.as_bytes());
        format!("{signed}|{}", hex(tag.as_ref()))
    }

    /// The device a cookie's value names, if this server signed it.
    pub fn device(&self, value: &str) -> Option<Device> {
        let (signed, tag) = value.rsplit_once('|')?;
        let (name, nonce) = signed.split_once('|')?;
        let tag = unhex(tag)?;
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(DEVICE_LABEL);
        ctx.update(signed.as_bytes());
        if !same_bytes(ctx.sign().as_ref(), &tag) {
            return None;
        }
        Some(Device {
            name: AccountName::parse(name).ok()?,
            nonce: nonce.to_string(),
        })
    }
}

/// One try to log in, as the web layer saw it.
#[derive(Debug)]
pub struct LoginAttempt {
    pub typed_name: String,
    pub password: Password,
    /// The client's IP address as the web layer sees it (`web::auth::ClientAddress`).
    pub address: String,
    /// The browser's device cookies that carry this server's signature, for any names.
    pub devices: Vec<Device>,
}

/// The name as the throttle and the audit log count it: trimmed, lower case, without
/// control characters, shortened. Failures are counted under it, valid name or not, so
/// guessing at names is limited too.
fn typed_name(typed: &str) -> String {
    typed
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(AccountName::MAX_CHARS)
        .collect()
}

/// Checks the throttle, then the password. A success opens a session and renews the
/// browser's device cookie for the name; a failure is counted and audited; a try the
/// throttle refuses is audited without the password being looked at.
///
/// The try is counted as a failure before the password is checked, in the transaction
/// that decided it may go ahead, and forgotten if the password is right: a burst of tries
/// sent at once cannot all slip through one free moment.
pub async fn login(
    store: &SharedStore,
    clock: &dyn Clock,
    attempt: LoginAttempt,
) -> Result<NewSession, LoginError> {
    let now = clock.now();
    let typed = typed_name(&attempt.typed_name);
    let name = AccountName::parse(&typed).ok();
    let address = attempt.address;
    let key = throttle_key(&address);
    let device = attempt
        .devices
        .into_iter()
        .find(|d| Some(&d.name) == name.as_ref());
    let nonce = device.as_ref().map(|d| d.nonce.clone());
    let (t, k, a, n, dn) = (
        typed.clone(),
        key.clone(),
        address.clone(),
        name.clone(),
        nonce.clone(),
    );
    let (verdict, credentials) = store
        .run(move |s| {
            let tx = s.transaction()?;
            let failures = tx.login_failures(&t, &k, dn.as_deref(), now - LOGIN_POLICY.window)?;
            let standing = if dn.is_some() {
                Standing::Device
            } else if tx.known_login(&t, &k)? {
                Standing::KnownAddress
            } else {
                Standing::Stranger
            };
            let facts = LoginFacts {
                address: failures.address,
                account: failures.account,
                here: k.clone(),
                device: failures.device,
            };
            let verdict = login_verdict(&facts, standing, now, &LOGIN_POLICY);
            let credentials = match verdict {
                LoginVerdict::Wait { until, why } => {
                    let detail = format!(
                        "dari {a}; ditahan ({}) sampai {}",
                        why.as_str(),
                        until.with_timezone(&WIB).format("%Y-%m-%d %H:%M:%S WIB")
                    );
                    tx.add_event(None, now, &t, "login_refused", &detail)?;
                    None
                }
                LoginVerdict::Allow => {
                    tx.record_login_failure(&t, &k, dn.as_deref(), now)?;
                    n.map(|n| tx.credentials(&n)).transpose()?.flatten()
                }
            };
            tx.commit()?;
            Ok((verdict, credentials))
        })
        .await?;
    if let LoginVerdict::Wait { until, why } = verdict {
        return Err(LoginError::Throttled { until, why });
    }
    let usable = credentials.filter(|c| !c.disabled);
    let ok = verify(
        attempt.password,
        usable.as_ref().map(|c| c.password_hash.clone()),
    )
    .await?;
    match usable.filter(|_| ok) {
        None => {
            // The failure is counted already; the audit log says so.
            store
                .run(move |s| {
                    let tx = s.transaction()?;
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
            let device = Device {
                name: c.name.clone(),
                nonce: hex(&random_bytes::<16>()?),
            };
            let s2 = session.clone();
            store
                .run(move |s| {
                    let tx = s.transaction()?;
                    tx.insert_session(&s2.token_hash, c.id, &s2.csrf, now)?;
                    tx.record_login(&typed, &key, nonce.as_deref(), now)?;
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
            Ok(NewSession {
                token,
                session,
                device,
            })
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
                tx.prune_logins(
                    now - idle,
                    now - LOGIN_POLICY.window,
                    now - KNOWN_ADDRESS_FOR,
                )?;
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

    fn s(secs: i64) -> DateTime<Utc> {
        t(0) + Duration::seconds(secs)
    }

    /// The throttle's rules, one row each: per address, per name from an address, the
    /// name's growing delay from many addresses, and the device cookie that only answers for
    /// itself. Times in seconds; the address of this try is "here".
    #[test]
    fn login_throttle() {
        let p = LoginPolicy {
            per_name_here: 3,
            per_address: 5,
            window: Duration::minutes(15),
            spread: 3,
            first_delay: Duration::seconds(2),
            max_delay: Duration::seconds(60),
        };
        use Standing::{KnownAddress, Stranger};
        use Throttle::{Address, Name};
        let allow = LoginVerdict::Allow;
        let wait = |secs, why| LoginVerdict::Wait {
            until: s(secs),
            why,
        };
        const W: i64 = 900;
        struct Case<'a> {
            address: &'a [i64],
            account: &'a [(i64, &'a str)],
            device: &'a [i64],
            standing: Standing,
            now: i64,
            expected: LoginVerdict,
        }
        let case = |address, account, device, standing, now, expected| Case {
            address,
            account,
            device,
            standing,
            now,
            expected,
        };
        let here = |ts: &'static [i64]| -> Vec<(i64, &'static str)> {
            ts.iter().map(|t| (*t, "here")).collect()
        };
        let h012 = here(&[0, 1, 2]);
        let cases = [
            case(&[], &[], &[], Stranger, 0, allow),
            // The third failure of the name from here holds this address back until the
            // first leaves the window; old failures do not count; nor do "future" ones.
            case(&[0, 1, 2], &h012, &[], Stranger, 3, wait(W, Address)),
            case(&[0, 1, 2], &h012, &[], KnownAddress, 3, wait(W, Address)),
            case(&[0, 1, 2], &h012, &[], Stranger, W, allow),
            case(
                &[],
                &[(0, "a"), (1, "a"), (2, "a")],
                &[],
                Stranger,
                3,
                allow,
            ),
            case(&[2000, 2001, 2002], &[], &[], Stranger, 3, allow),
            // Many names from here: the address limit.
            case(&[0, 1, 2, 3, 4], &[], &[], Stranger, 5, wait(W, Address)),
            case(&[0, 1, 2, 3], &[], &[], Stranger, 5, allow),
            // Failures of the name from two other addresses: nothing here.
            case(
                &[],
                &[(0, "a"), (1, "a"), (2, "a"), (3, "b")],
                &[],
                Stranger,
                4,
                allow,
            ),
            // From three addresses: 2 s after the latest, doubling with each failure beyond
            // three, at most a minute; a known address and a device skip it.
            case(
                &[],
                &[(0, "a"), (1, "b"), (2, "c")],
                &[],
                Stranger,
                3,
                wait(4, Name),
            ),
            case(
                &[],
                &[(0, "a"), (1, "b"), (2, "c")],
                &[],
                Stranger,
                4,
                allow,
            ),
            case(
                &[],
                &[(0, "a"), (1, "b"), (2, "c"), (3, "c")],
                &[],
                Stranger,
                3,
                wait(7, Name),
            ),
            case(
                &[],
                &[
                    (0, "a"),
                    (1, "b"),
                    (2, "c"),
                    (3, "a"),
                    (4, "b"),
                    (5, "c"),
                    (6, "a"),
                ],
                &[],
                Stranger,
                7,
                wait(38, Name),
            ),
            case(
                &[],
                &[
                    (0, "a"),
                    (1, "b"),
                    (2, "c"),
                    (3, "a"),
                    (4, "b"),
                    (5, "c"),
                    (6, "a"),
                    (7, "b"),
                ],
                &[],
                Stranger,
                8,
                wait(67, Name),
            ),
            case(
                &[],
                &[(0, "a"), (1, "b"), (2, "c")],
                &[],
                KnownAddress,
                3,
                allow,
            ),
            case(
                &[],
                &[(0, "a"), (1, "b"), (2, "c")],
                &[],
                Standing::Device,
                3,
                allow,
            ),
            // The device answers for its own failures only, not for the address's.
            case(&[0, 1, 2, 3, 4], &h012, &[], Standing::Device, 5, allow),
            case(
                &[],
                &[],
                &[0, 1, 2],
                Standing::Device,
                5,
                wait(W, Throttle::Device),
            ),
            case(&[], &[], &[0, 1], Standing::Device, 5, allow),
            // Both held: the later of the two, with its reason.
            case(
                &[0, 1, 2],
                &[
                    (0, "here"),
                    (1, "here"),
                    (2, "here"),
                    (3, "b"),
                    (W - 10, "c"),
                ],
                &[],
                Stranger,
                W - 5,
                wait(W, Address),
            ),
        ];
        for (i, c) in cases.iter().enumerate() {
            let facts = LoginFacts {
                address: c.address.iter().map(|x| s(*x)).collect(),
                account: c
                    .account
                    .iter()
                    .map(|(x, a)| (s(*x), a.to_string()))
                    .collect(),
                here: "here".into(),
                device: c.device.iter().map(|x| s(*x)).collect(),
            };
            assert_eq!(
                login_verdict(&facts, c.standing, s(c.now), &p),
                c.expected,
                "case {i}"
            );
        }
    }

    #[test]
    fn throttle_keys() {
        assert_eq!(throttle_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(throttle_key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(throttle_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(throttle_key("2001:db8:1:2::9"), "2001:db8:1:2::/64");
        assert_eq!(throttle_key("tidak diketahui"), "tidak diketahui");
    }

    #[test]
    fn login_tokens_are_the_servers_own_and_expire() {
        let secret = ServerSecret::from_bytes(&[7; 32]);
        let other = ServerSecret::from_bytes(&[8; 32]);
        let token = secret.login_token(t(0)).unwrap();
        assert_eq!(token.len(), 64);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(secret.login_token_made(&token, t(0)), Some(t(0)));
        assert_eq!(secret.login_token_made(&token, t(11 * 60)), Some(t(0)));
        assert_eq!(secret.login_token_made(&token, t(12 * 60)), None, "expired");
        assert_eq!(
            secret.login_token_made(&token, t(-2)),
            None,
            "from the future"
        );
        assert_eq!(other.login_token_made(&token, t(0)), None, "another key");
        assert_eq!(secret.login_token_made(&"0".repeat(64), t(0)), None);
        assert_eq!(secret.login_token_made("zz", t(0)), None);
        // Moving the time forward breaks the signature.
        let later = format!("{:016x}{}", t(60).timestamp(), &token[16..]);
        assert_eq!(secret.login_token_made(&later, t(61)), None);
        assert_ne!(secret.login_token(t(0)).unwrap(), token, "a nonce each");
        assert_eq!(format!("{secret:?}"), "ServerSecret(***)");
    }

    #[test]
    fn device_cookies_are_signed_name_and_nonce() {
        let secret = ServerSecret::from_bytes(&[7; 32]);
        let device = Device {
            name: AccountName::parse("siti.aminah").unwrap(),
            nonce: "00112233445566778899aabbccddeeff".into(),
        };
        let value = secret.device_cookie(&device);
        assert!(value.starts_with("siti.aminah|00112233445566778899aabbccddeeff|"));
        assert_eq!(secret.device(&value), Some(device));
        assert_eq!(ServerSecret::from_bytes(&[8; 32]).device(&value), None);
        assert_eq!(
            secret.device(&value.replacen("siti.aminah", "budi", 1)),
            None
        );
        assert_eq!(secret.device(&value.replacen("|00", "|01", 1)), None);
        assert_eq!(secret.device("siti|x"), None);
        assert_eq!(secret.device(""), None);
        // The login token's signature is not a device cookie's, nor the other way round.
        let token = secret.login_token(t(0)).unwrap();
        assert_eq!(
            secret.device(&format!("siti|{}|{}", &token[..32], &token[32..])),
            None
        );
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
