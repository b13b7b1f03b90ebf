//! Typed settings, read once at start from one TOML file and validated there.
//!
//! Every error names the key, what is wrong with it and how to fix it (DESIGN invariant 7).
//! Secrets are named here ([`SecretSource`]: an environment variable or a file) and read
//! only when a command needs them (`run`, `check`, sending), into a [`Secret`], whose
//! `Debug`/`Display` never show the value (invariant 8). `complaints list` and every
//! other offline command work without any password set.
//!
//! Relative paths in the file (database, holiday lists, templates, CA and secret files)
//! resolve against the folder the config file is in, so the daemon runs from any working
//! directory. Paths that are not set fall back to what is built into the binary: the
//! official holiday lists and the templates. A path that IS set must exist (an error names
//! the key and the fix): a typo in `calendar.holidays` silently dropping a year's holidays
//! would give wrong deadlines, which is worse than refusing to start.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::Weekday;
use serde::Deserialize;

use crate::domain::{EmailAddress, Kind};
use crate::workflow::reminders::Thresholds;

/// A configuration problem, phrased for the operator: key, problem, fix.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The config file; relative paths in it resolve against its folder.
    pub path: PathBuf,
    pub puskesmas: Puskesmas,
    pub imap: Option<Imap>,
    pub smtp: Option<Smtp>,
    pub storage: Storage,
    pub calendar: CalendarSettings,
    pub recipients: Recipients,
    pub keywords: Keywords,
    /// Units of the puskesmas with the keywords that point at them, in config order.
    pub units: Vec<(String, Vec<String>)>,
    pub workflow: Workflow,
    pub schedule: Schedule,
    pub alerts: Alerts,
    pub limits: Limits,
    pub intake: Intake,
    /// `templates.dir`, or `templates/` beside the config file when the key is not set and
    /// that folder exists; `None`: only the built-in templates. Files found there override
    /// the built-in template of the same name.
    pub templates_dir: Option<PathBuf>,
    /// The staff dashboard; `None`: no web server.
    pub web: Option<Web>,
}

#[derive(Debug, Clone)]
pub struct Puskesmas {
    pub name: String,
    pub email: EmailAddress,
    /// Phone numbers and address printed in mails, free text.
    pub contact: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Implicit TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain connection upgraded with STARTTLS before login (RFC 3501 6.2.1, RFC 3207).
    Starttls,
    /// No TLS at all: only accepted for a loopback host.
    Plain,
}

#[derive(Debug, Clone)]
pub struct Imap {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub login: Login,
    pub mailbox: String,
    pub ca_file: Option<PathBuf>,
    /// IDLE is re-issued after this long (RFC 2177 asks for < 29 min; NATs drop sooner).
    pub idle_refresh_secs: u64,
    /// Poll interval when the server lacks IDLE.
    pub poll_secs: u64,
    /// Bytes of mail (RFC822.SIZE) fetched in any 24 hours at most, under Gmail's
    /// 2,500 MB a day of IMAP download.
    pub daily_download_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub login: Login,
    pub ca_file: Option<PathBuf>,
    /// Mails sent in any 24 hours at most, under Gmail's own limit (500 a day for a
    /// consumer account, 2,000 for Google Workspace).
    pub daily_limit: u32,
}

/// How the daemon logs in to IMAP and SMTP.
#[derive(Debug, Clone)]
pub enum Login {
    /// A password (for Gmail an app password): IMAP LOGIN, SMTP AUTH PLAIN/LOGIN.
    Password(SecretSource),
    /// Gmail's XOAUTH2 with an access token obtained from the `[oauth2]` refresh token.
    XOAuth2(OAuth2),
}

/// `[oauth2]`: an OAuth 2.0 client and its refresh token (RFC 6749 section 6).
#[derive(Debug, Clone)]
pub struct OAuth2 {
    pub client_id: String,
    pub client_secret: SecretSource,
    pub refresh_token: SecretSource,
    pub token_url: String,
}

#[derive(Debug, Clone)]
pub struct Storage {
    pub database: PathBuf,
    /// Years the raw mail of a closed complaint is kept (`pengaduan purge`).
    pub retention_years: u32,
}

#[derive(Debug, Clone)]
pub struct CalendarSettings {
    pub working_days: Vec<Weekday>,
    /// Holiday files read in addition to the built-in official lists; a file declaring
    /// `year = Y` replaces the built-in list of Y.
    pub holidays: Vec<PathBuf>,
    /// Cuti bersama count as working days (the centre keeps its services open then).
    pub cuti_bersama_is_working_day: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Recipients {
    pub tim_pengaduan: Vec<EmailAddress>,
    pub kepala_puskesmas: Vec<EmailAddress>,
    pub tim_mutu: Vec<EmailAddress>,
    pub dinas_kesehatan: Vec<EmailAddress>,
}

/// Keywords that guess the kind of a message; the first kind with the most hits wins,
/// `pengaduan` when nothing matches.
#[derive(Debug, Clone)]
pub struct Keywords {
    pub by_kind: Vec<(Kind, Vec<String>)>,
}

/// Cron strings (with a seconds field) in Asia/Jakarta time; `None` disables a job.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub digest: Option<String>,
    pub deadline_check: Option<String>,
    pub health_check: Option<String>,
    /// Checks whether last month's report is due (first working day of the month, or
    /// later when that run was missed) and queues it once.
    pub monthly_report: Option<String>,
    /// The monthly report also goes to `recipients.dinas_kesehatan`.
    pub monthly_report_to_dinas: bool,
}

/// When reminders, escalations and the mailbox health alert fire.
#[derive(Debug, Clone)]
pub struct Alerts {
    pub thresholds: Thresholds,
    /// Minutes without a successful mailbox read before the team gets a health alert.
    pub mailbox_silent_minutes: u32,
}

#[derive(Debug, Clone)]
pub struct Workflow {
    /// Working days after the answer without a reply before the case closes by itself.
    pub satisfaction_reply_working_days: u32,
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// RFC 3834 section 2: bound automatic replies per address to stop loops.
    pub auto_replies_per_sender_per_hour: u32,
    /// Larger messages are stored raw and flagged, not parsed.
    pub max_parse_bytes: usize,
}

/// `[web]`: the staff dashboard inside the daemon.
#[derive(Debug, Clone)]
pub struct Web {
    pub listen: std::net::SocketAddr,
    /// The address staff open, for links in mails; `https://` makes cookies `Secure`.
    pub public_url: Option<String>,
    /// A session ends after this long without a request.
    pub session_idle: chrono::Duration,
    /// Bearer token that opens `/metrics` to callers other than loopback (read by `run`).
    pub metrics_token: Option<SecretSource>,
}

