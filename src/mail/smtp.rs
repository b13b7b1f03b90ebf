//! EDGE: hands finished messages to SMTP with lettre (or writes them to a directory, for
//! the demo and for dry runs). Failures are sorted into transient (retry later) and
//! permanent (record and show), following RFC 5321 section 4.2.1's 4xx/5xx split.

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

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("temporary failure: {0}")]
    Transient(String),
    #[error("permanent failure: {0}")]
    Permanent(String),
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
    if e.is_permanent() {
        SendError::Permanent(e.to_string())
    } else {
        SendError::Transient(e.to_string())
    }
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
