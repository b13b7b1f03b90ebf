//! EDGE: hands finished messages to SMTP with lettre (or writes them to a directory, for
//! the demo and for dry runs). Failures are sorted into transient (retry later) and
//! permanent (record and show), following RFC 5321 section 4.2.1's 4xx/5xx split, except
//! for the two replies Gmail uses for its account limits (`classify_reply`), which hold the
//! whole outbox instead of one mail.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use crate::config::{Login, OAuth2, Security, Smtp};
use crate::mail::oauth;

#[derive(Debug)]
pub enum SendError {
    Transient(String),
    Permanent(String),
    /// Gmail's `550 5.4.5 Daily user sending limit exceeded`: a 5xx, yet the account sends
    /// again within 24 hours. Nothing is wrong with the mail; every mail must wait.
    DailyLimit(String),
    /// Gmail's `454 4.7.0 Too many login attempts`: the account logged in too often;
    /// every mail must wait a while.
    TooManyLogins(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Transient(e) => write!(f, "temporary failure: {e}"),
            SendError::Permanent(e) => write!(f, "permanent failure: {e}"),
            SendError::DailyLimit(e) => write!(f, "daily sending limit reached: {e}"),
            SendError::TooManyLogins(e) => write!(f, "too many logins: {e}"),
        }
    }
}

/// PURE: sorts a failed send by the server's reply code (`None`: no reply, e.g. a refused
/// connection) and text. Gmail's account limits are recognised by their enhanced status
/// code (RFC 3463: X.4.5 "mail system congestion" is what Gmail gives its daily limit) or
/// their wording, whatever the basic code; then 5xx is permanent and anything else may
/// pass (RFC 5321 section 4.2.1).
pub fn classify_reply(code: Option<u16>, text: &str) -> SendError {
    let lower = text.to_ascii_lowercase();
    let message = text.to_string();
    let enhanced_545 = lower
        .split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')')
        .any(|w| w == "5.4.5");
    if enhanced_545
        || lower.contains("daily user sending limit exceeded")
        || lower.contains("daily user sending quota exceeded")
    {
        SendError::DailyLimit(message)
    } else if lower.contains("too many login attempts") {
        SendError::TooManyLogins(message)
    } else if code.is_some_and(|c| (500..600).contains(&c)) {
        SendError::Permanent(message)
    } else {
        SendError::Transient(message)
    }
}

pub enum Transport {
    Smtp(Box<Session>),
    /// Each message becomes `<dir>/<n>.eml`; nothing leaves the machine.
    Directory(PathBuf),
}

impl Transport {
    pub fn from_config(cfg: &Smtp) -> Result<Transport> {
        let login = match &cfg.login {
            Login::Password(password) => SessionLogin::Password(Credentials::new(
                cfg.username.clone(),
                password.read()?.expose().to_string(),
            )),
            Login::XOAuth2(oauth) => SessionLogin::XOAuth2(oauth.clone()),
        };
        let mut tls = TlsParameters::builder(cfg.host.clone());
        if let Some(ca) = &cfg.ca_file {
            let pem = std::fs::read(ca)
                .with_context(|| format!("cannot read smtp.ca_file {}", ca.display()))?;
            let cert = Certificate::from_pem(&pem).with_context(|| {
                format!("smtp.ca_file {} is not a PEM certificate", ca.display())
            })?;
            tls = tls.add_root_certificate(cert);
        }
        Ok(Transport::Smtp(Box::new(Session {
            host: cfg.host.clone(),
            port: cfg.port,
            security: cfg.security,
            tls: tls.build_rustls().context("cannot set up TLS for SMTP")?,
            hello: ClientId::Domain(hello_name()),
            username: cfg.username.clone(),
            login,
            held: tokio::sync::Mutex::new(None),
        })))
    }

    pub async fn send(
        &self,
        mail_from: &str,
        rcpt_to: &[String],
        raw: &[u8],
    ) -> Result<(), SendError> {
        match self {
            Transport::Smtp(s) => {
                let envelope = envelope(mail_from, rcpt_to)?;
                let sent = s.send(&envelope, raw).await;
                if let (Err(_), SessionLogin::XOAuth2(oauth)) = (&sent, &s.login) {
                    // A refused token is fetched anew on the next attempt.
                    oauth::forget(oauth);
                }
                sent
            }
            Transport::Directory(dir) => write_to_directory(dir, raw)
                .await
                .map_err(|e| SendError::Transient(format!("{e:#}"))),
        }
    }