impl Web {
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// How inbound mail is trusted (`[intake]`).
#[derive(Debug, Clone)]
pub struct Intake {
    /// The authserv-id of OUR receiving server: only its `Authentication-Results` header
    /// is believed (RFC 8601; `workflow::suspect`).
    pub trusted_authserv_id: String,
    /// Website contact-form relays whose Reply-To may be acknowledged automatically.
    pub trusted_form_senders: Vec<EmailAddress>,
}

impl Default for Intake {
    fn default() -> Self {
        Intake {
            trusted_authserv_id: default_authserv_id(),
            trusted_form_senders: Vec::new(),
        }
    }
}

/// A password or token. Never printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where a secret is kept, from `{key}_env` or `{key}_file`. Read with
/// [`SecretSource::read`] at the point of need, so a command that never logs in never asks.
#[derive(Debug, Clone)]
pub struct SecretSource {
    /// `imap.password`, `oauth2.refresh_token`, …, for messages.
    key: String,
    from: SecretFrom,
    /// The password of a Gmail host: an app password pasted as Google shows it
    /// (`abcd efgh ijkl mnop`) is read without its spaces ([`unspaced_app_password`]).
    gmail_app_password: bool,
}

#[derive(Debug, Clone)]
enum SecretFrom {
    Env(String),
    File(PathBuf),
}

/// A secret that cannot be read; the message names the key and the fix, never a value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SecretError(String);

impl SecretSource {
    /// Reads the secret now: the environment variable, or the file (warning when others
    /// can read it). For a Gmail host's password, an app password written with Google's
    /// spaces comes without them: IMAP and SMTP both read it here, so both get the same.
    pub fn read(&self) -> Result<Secret, SecretError> {
        self.read_noting().map(|(secret, _)| secret)
    }

    /// [`SecretSource::read`], and whether the spaces of a Gmail app password were
    /// removed (`pengaduan check` says so).
    pub fn read_noting(&self) -> Result<(Secret, bool), SecretError> {
        let secret = self.read_as_written()?;
        if self.gmail_app_password {
            if let Some(v) = unspaced_app_password(secret.expose()) {
                return Ok((Secret::new(v), true));
            }
        }
        Ok((secret, false))
    }

    /// `imap.password`, `oauth2.refresh_token`, …
    pub fn key(&self) -> &str {
        &self.key
    }

