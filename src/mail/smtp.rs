//! EDGE: hands finished messages to SMTP with lettre (or writes them to a directory, for
//! the demo and for dry runs). Failures are sorted into transient (retry later) and
//! permanent (record and show), following RFC 5321 section 4.2.1's 4xx/5xx split, except
//! for the two replies Gmail uses for its account limits (`classify_reply`), which hold the
//! whole outbox instead of one mail.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

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
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// XOAUTH2: lettre's credentials are fixed per transport, so it is rebuilt whenever
    /// the access token changes.
    OAuth(Box<OAuthSmtp>),
    /// Each message becomes `<dir>/<n>.eml`; nothing leaves the machine.
    Directory(PathBuf),
}

impl Transport {
    pub fn from_config(cfg: &Smtp) -> Result<Transport> {
        match &cfg.login {
            Login::Password(password) => Ok(Transport::Smtp(build(
                cfg,
                Credentials::new(cfg.username.clone(), password.read()?.expose().to_string()),
                None,
            )?)),
            Login::XOAuth2(oauth) => Ok(Transport::OAuth(Box::new(OAuthSmtp {
                cfg: cfg.clone(),
                oauth: oauth.clone(),
                current: tokio::sync::Mutex::new(None),
            }))),
        }
    }

    pub async fn send(
        &self,
        mail_from: &str,
        rcpt_to: &[String],
        raw: &[u8],
    ) -> Result<(), SendError> {
        match self {
            Transport::Smtp(t) => send_via(t, mail_from, rcpt_to, raw).await,
            Transport::OAuth(o) => {
                let t = o
                    .transport()
                    .await
                    .map_err(|e| SendError::Transient(format!("{e:#}")))?;
                let sent = send_via(&t, mail_from, rcpt_to, raw).await;
                if sent.is_err() {
                    // A refused token is fetched anew on the next attempt.
                    oauth::forget(&o.oauth);
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
        let t = match self {
            Transport::Smtp(t) => t.clone(),
            Transport::OAuth(o) => o.transport().await?,
            Transport::Directory(dir) => return Ok(format!("outbox directory {}", dir.display())),
        };
        t.test_connection().await.context("SMTP handshake failed")?;
        Ok("SMTP: connection, TLS and login work".into())
    }
}

pub struct OAuthSmtp {
    cfg: Smtp,
    oauth: OAuth2,
    current: tokio::sync::Mutex<Option<(String, AsyncSmtpTransport<Tokio1Executor>)>>,
}

impl OAuthSmtp {
    async fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
        let token = oauth::access_token(&self.oauth, chrono::Utc::now()).await?;
        let mut current = self.current.lock().await;
        if let Some((t, transport)) = current.as_ref() {
            if t == token.expose() {
                return Ok(transport.clone());
            }
        }
        let transport = build(
            &self.cfg,
            Credentials::new(self.cfg.username.clone(), token.expose().to_string()),
            Some(vec![Mechanism::Xoauth2]),
        )?;
        *current = Some((token.expose().to_string(), transport.clone()));
        Ok(transport)
    }
}

fn build(
    cfg: &Smtp,
    credentials: Credentials,
    mechanisms: Option<Vec<Mechanism>>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let mut tls = TlsParameters::builder(cfg.host.clone());
    if let Some(ca) = &cfg.ca_file {
        let pem = std::fs::read(ca)
            .with_context(|| format!("cannot read smtp.ca_file {}", ca.display()))?;
        let cert = Certificate::from_pem(&pem)
            .with_context(|| format!("smtp.ca_file {} is not a PEM certificate", ca.display()))?;
        tls = tls.add_root_certificate(cert);
    }
    let tls = tls.build_rustls().context("cannot set up TLS for SMTP")?;
    let builder = match cfg.security {
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
            .tls(Tls::Wrapper(tls)),
        // Required, never opportunistic: no silent downgrade to plain text (RFC 3207).
        Security::Starttls => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
            .tls(Tls::Required(tls)),
        // Config validation allowed this only for loopback hosts.
        Security::Plain => {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host).tls(Tls::None)
        }
    };
    let mut builder = builder
        .port(cfg.port)
        .hello_name(ClientId::Domain(hello_name()))
        .credentials(credentials)
        .timeout(Some(Duration::from_secs(60)));
    if let Some(m) = mechanisms {
        builder = builder.authentication(m);
    }
    Ok(builder.build())
}

async fn send_via(
    t: &AsyncSmtpTransport<Tokio1Executor>,
    mail_from: &str,
    rcpt_to: &[String],
    raw: &[u8],
) -> Result<(), SendError> {
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
    let envelope =
        Envelope::new(Some(from), to).map_err(|e| SendError::Permanent(e.to_string()))?;
    t.send_raw(&envelope, raw)
        .await
        .map(|_| ())
        .map_err(classify)
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