    /// Connects, greets and authenticates without sending anything (for `check`).
    pub async fn check(&self) -> Result<String> {
        match self {
            Transport::Smtp(s) => {
                s.check().await.context("SMTP handshake failed")?;
                Ok("SMTP: connection, TLS and login work".into())
            }
            Transport::Directory(dir) => Ok(format!("outbox directory {}", dir.display())),
        }
    }
}

/// How long a held connection may sit unused before it is closed instead of reused: the
/// default of lettre's pool, which we used before, and well below the idle timeouts of
/// Postfix (300 s) and Gmail, so a trickle of mail (one complaint a minute) still shares
/// one login while a connection the server is about to drop is not trusted.
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// Limit for establishing the TCP connection (lettre applies it to the connect only).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// One authenticated SMTP connection, held between sends so that a burst of mail logs in
/// once (Gmail answers repeated logins with `454 4.7.0 Too many login attempts`). We hold
/// it ourselves rather than use lettre's pool: the pool hands a connection back in a
/// spawned task, so a send right after another finds the pool empty and logs in again
/// whenever that task has not run yet (it happens under load).
pub struct Session {
    host: String,
    port: u16,
    security: Security,
    tls: TlsParameters,
    hello: ClientId,
    username: String,
    login: SessionLogin,
    held: tokio::sync::Mutex<Option<Held>>,
}

enum SessionLogin {
    Password(Credentials),
    /// The access token changes, so the credentials are made at each send.
    XOAuth2(OAuth2),
}

struct Held {
    conn: AsyncSmtpConnection,
    /// What it logged in with: a new XOAUTH2 token means a new login.
    credentials: Credentials,
    idle_since: Instant,
}

/// PURE: whether a held connection may carry the next mail (it is then still asked with
/// NOOP, RFC 5321 section 4.1.1.9, whether the server keeps it open).
fn reusable(idle_for: Duration, same_login: bool) -> bool {
    same_login && idle_for < IDLE_LIMIT
}

impl Session {
    async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), SendError> {
        let mut held = self.held.lock().await;
        let (mut conn, credentials) = self.connection(&mut held).await?;
        let sent = conn.send(envelope, raw).await;
        // After any failure lettre has sent QUIT already, or the connection is in an
        // unknown state: the next mail logs in afresh.
        if sent.is_ok() && !conn.has_broken() {
            *held = Some(Held {
                conn,
                credentials,
                idle_since: Instant::now(),
            });
        } else {
            conn.abort().await;
        }
        sent.map(|_| ()).map_err(classify)
    }

    async fn check(&self) -> Result<()> {
        let mut held = self.held.lock().await;
        let (mut conn, credentials) = self
            .connection(&mut held)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        if !conn.test_connected().await {
            bail!("the server does not answer NOOP after the login");
        }
        *held = Some(Held {
            conn,
            credentials,
            idle_since: Instant::now(),
        });
        Ok(())
    }

    /// The held connection if it is fit to reuse, else a new authenticated one.
    async fn connection(
        &self,
        held: &mut Option<Held>,
    ) -> Result<(AsyncSmtpConnection, Credentials), SendError> {
        let (credentials, mechanisms) = match &self.login {
            SessionLogin::Password(c) => (c.clone(), DEFAULT_MECHANISMS),
            SessionLogin::XOAuth2(o) => {
                let token = oauth::access_token(o, chrono::Utc::now())
                    .await
                    .map_err(|e| SendError::Transient(format!("{e:#}")))?;
                let c = Credentials::new(self.username.clone(), token.expose().to_string());
                (c, &[Mechanism::Xoauth2][..])
            }
        };
        if let Some(mut h) = held.take() {
            if reusable(h.idle_since.elapsed(), h.credentials == credentials)
                && h.conn.test_connected().await
            {
                return Ok((h.conn, credentials));
            }
            h.conn.abort().await;
        }
        let conn = self
            .connect(&credentials, mechanisms)
            .await
            .map_err(classify)?;
        Ok((conn, credentials))
    }

    async fn connect(
        &self,
        credentials: &Credentials,
        mechanisms: &[Mechanism],
    ) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        // Config validation allowed `plain` only for loopback hosts.
        let implicit = (self.security == Security::Tls).then(|| self.tls.clone());
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(CONNECT_TIMEOUT),
            &self.hello,
            implicit,
            None,
        )
        .await?;
        if self.security == Security::Starttls {
            // Required, never opportunistic: no silent downgrade to plain text (RFC 3207);
            // `starttls` fails when the server does not offer it.
            conn.starttls(self.tls.clone(), &self.hello).await?;
        }
        if let Err(e) = conn.auth(mechanisms, credentials).await {
            conn.abort().await;
            return Err(e);
        }
        Ok(conn)
    }
}