    fn read_as_written(&self) -> Result<Secret, SecretError> {
        let key = &self.key;
        let name = key.rsplit('.').next().unwrap_or(key);
        match &self.from {
            SecretFrom::Env(var) => match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
                _ => Err(SecretError(format!(
                    "{key}_env names the environment variable {var}, which is not set \
                     or empty; export {var}=... before starting, or use {key}_file"
                ))),
            },
            SecretFrom::File(path) => {
                warn_if_readable_by_others(path);
                let v = std::fs::read_to_string(path).map_err(|e| {
                    SecretError(format!(
                        "{key}_file = {:?} cannot be read ({e}); create it with the \
                         {name} on one line and chmod 600",
                        path.display()
                    ))
                })?;
                let v = v.trim_end_matches(['\r', '\n']).to_string();
                if v.is_empty() {
                    return Err(SecretError(format!(
                        "{key}_file = {:?} is empty; put the {name} in it",
                        path.display()
                    )));
                }
                Ok(Secret::new(v))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The file as written. `deny_unknown_fields` turns a typo into an error naming the key.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    puskesmas: RawPuskesmas,
    imap: Option<RawImap>,
    smtp: Option<RawSmtp>,
    oauth2: Option<RawOAuth2>,
    storage: RawStorage,
    calendar: Option<RawCalendar>,
    recipients: Option<RawRecipients>,
    keywords: Option<BTreeMap<String, Vec<String>>>,
    units: Option<toml::Table>,
    workflow: Option<RawWorkflow>,
    schedule: Option<RawSchedule>,
    alerts: Option<RawAlerts>,
    limits: Option<RawLimits>,
    intake: Option<RawIntake>,
    templates: Option<RawTemplates>,
    web: Option<RawWeb>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeb {
    #[serde(default = "default_web_listen")]
    listen: String,
    public_url: Option<String>,
    #[serde(default = "default_session_idle")]
    session_idle_minutes: u32,
    metrics_token_env: Option<String>,
    metrics_token_file: Option<PathBuf>,
}

fn default_web_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_session_idle() -> u32 {
    60
}

impl RawWeb {
    /// `base`: the config file's folder, where a relative `metrics_token_file` starts.
    fn parse(self, base: &Path) -> Result<Web, String> {
        let listen = self.listen.parse().map_err(|_| {
            format!(
                "web.listen = {:?} is not an address with a port; write e.g. \"127.0.0.1:8080\" \
                 (loopback, behind a reverse proxy) or \"0.0.0.0:8080\" (the office network)",
                self.listen
            )
        })?;
        if let Some(url) = &self.public_url {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
                return Err(format!(
                    "web.public_url = {url:?} is not a web address; write it as staff open it, \
                     e.g. \"https://pengaduan.puskesmas-kademangan.example\""
                ));
            }
        }
        if !(5..=24 * 60).contains(&self.session_idle_minutes) {
            return Err(format!(
                "web.session_idle_minutes = {} is out of range; use 5..=1440 (60 is the default)",
                self.session_idle_minutes
            ));
        }
        let metrics_token = match (self.metrics_token_env, self.metrics_token_file) {
            (None, None) => None,
            (env, file) => Some(secret_source(
                "web",
                "metrics_token",
                env,
                file.map(|f| base.join(f)),
            )?),
        };
        Ok(Web {
            listen,
            public_url: self.public_url.map(|u| u.trim_end_matches('/').to_string()),
            session_idle: chrono::Duration::minutes(self.session_idle_minutes.into()),
            metrics_token,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPuskesmas {
    name: String,
    email: String,
    #[serde(default)]
    contact: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImap {
    host: String,
    port: u16,
    security: Security,
    username: String,
    #[serde(default)]
    auth: AuthKind,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    #[serde(default = "default_mailbox")]
    mailbox: String,
    ca_file: Option<PathBuf>,
    #[serde(default = "default_idle_refresh")]
    idle_refresh_seconds: u64,
    #[serde(default = "default_poll")]
    poll_seconds: u64,
    #[serde(default = "default_daily_download_mb")]
    daily_download_mb: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: String,
    port: u16,
    security: Security,
    username: String,
    #[serde(default)]
    auth: AuthKind,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    #[serde(default = "default_daily_limit")]
    daily_limit: u32,
}

fn default_daily_limit() -> u32 {
    450
}

fn default_daily_download_mb() -> u32 {
    2000
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum AuthKind {
    #[default]
    Password,
    Xoauth2,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOAuth2 {
    client_id: String,
    client_secret_env: Option<String>,
    client_secret_file: Option<PathBuf>,
    refresh_token_env: Option<String>,
    refresh_token_file: Option<PathBuf>,
    #[serde(default = "default_token_url")]
    token_url: String,
}

fn default_token_url() -> String {
    "https://oauth2.googleapis.com/token".into()
}

impl RawOAuth2 {
    fn parse(self, base: &Path) -> Result<OAuth2, String> {
        let host = self
            .token_url
            .strip_prefix("https://")
            .or_else(|| self.token_url.strip_prefix("http://"))
            .map(|rest| rest.split(['/', '?']).next().unwrap_or(""))
            .map(|authority| match authority.rsplit_once(':') {
                Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
                _ => authority,
            })
            .map(|h| h.trim_start_matches('[').trim_end_matches(']'));
        match host {
            Some(h) if self.token_url.starts_with("https://") && !h.is_empty() => {}
            Some(h) if is_loopback_host(h) => {}
            _ => {
                return Err(format!(
                    "oauth2.token_url = {:?} must be an https:// address (plain http only on \
                     loopback); for Gmail leave it out: the default is {}",
                    self.token_url,
                    default_token_url()
                ))
            }
        }
        Ok(OAuth2 {
            client_secret: secret_source(
                "oauth2",
                "client_secret",
                self.client_secret_env,
                self.client_secret_file.map(|p| base.join(p)),
            )?,
            refresh_token: secret_source(
                "oauth2",
                "refresh_token",
                self.refresh_token_env,
                self.refresh_token_file.map(|p| base.join(p)),
            )?,
            client_id: self.client_id,
            token_url: self.token_url,
        })
    }
}

/// The login of `[imap]` or `[smtp]`: a password, or XOAUTH2 with `[oauth2]`.
fn login(
    section: &str,
    host: &str,
    auth: AuthKind,
    env: Option<String>,
    file: Option<PathBuf>,
    oauth2: &Option<OAuth2>,
) -> Result<Login, String> {
    match auth {
        AuthKind::Password => Ok(Login::Password(SecretSource {
            gmail_app_password: is_gmail_host(host),
            ..secret_source(section, "password", env, file)?
        })),
        AuthKind::Xoauth2 if env.is_some() || file.is_some() => Err(format!(
            "{section}.auth = \"xoauth2\" logs in with a token, not a password: remove \
             {section}.password_env / {section}.password_file"
        )),
        AuthKind::Xoauth2 => oauth2.clone().map(Login::XOAuth2).ok_or_else(|| {
            format!(
                "{section}.auth = \"xoauth2\" needs an [oauth2] section with client_id, \
                 client_secret_env and refresh_token_env (see config/pengaduan.example.toml)"
            )
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    database: PathBuf,
    #[serde(default = "default_retention_years")]
    retention_years: u32,
}

fn default_retention_years() -> u32 {
    5
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    #[serde(default = "default_working_days")]
    working_days: Vec<String>,
    #[serde(default)]
    holidays: Vec<PathBuf>,
    #[serde(default)]
    cuti_bersama_is_working_day: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRecipients {
    #[serde(default)]
    tim_pengaduan: Vec<String>,
    #[serde(default)]
    kepala_puskesmas: Vec<String>,
    #[serde(default)]
    tim_mutu: Vec<String>,
    #[serde(default)]
    dinas_kesehatan: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    #[serde(default = "default_digest_cron")]
    digest: String,
    #[serde(default = "default_deadline_cron")]
    deadline_check: String,
    #[serde(default = "default_health_cron")]
    health_check: String,
    #[serde(default = "default_monthly_report_cron")]
    monthly_report: String,
    #[serde(default)]
    monthly_report_to_dinas: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    #[serde(default = "default_review_reminder_hours")]
    review_reminder_hours: u32,
    #[serde(default = "default_answer_reminder_days")]
    answer_reminder_working_days: Vec<u32>,
    #[serde(default = "default_overdue_repeat")]
    answer_overdue_repeat_working_days: u32,
    #[serde(default = "default_ack_undelivered_hours")]
    ack_undelivered_hours: u32,
    #[serde(default = "default_mailbox_silent")]
    mailbox_silent_minutes: u32,
}

impl Default for RawAlerts {
    fn default() -> Self {
        RawAlerts {
            review_reminder_hours: default_review_reminder_hours(),
            answer_reminder_working_days: default_answer_reminder_days(),
            answer_overdue_repeat_working_days: default_overdue_repeat(),
            ack_undelivered_hours: default_ack_undelivered_hours(),
            mailbox_silent_minutes: default_mailbox_silent(),
        }
    }
}

fn default_review_reminder_hours() -> u32 {
    24
}
fn default_answer_reminder_days() -> Vec<u32> {
    vec![3, 1]
}
fn default_overdue_repeat() -> u32 {
    1
}
fn default_ack_undelivered_hours() -> u32 {
    24
}
fn default_mailbox_silent() -> u32 {
    30
}

impl RawAlerts {
    fn parse(self) -> Result<Alerts, String> {
        if self.mailbox_silent_minutes == 0 {
            return Err(
                "alerts.mailbox_silent_minutes must be at least 1 (minutes without a \
                        successful mailbox read before the team is alerted; default 30)"
                    .into(),
            );
        }
        if self.ack_undelivered_hours == 0 {
            return Err("alerts.ack_undelivered_hours must be at least 1 (default 24)".into());
        }
        let mut days = self.answer_reminder_working_days;
        days.sort_unstable_by(|a, b| b.cmp(a));
        days.dedup();
        if days.contains(&0) {
            return Err(
                "alerts.answer_reminder_working_days holds 0; list working days \
                        before the answer deadline, e.g. [3, 1], or [] for no reminder"
                    .into(),
            );
        }
        Ok(Alerts {
            thresholds: Thresholds {
                review_reminder_hours: self.review_reminder_hours,
                answer_reminder_working_days: days,
                answer_overdue_repeat_working_days: self.answer_overdue_repeat_working_days,
                ack_undelivered_hours: self.ack_undelivered_hours,
            },
            mailbox_silent_minutes: self.mailbox_silent_minutes,
        })
    }
}

fn default_digest_cron() -> String {
    "0 0 7 * * Mon-Fri".into()
}
fn default_deadline_cron() -> String {
    "0 */15 * * * *".into()
}
fn default_health_cron() -> String {
    "0 */5 * * * *".into()
}
fn default_monthly_report_cron() -> String {
    "0 0 7 * * *".into()
}

/// An empty string disables the job; anything else must parse as the scheduler parses it.
fn check_cron(key: &str, value: String) -> Result<Option<String>, String> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let noop = |_, _| -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async {})
    };
    tokio_cron_scheduler::Job::new_async_tz(value.as_str(), crate::calendar::WIB, noop).map_err(
        |_| {
            format!(
                "{key} = {value:?} is not a cron schedule; write six fields with seconds first, \
             e.g. \"0 0 7 * * Mon-Fri\" (07:00 WIB on weekdays), or \"\" to disable the job"
            )
        },
    )?;
    Ok(Some(value))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkflow {
    #[serde(default = "default_satisfaction_days")]
    satisfaction_reply_working_days: u32,
}

fn default_satisfaction_days() -> u32 {
    5
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    #[serde(default = "default_auto_replies")]
    auto_replies_per_sender_per_hour: u32,
    #[serde(default = "default_max_parse_mb")]
    max_parse_megabytes: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntake {
    #[serde(default = "default_authserv_id")]
    trusted_authserv_id: String,
    #[serde(default)]
    trusted_form_senders: Vec<String>,
}

fn default_authserv_id() -> String {
    "mx.google.com".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplates {
    dir: PathBuf,
}

fn default_mailbox() -> String {
    "INBOX".into()
}
fn default_idle_refresh() -> u64 {
    9 * 60
}
fn default_poll() -> u64 {
    60
}
fn default_working_days() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"]
        .map(String::from)
        .to_vec()
}
fn default_auto_replies() -> u32 {
    5
}
fn default_max_parse_mb() -> usize {
    25
}

/// Units and keywords used when the config has no `[units]` table.
pub fn default_units() -> Vec<(String, Vec<String>)> {
    let unit = |name: &str, words: &[&str]| {
        (
            name.to_string(),
            words.iter().map(|w| w.to_string()).collect(),
        )
    };
    vec![
        unit(
            "pendaftaran",
            &[
                "pendaftaran",
                "loket",
                "nomor antrean",
                "rekam medis",
                "kartu berobat",
            ],
        ),
        unit("farmasi", &["farmasi", "apotek", "obat", "resep"]),
        unit(
            "poli_umum",
            &["poli umum", "dokter umum", "pemeriksaan umum"],
        ),
        unit(
            "poli_gigi",
            &["poli gigi", "gigi", "dokter gigi", "cabut gigi"],
        ),
        unit(
            "kia_imunisasi",
            &[
                "kia",
                "imunisasi",
                "bidan",
                "ibu hamil",
                "bayi",
                "balita",
                "kb",
                "persalinan",
            ],
        ),
        unit(
            "laboratorium",
            &["laboratorium", "lab", "cek darah", "tes darah", "hasil lab"],
        ),
        unit(
            "kebersihan",
            &["kebersihan", "kotor", "toilet", "wc", "sampah", "bau"],
        ),
        unit("ambulans", &["ambulans", "ambulan", "rujukan darurat"]),
        unit(
            "administrasi_bpjs",
            &[
                "bpjs",
                "administrasi",
                "jkn",
                "surat keterangan",
                "biaya",
                "pungutan",
            ],
        ),
    ]
}

/// Keywords used when the config has no `[keywords]` table.
pub fn default_keywords() -> Vec<(Kind, Vec<String>)> {
    let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    vec![
        (
            Kind::Saran,
            words(&[
                "saran",
                "usul",
                "usulan",
                "sebaiknya",
                "alangkah baiknya",
                "masukan",
            ]),
        ),
        (
            Kind::Apresiasi,
            words(&[
                "terima kasih",
                "terimakasih",
                "apresiasi",
                "puas dengan pelayanan",
                "pelayanan bagus",
                "pelayanan baik",
                "ramah",
                "memuaskan",
            ]),
        ),
        (
            Kind::PermintaanInformasi,
            words(&[
                "informasi",
                "bertanya",
                "tanya",
                "jadwal",
                "jam buka",
                "apakah",
                "bagaimana cara",
                "syarat",
                "mohon info",
            ]),
        ),
        (
            Kind::Pengaduan,
            words(&[
                "keluhan",
                "kecewa",
                "lama",
                "antri",
                "antre",
                "tidak ramah",
                "kasar",
                "kotor",
                "mengeluh",
                "pengaduan",
                "komplain",
                "buruk",
                "ditolak",
            ]),
        ),
    ]
}

impl Config {
    /// Reads and validates the file. Secrets are not read here: a command that needs
    /// them calls [`Config::require_secrets`] (or reads one at the point of need).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let err = |message: String| ConfigError {
            file: file.clone(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            err(format!(
                "cannot read the config file ({e}). Copy config/pengaduan.example.toml to {file} \
                 and edit it, or pass --config PATH (or set PENGADUAN_CONFIG)."
            ))
        })?;
        warn_if_readable_by_others(path);
        let config = Config::parse(&text, path)?;
        if let Some(message) = moved_database(&text, &config.storage.database) {
            return Err(err(message));
        }
        Ok(config)
    }

    /// The password keys (`imap.password`, `smtp.password`) whose Gmail app password was
    /// written with Google's spaces and is read without them. Reads the secrets; one that
    /// cannot be read is left out (`require_secrets` and the logins name it).
    pub fn unspaced_app_passwords(&self) -> Vec<&str> {
        self.imap
            .iter()
            .map(|i| &i.login)
            .chain(self.smtp.iter().map(|s| &s.login))
            .filter_map(|login| match login {
                Login::Password(p) if p.gmail_app_password => {
                    matches!(p.read_noting(), Ok((_, true))).then(|| p.key())
                }
                Login::Password(_) => None,
                Login::XOAuth2(_) => None,
            })
            .collect()
    }

    /// Reads every secret the config names (IMAP, SMTP, OAuth), for `run` to fail at
    /// start rather than at its first login. The error names the key and the fix.
    pub fn require_secrets(&self) -> Result<(), ConfigError> {
        let logins = self
            .imap
            .iter()
            .map(|i| &i.login)
            .chain(self.smtp.iter().map(|s| &s.login));
        for login in logins {
            let sources = match login {
                Login::Password(p) => vec![p],
                Login::XOAuth2(o) => vec![&o.client_secret, &o.refresh_token],
            };
            for source in sources {
                source.read().map_err(|e| ConfigError {
                    file: self.path.display().to_string(),
                    message: e.to_string(),
                })?;
            }
        }
        Ok(())
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let err = |message: String| ConfigError {
            file: file.clone(),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| err(describe_toml_error(&e)))?;
        // Relative paths start at the config file's folder ("" for a bare file name: the
        // working directory, which is then that folder too).
        let base = path.parent().unwrap_or(Path::new(""));
        let resolve = |p: PathBuf| base.join(p);

        let email = EmailAddress::parse(&raw.puskesmas.email).map_err(|e| {
            err(format!(
                "puskesmas.email = {:?} is not an email address ({e}); write the centre's \
                 address, e.g. \"kademangan.puskesmas@gmail.com\"",
                raw.puskesmas.email
            ))
        })?;
        if raw.puskesmas.name.trim().is_empty() {
            return Err(err(
                "puskesmas.name is empty; write the centre's name, e.g. \"Puskesmas Kademangan\""
                    .into(),
            ));
        }

        let oauth2 = raw
            .oauth2
            .map(|o| o.parse(base))
            .transpose()
            .map_err(&err)?;
        let imap = raw
            .imap
            .map(|i| -> Result<Imap, ConfigError> {
                check_security("imap", &i.host, i.security).map_err(&err)?;
                if i.idle_refresh_seconds == 0 || i.idle_refresh_seconds > 29 * 60 {
                    return Err(err(format!(
                        "imap.idle_refresh_seconds = {} is out of range; use 60..=1740 \
                         (RFC 2177: re-issue IDLE at least every 29 minutes; 540 is the default)",
                        i.idle_refresh_seconds
                    )));
                }
                if i.daily_download_mb == 0 {
                    return Err(err(
                        "imap.daily_download_mb = 0 would never read the mailbox; \
                         give the megabytes a day the daemon may download (Gmail allows 2500; \
                         2000 is the default)"
                            .into(),
                    ));
                }
                Ok(Imap {
                    login: login(
                        "imap",
                        &i.host,
                        i.auth,
                        i.password_env,
                        i.password_file.map(resolve),
                        &oauth2,
                    )
                    .map_err(&err)?,
                    ca_file: check_ca("imap", i.ca_file.map(resolve)).map_err(&err)?,
                    host: i.host,
                    port: i.port,
                    security: i.security,
                    username: i.username,
                    mailbox: i.mailbox,
                    idle_refresh_secs: i.idle_refresh_seconds,
                    poll_secs: i.poll_seconds.max(1),
                    daily_download_bytes: u64::from(i.daily_download_mb) * 1024 * 1024,
                })
            })
            .transpose()?;

        let smtp = raw
            .smtp
            .map(|s| -> Result<Smtp, ConfigError> {
                check_security("smtp", &s.host, s.security).map_err(&err)?;
                if s.daily_limit == 0 {
                    return Err(err(
                        "smtp.daily_limit = 0 would never send a mail; give the \
                         mails a day the daemon may send (Gmail allows 500, Google Workspace \
                         2000; 450 is the default)"
                            .into(),
                    ));
                }
                Ok(Smtp {
                    login: login(
                        "smtp",
                        &s.host,
                        s.auth,
                        s.password_env,
                        s.password_file.map(resolve),
                        &oauth2,
                    )
                    .map_err(&err)?,
                    ca_file: check_ca("smtp", s.ca_file.map(resolve)).map_err(&err)?,
                    host: s.host,
                    port: s.port,
                    security: s.security,
                    username: s.username,
                    daily_limit: s.daily_limit,
                })
            })
            .transpose()?;

        let c = raw.calendar.unwrap_or_else(|| RawCalendar {
            working_days: default_working_days(),
            holidays: Vec::new(),
            cuti_bersama_is_working_day: false,
        });
        let calendar = CalendarSettings {
            working_days: parse_weekdays(&c.working_days).map_err(&err)?,
            holidays: c.holidays.into_iter().map(resolve).collect(),
            cuti_bersama_is_working_day: c.cuti_bersama_is_working_day,
        };

        let r = raw.recipients.unwrap_or_default();
        let recipients = Recipients {
            tim_pengaduan: parse_addresses("recipients.tim_pengaduan", &r.tim_pengaduan)
                .map_err(&err)?,
            kepala_puskesmas: parse_addresses("recipients.kepala_puskesmas", &r.kepala_puskesmas)
                .map_err(&err)?,
            tim_mutu: parse_addresses("recipients.tim_mutu", &r.tim_mutu).map_err(&err)?,
            dinas_kesehatan: parse_addresses("recipients.dinas_kesehatan", &r.dinas_kesehatan)
                .map_err(&err)?,
        };

        let keywords = match raw.keywords {
            None => Keywords {
                by_kind: default_keywords(),
            },
            Some(table) => {
                let mut by_kind = Vec::new();
                for (key, words) in table {
                    let kind: Kind = key.parse().map_err(|_| {
                        err(format!(
                            "keywords.{key} is not a kind; the kinds are pengaduan, saran, \
                             apresiasi and permintaan_informasi"
                        ))
                    })?;
                    by_kind.push((kind, words.iter().map(|w| w.to_lowercase()).collect()));
                }
                Keywords { by_kind }
            }
        };

        let units = match raw.units {
            None => default_units(),
            Some(table) => {
                let mut units = Vec::new();
                for (name, value) in table {
                    let words = value
                        .as_array()
                        .map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_lowercase)).collect::<Vec<_>>())
                        .filter(|w: &Vec<String>| !w.is_empty())
                        .ok_or_else(|| {
                            err(format!(
                                "units.{name} must be a list of keywords, e.g. {name} = [\"obat\", \"apotek\"]"
                            ))
                        })?;
                    units.push((name, words));
                }
                units
            }
        };
        let workflow = Workflow {
            satisfaction_reply_working_days: raw
                .workflow
                .map(|w| w.satisfaction_reply_working_days)
                .unwrap_or_else(default_satisfaction_days),
        };

        let raw_schedule = raw.schedule.unwrap_or(RawSchedule {
            digest: default_digest_cron(),
            deadline_check: default_deadline_cron(),
            health_check: default_health_cron(),
            monthly_report: default_monthly_report_cron(),
            monthly_report_to_dinas: false,
        });
        let schedule = Schedule {
            digest: check_cron("schedule.digest", raw_schedule.digest).map_err(&err)?,
            deadline_check: check_cron("schedule.deadline_check", raw_schedule.deadline_check)
                .map_err(&err)?,
            health_check: check_cron("schedule.health_check", raw_schedule.health_check)
                .map_err(&err)?,
            monthly_report: check_cron("schedule.monthly_report", raw_schedule.monthly_report)
                .map_err(&err)?,
            monthly_report_to_dinas: raw_schedule.monthly_report_to_dinas,
        };
        let alerts = raw.alerts.unwrap_or_default().parse().map_err(&err)?;

        let limits = match raw.limits {
            Some(l) => Limits {
                auto_replies_per_sender_per_hour: l.auto_replies_per_sender_per_hour,
                max_parse_bytes: l.max_parse_megabytes.saturating_mul(1024 * 1024),
            },
            None => Limits {
                auto_replies_per_sender_per_hour: default_auto_replies(),
                max_parse_bytes: default_max_parse_mb() * 1024 * 1024,
            },
        };

        let intake = match raw.intake {
            None => Intake::default(),
            Some(i) => {
                let id = i.trusted_authserv_id.trim().to_ascii_lowercase();
                if id.is_empty() || id.contains(char::is_whitespace) {
                    return Err(err(
                        "intake.trusted_authserv_id must name the receiving mail server as it \
                         writes itself in Authentication-Results, e.g. \"mx.google.com\""
                            .into(),
                    ));
                }
                Intake {
                    trusted_authserv_id: id,
                    trusted_form_senders: parse_addresses(
                        "intake.trusted_form_senders",
                        &i.trusted_form_senders,
                    )
                    .map_err(&err)?,
                }
            }
        };

        Ok(Config {
            path: path.to_path_buf(),
            puskesmas: Puskesmas {
                name: raw.puskesmas.name,
                email,
                contact: raw.puskesmas.contact,
            },
            imap,
            smtp,
            storage: Storage {
                database: resolve(raw.storage.database),
                retention_years: match raw.storage.retention_years {
                    n @ 1..=100 => n,
                    n => {
                        return Err(err(format!(
                            "storage.retention_years = {n} is out of range; use 1..=100 \
                             (years the raw mail of a closed complaint is kept; 5 is the default)"
                        )))
                    }
                },
            },
            calendar,
            recipients,
            keywords,
            units,
            workflow,
            schedule,
            alerts,
            limits,
            intake,
            templates_dir: match raw.templates {
                Some(t) => Some(resolve(t.dir)),
                None => Some(resolve(PathBuf::from("templates"))).filter(|d| d.is_dir()),
            },
            web: raw.web.map(|w| w.parse(base)).transpose().map_err(&err)?,
        })
    }
}

/// Relative paths used to start at the working directory. A config whose
/// `storage.database` now points at a file that does not exist, while the same relative
/// path from the working directory is an existing file, would silently open a new, empty
/// register: refuse that, and say how to keep the old one.
fn moved_database(text: &str, resolved: &Path) -> Option<String> {
    let raw: toml::Table = text.parse().ok()?;
    let written = PathBuf::from(raw.get("storage")?.get("database")?.as_str()?);
    let moved = written.is_relative() && resolved != written;
    (moved && !resolved.exists() && written.is_file()).then(|| {
        format!(
            "storage.database = {:?} now means {} (relative paths start at the config \
             file's folder), which does not exist, while {} in the working directory holds \
             the register; write the path from the config file's folder or an absolute path, \
             e.g. database = {:?}",
            written.display(),
            resolved.display(),
            written.display(),
            std::path::absolute(&written)
                .unwrap_or(written.clone())
                .display()
        )
    })
}

/// toml's messages already carry the line, column and key; add the general fix.
fn describe_toml_error(e: &toml::de::Error) -> String {
    let mut msg = e.to_string().trim_end().to_string();
    msg.push_str(
        "\nCompare with config/pengaduan.example.toml, which lists every key with a comment.",
    );
    msg
}

pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn check_security(section: &str, host: &str, security: Security) -> Result<(), String> {
    if security == Security::Plain && !is_loopback_host(host) {
        return Err(format!(
            "{section}.security = \"plain\" sends the password unencrypted and is only allowed \
             for a loopback host (127.0.0.1, ::1, localhost), but {section}.host = {host:?}; \
             use security = \"tls\" or \"starttls\""
        ));
    }
    Ok(())
}

fn check_ca(section: &str, ca: Option<PathBuf>) -> Result<Option<PathBuf>, String> {
    match ca {
        Some(p) if !p.is_file() => Err(format!(
            "{section}.ca_file = {:?} does not exist or is not a file; give the path of a PEM \
             file with the extra CA certificate, or remove the key to trust only the public CAs",
            p.display()
        )),
        other => Ok(other),
    }
}

/// Where the secret `{section}.{name}` is kept: `{section}.{name}_env` (an environment
/// variable) or `{section}.{name}_file` (`file` already resolved). Nothing is read here.
fn secret_source(
    section: &str,
    name: &str,
    env: Option<String>,
    file: Option<PathBuf>,
) -> Result<SecretSource, String> {
    let key = format!("{section}.{name}");
    let from = match (env, file) {
        (Some(_), Some(_)) => {
            return Err(format!("{key}_env and {key}_file are both set; keep one"))
        }
        (None, None) if name == "password" => {
            return Err(format!(
                "{section} has no password: set {key}_env = \"NAME\" (an environment \
                 variable holding the Gmail app password) or {key}_file = \"PATH\""
            ))
        }
        (None, None) => {
            return Err(format!(
                "{section} has no {name}: set {key}_env = \"NAME\" (an environment variable \
                 holding it) or {key}_file = \"PATH\""
            ))
        }
        (Some(var), None) => SecretFrom::Env(var),
        (None, Some(path)) => SecretFrom::File(path),
    };
    Ok(SecretSource {
        key,
        from,
        gmail_app_password: false,
    })
}

/// Gmail's IMAP and SMTP servers, under both of Google's mail domains.
pub fn is_gmail_host(host: &str) -> bool {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    matches!(
        host.as_str(),
        "imap.gmail.com" | "smtp.gmail.com" | "imap.googlemail.com" | "smtp.googlemail.com"
    )
}

/// A Gmail app password as Google shows it: exactly four groups of four letters with
/// spaces between them (`abcd efgh ijkl mnop`, a no-break space counts too). Returns the
/// 16 letters; `None` for anything else, which is left as written. The spaces are not
/// part of the password; sent with them, a login can fail on one protocol and not the
/// other (FreeScout #5401: SMTP worked, IMAP did not).
pub fn unspaced_app_password(value: &str) -> Option<String> {
    let groups: Vec<&str> = value
        .split(char::is_whitespace)
        .filter(|g| !g.is_empty())
        .collect();
    let shaped = groups.len() == 4
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_alphabetic()));
    shaped.then(|| groups.concat())
}

/// Group/world readable secrets are a warning, not an error: an operator locked out by a
/// permission check on a holiday is worse than a logged warning.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    "{} can be read by other users; run: chmod 600 {}",
                    path.display(),
                    path.display()
                );
            }
        }
    }
}

fn parse_weekdays(names: &[String]) -> Result<Vec<Weekday>, String> {
    let mut days = Vec::new();
    for name in names {
        let day = match name.to_ascii_lowercase().as_str() {
            "mon" | "senin" => Weekday::Mon,
            "tue" | "selasa" => Weekday::Tue,
            "wed" | "rabu" => Weekday::Wed,
            "thu" | "kamis" => Weekday::Thu,
            "fri" | "jumat" => Weekday::Fri,
            "sat" | "sabtu" => Weekday::Sat,
            "sun" | "minggu" => Weekday::Sun,
            _ => {
                return Err(format!(
                    "calendar.working_days contains {name:?}; use mon, tue, wed, thu, fri, sat, sun"
                ))
            }
        };
        if !days.contains(&day) {
            days.push(day);
        }
    }
    if days.is_empty() {
        return Err(
            "calendar.working_days is empty; list the days the puskesmas works, e.g. \
             [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]"
                .into(),
        );
    }
    Ok(days)
}

fn parse_addresses(key: &str, list: &[String]) -> Result<Vec<EmailAddress>, String> {
    list.iter()
        .map(|a| {
            EmailAddress::parse(a).map_err(|e| {
                format!(
                    "{key} contains {a:?}, which is not an email address ({e}); fix or remove it"
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[puskesmas]
name = "Puskesmas Kademangan"
email = "Kademangan.Puskesmas@gmail.com"
[storage]
database = "data/pengaduan.db"
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.puskesmas.email.as_str(), "kademangan.puskesmas@gmail.com");
        assert_eq!(c.calendar.working_days.len(), 5);
        assert_eq!(c.limits.auto_replies_per_sender_per_hour, 5);
        assert!(c.imap.is_none());
    }

    #[test]
    fn retention_years_default_and_range() {
        assert_eq!(parse(MINIMAL).unwrap().storage.retention_years, 5);
        let with = |n: &str| {
            parse(&MINIMAL.replace(
                "[storage]\n",
                &format!("[storage]\nretention_years = {n}\n"),
            ))
        };
        assert_eq!(with("10").unwrap().storage.retention_years, 10);
        let e = with("0").unwrap_err().to_string();
        assert!(
            e.contains("storage.retention_years = 0 is out of range"),
            "{e}"
        );
    }

    #[test]
    fn web_section() {
        assert!(
            parse(MINIMAL).unwrap().web.is_none(),
            "off unless configured"
        );
        let w = parse(&format!("{MINIMAL}[web]\n")).unwrap().web.unwrap();
        assert_eq!(w.listen.to_string(), "127.0.0.1:8080");
        assert!(!w.secure_cookies());
        assert_eq!(w.session_idle, chrono::Duration::minutes(60));
        let w = parse(&format!(
            "{MINIMAL}[web]\npublic_url = \"https://p.example/\"\nsession_idle_minutes = 30\n"
        ))
        .unwrap()
        .web
        .unwrap();
        assert!(w.secure_cookies());
        assert_eq!(w.public_url.as_deref(), Some("https://p.example"));
        for (bad, key) in [
            ("listen = \"localhost\"", "web.listen"),
            ("public_url = \"pengaduan.example\"", "web.public_url"),
            ("session_idle_minutes = 0", "web.session_idle_minutes"),
            (
                "metrics_token_env = \"T\"\nmetrics_token_file = \"t\"",
                "web.metrics_token_env and web.metrics_token_file are both set",
            ),
        ] {
            let e = parse(&format!("{MINIMAL}[web]\n{bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{bad}: {e}");
        }
        // The example's commented [web] block, switched on, is valid.
        let example = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/pengaduan.example.toml"
        ))
        .unwrap();
        let block = &example[example.find("# [web]").unwrap()..];
        let keys: String = block
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.contains(" = ") || l.starts_with('['))
            .filter(|l| !l.starts_with("metrics_token_file"))
            .map(|l| format!("{}\n", l.replace("PENGADUAN_METRICS_TOKEN", "PATH")))
            .collect();
        let w = parse(&format!("{MINIMAL}{keys}")).unwrap().web.unwrap();
        assert!(w.secure_cookies() && w.metrics_token.is_some());
    }

    #[test]
    fn unknown_key_is_named() {
        let e = parse(&format!("{MINIMAL}\n[imap]\nhots = \"x\"\n")).unwrap_err();
        assert!(e.to_string().contains("hots"), "{e}");
    }

    #[test]
    fn plain_security_refused_off_loopback() {
        let text = format!(
            "{MINIMAL}\n[imap]\nhost = \"imap.gmail.com\"\nport = 143\nsecurity = \"plain\"\n\
             username = \"u\"\npassword_env = \"PATH\"\n"
        );
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("imap.security") && e.contains("loopback"), "{e}");
    }

    #[test]
    fn bad_security_word_is_named() {
        let text = format!(
            "{MINIMAL}\n[smtp]\nhost = \"smtp.gmail.com\"\nport = 587\nsecurity = \"ssl\"\n\
             username = \"u\"\npassword_env = \"PATH\"\n"
        );
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("security") && e.contains("starttls"), "{e}");
    }

    #[test]
    fn xoauth2_needs_the_oauth2_section_and_no_password() {
        let imap = "[imap]\nhost = \"imap.gmail.com\"\nport = 993\nsecurity = \"tls\"\n\
                    username = \"u@gmail.com\"\nauth = \"xoauth2\"\n";
        let e = parse(&format!("{MINIMAL}\n{imap}"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("imap.auth = \"xoauth2\" needs an [oauth2] section"),
            "{e}"
        );

        let e = parse(&format!("{MINIMAL}\n{imap}password_env = \"PATH\"\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("remove imap.password_env"), "{e}");

        let oauth = |url: &str| {
            format!(
                "{MINIMAL}\n{imap}[oauth2]\nclient_id = \"c\"\nclient_secret_env = \"PATH\"\n\
                 refresh_token_env = \"HOME\"\ntoken_url = \"{url}\"\n"
            )
        };
        let c = parse(&oauth("https://oauth2.googleapis.com/token")).unwrap();
        assert!(matches!(c.imap.unwrap().login, Login::XOAuth2(_)));
        assert!(parse(&oauth("http://127.0.0.1:8080/token")).is_ok());
        let e = parse(&oauth("http://oauth2.example.com/token"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("oauth2.token_url") && e.contains("https://"),
            "{e}"
        );

        let e = parse(&format!(
            "{MINIMAL}\n{imap}[oauth2]\nclient_id = \"c\"\nclient_secret_env = \"PATH\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("oauth2.refresh_token_env"), "{e}");
    }

    #[test]
    fn missing_password_env_is_reported_when_needed_not_at_load() {
        let text = format!(
            "{MINIMAL}\n[imap]\nhost = \"imap.gmail.com\"\nport = 993\nsecurity = \"tls\"\n\
             username = \"u\"\npassword_env = \"PENGADUAN_TEST_UNSET_VAR\"\n"
        );
        // Offline commands load the config without the password.
        let c = parse(&text).unwrap();
        let e = c.require_secrets().unwrap_err().to_string();
        assert_eq!(
            e,
            "test.toml: imap.password_env names the environment variable \
             PENGADUAN_TEST_UNSET_VAR, which is not set or empty; export \
             PENGADUAN_TEST_UNSET_VAR=... before starting, or use imap.password_file"
        );
        let Some(Imap {
            login: Login::Password(source),
            ..
        }) = &c.imap
        else {
            panic!("a password login")
        };
        assert!(source
            .read()
            .unwrap_err()
            .to_string()
            .contains("imap.password_env"));
        // A secret that is there is read at the point of need.
        let c = parse(&text.replace("PENGADUAN_TEST_UNSET_VAR", "PATH")).unwrap();
        c.require_secrets().unwrap();
    }

    #[test]
    fn relative_paths_start_at_the_config_files_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("ca.pem"), "x").unwrap();
        let text = format!(
            "{MINIMAL}\n[imap]\nhost = \"imap.gmail.com\"\nport = 993\nsecurity = \"tls\"\n\
             username = \"u\"\npassword_file = \"rahasia/imap\"\nca_file = \"ca.pem\"\n\
             [calendar]\nholidays = [\"libur/2027.toml\", \"/abs/lokal.toml\"]\n"
        );
        let c = Config::parse(&text, &dir.path().join("pengaduan.toml")).unwrap();
        assert_eq!(c.storage.database, dir.path().join("data/pengaduan.db"));
        assert_eq!(
            c.calendar.holidays,
            vec![
                dir.path().join("libur/2027.toml"),
                PathBuf::from("/abs/lokal.toml")
            ]
        );
        let imap = c.imap.unwrap();
        assert_eq!(imap.ca_file, Some(dir.path().join("ca.pem")));
        // templates/ beside the config is picked up when templates.dir is not set.
        assert_eq!(c.templates_dir, Some(dir.path().join("templates")));
        let Login::Password(source) = imap.login else {
            panic!("a password login")
        };
        let e = source.read().unwrap_err().to_string();
        assert!(
            e.contains(&dir.path().join("rahasia/imap").display().to_string()),
            "{e}"
        );

        // Without that folder and without the key: only the built-in templates.
        let elsewhere = tempfile::tempdir().unwrap();
        let c = Config::parse(MINIMAL, &elsewhere.path().join("p.toml")).unwrap();
        assert_eq!(c.templates_dir, None);
        assert!(
            c.calendar.holidays.is_empty(),
            "the official lists are built in"
        );
        assert!(!c.calendar.cuti_bersama_is_working_day);
        // An explicit templates.dir is kept as written (resolved), missing or not.
        let c = Config::parse(
            &format!("{MINIMAL}\n[templates]\ndir = \"teks\"\n"),
            &elsewhere.path().join("p.toml"),
        )
        .unwrap();
        assert_eq!(c.templates_dir, Some(elsewhere.path().join("teks")));
        let c = Config::parse(
            &format!("{MINIMAL}\n[calendar]\ncuti_bersama_is_working_day = true\n"),
            &elsewhere.path().join("p.toml"),
        )
        .unwrap();
        assert!(c.calendar.cuti_bersama_is_working_day);
    }

    /// Google shows an app password as four groups of four letters; only exactly that
    /// shape loses its spaces, and only for Gmail's own servers.
    #[test]
    fn gmail_app_passwords_lose_their_spaces() {
        let cases = [
            ("abcd efgh ijkl mnop", Some("abcdefghijklmnop")),
            ("ABCD efgh IJKL mnop", Some("ABCDefghIJKLmnop")),
            ("  abcd efgh ijkl mnop ", Some("abcdefghijklmnop")),
            (
                "abcd\u{a0}efgh\u{a0}ijkl\u{a0}mnop",
                Some("abcdefghijklmnop"),
            ),
            ("abcd  efgh ijkl mnop", Some("abcdefghijklmnop")),
            // Already without spaces, or any other password: as written.
            ("abcdefghijklmnop", None),
            ("abcd efgh ijkl", None),
            ("abcd efgh ijkl mnop qrst", None),
            ("abc1 efgh ijkl mnop", None),
            ("abcde fgh ijkl mnop", None),
            ("kata sandi saya rahasia", None),
            ("ab cd ef gh", None),
            ("", None),
        ];
        for (value, want) in cases {
            assert_eq!(unspaced_app_password(value).as_deref(), want, "{value:?}");
        }
        for host in [
            "imap.gmail.com",
            "smtp.gmail.com",
            "IMAP.Gmail.com.",
            "imap.googlemail.com",
            "smtp.googlemail.com",
        ] {
            assert!(is_gmail_host(host), "{host}");
        }
        for host in [
            "127.0.0.1",
            "mail.example.test",
            "gmail.com.evil.test",
            "imap.gmail.co",
        ] {
            assert!(!is_gmail_host(host), "{host}");
        }
    }

    #[test]
    fn secret_debug_hides_value() {
        let s = Secret::new("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn bad_weekday_and_recipient_are_named() {
        let e = parse(&format!(
            "{MINIMAL}\n[calendar]\nworking_days = [\"mon\", \"funday\"]\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("calendar.working_days") && e.contains("funday"),
            "{e}"
        );
        let e = parse(&format!(
            "{MINIMAL}\n[recipients]\ntim_mutu = [\"not-an-address\"]\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("recipients.tim_mutu"), "{e}");
    }

    /// The shipped example must stay valid: every key in it is one the parser knows, and
    /// its paths, taken from its own folder, name the checkout's files.
    #[test]
    fn example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/pengaduan.example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let c = Config::parse(&text, &path).unwrap();
        assert_eq!(c.imap.unwrap().port, 993);
        assert_eq!(c.smtp.unwrap().security, Security::Starttls);
        assert_eq!(c.workflow.satisfaction_reply_working_days, 5);
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(c.calendar.holidays.len(), 1);
        assert_eq!(
            c.calendar.holidays[0].canonicalize().unwrap(),
            root.join("config/libur-lokal.toml")
        );
        assert_eq!(
            c.templates_dir.unwrap().canonicalize().unwrap(),
            root.join("templates")
        );
        assert!(c.storage.database.ends_with("config/../data/pengaduan.db"));
        assert!(!c.calendar.cuti_bersama_is_working_day);
    }

    #[test]
    fn schedules_are_checked_and_empty_disables() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.schedule.digest.as_deref(), Some("0 0 7 * * Mon-Fri"));
        let c = parse(&format!("{MINIMAL}\n[schedule]\ndigest = \"\"\n")).unwrap();
        assert!(c.schedule.digest.is_none());
        assert!(c.schedule.deadline_check.is_some());
        let e = parse(&format!(
            "{MINIMAL}\n[schedule]\ndeadline_check = \"every 15 minutes\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("schedule.deadline_check") && e.contains("seconds first"),
            "{e}"
        );
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("127.0.0.2"));
        assert!(is_loopback_host("::1"));
        assert!(is_loopback_host("localhost"));
        assert!(!is_loopback_host("imap.gmail.com"));
        assert!(!is_loopback_host("10.0.0.1"));
    }
}