impl Drop for Session {
    /// Says QUIT to the server for a held connection, as lettre's pool did when dropped.
    fn drop(&mut self) {
        if let (Some(mut h), Ok(rt)) = (
            self.held.get_mut().take(),
            tokio::runtime::Handle::try_current(),
        ) {
            rt.spawn(async move { h.conn.abort().await });
        }
    }
}

fn envelope(mail_from: &str, rcpt_to: &[String]) -> Result<Envelope, SendError> {
    let from = mail_from
        .parse()
        .map_err(|e| SendError::Permanent(format!("sender {mail_from}: {e}")))?;
    let to = rcpt_to
        .iter()
        .map(|r| {
            r.parse()
                .map_err(|e| SendError::Permanent(format!("recipient {r}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(Some(from), to).map_err(|e| SendError::Permanent(e.to_string()))
}

fn classify(e: lettre::transport::smtp::Error) -> SendError {
    // Only an explicit 5xx reply is permanent. Everything else — 4xx, timeouts, refused
    // connections, TLS trouble — may pass, so it is retried.
    let code = e.status().and_then(|c| c.to_string().parse().ok());
    classify_reply(code, &e.to_string())
}

fn hello_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        })
        .unwrap_or_else(|| "localhost".into())
}

async fn write_to_directory(dir: &std::path::Path, raw: &[u8]) -> Result<()> {
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let mut n = 1u32;
    loop {
        let path = dir.join(format!("{n:04}.eml"));
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
        {
            Ok(mut f) => {
                use tokio::io::AsyncWriteExt;
                f.write_all(raw)
                    .await
                    .with_context(|| format!("cannot write {}", path.display()))?;
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_connection_is_reused_while_fresh_and_logged_in_the_same_way() {
        let cases = [
            (Duration::ZERO, true, true),
            (IDLE_LIMIT - Duration::from_millis(1), true, true),
            (IDLE_LIMIT, true, false),
            (Duration::from_secs(3600), true, false),
            (Duration::ZERO, false, false),
        ];
        for (idle, same_login, want) in cases {
            assert_eq!(reusable(idle, same_login), want, "{idle:?} {same_login}");
        }
    }

    /// Replies as Gmail and Postfix give them (lettre's wording around the server's text).
    #[test]
    fn replies_are_sorted_by_code_and_gmail_wording() {
        let cases: &[(Option<u16>, &str, &str)] = &[
            (Some(550), "permanent error (550): 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852", "daily"),
            (Some(550), "permanent error (550): 5.4.5 Daily user sending quota exceeded. w12sm1234567pfq.8 - gsmtp", "daily"),
            (Some(550), "permanent error (550): Daily user sending quota exceeded.", "daily"),
            (Some(454), "transient error (454): 4.7.0 Too many login attempts, please try again later. d2sm123 - gsmtp", "logins"),
            (Some(454), "transient error (454): 4.7.0 TLS not available due to local problem", "transient"),
            (Some(550), "permanent error (550): 5.1.1 The email account that you tried to reach does not exist.", "permanent"),
            (Some(554), "permanent error (554): 5.7.1 <bayu@example.test>: Recipient address rejected: alamat tidak dikenal", "permanent"),
            (Some(450), "transient error (450): 4.2.0 <sari@example.test>: Recipient address rejected: kotak surat penuh sementara", "transient"),
            (None, "Connection error: Connection refused (os error 111)", "transient"),
        ];
        for (code, text, want) in cases {
            let got = match classify_reply(*code, text) {
                SendError::DailyLimit(_) => "daily",
                SendError::TooManyLogins(_) => "logins",
                SendError::Permanent(_) => "permanent",
                SendError::Transient(_) => "transient",
            };
            assert_eq!(got, *want, "{code:?} {text}");
        }
    }
}
