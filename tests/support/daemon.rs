//! Runs the real `pengaduan` binary against a mail lab, the way an operator would.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use pengaduan::domain::Ticket;
use pengaduan::store::{ComplaintRow, Store};

use super::lab::Lab;

pub const PUSKESMAS: &str = "puskesmas@example.test";

pub struct Daemon {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    child: Option<Child>,
}

/// `[smtp] daily_limit` of a lab daemon: far above any test's volume.
pub const LAB_DAILY_LIMIT: u32 = 1_000_000;

pub struct Options {
    pub imap_security: &'static str,
    pub smtp_security: &'static str,
    pub extra: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            imap_security: "tls",
            smtp_security: "starttls",
            extra: "",
        }
    }
}

impl Daemon {
    pub fn new(lab: &Lab) -> Daemon {
        Daemon::with(lab, Options::default())
    }

    /// [`Daemon::new`] with `[web]` on a free loopback port, and the dashboard's address
    /// (`http://127.0.0.1:PORT`); the daemon is not started yet.
    pub fn with_web(lab: &Lab) -> (Daemon, String) {
        let port = closed_port();
        let extra: &'static str =
            Box::leak(format!("[web]\nlisten = \"127.0.0.1:{port}\"\n").into_boxed_str());
        let d = Daemon::with(
            lab,
            Options {
                extra,
                ..Options::default()
            },
        );
        (d, format!("http://127.0.0.1:{port}"))
    }

    /// `pengaduan users add NAME --role ROLE`, the password on stdin as a person types it.
    pub fn add_user(&self, name: &str, role: &str, password: &str) {
        use std::io::Write;
        let mut add = self
            .command(&["users", "add", name, "--role", role])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        add.stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        let out = add.wait_with_output().unwrap();
        assert!(out.status.success(), "users add {name}: {}", output(&out));
    }

    /// Writes a config for this lab into a fresh directory; the daemon is not started yet.
    pub fn with(lab: &Lab, o: Options) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let (imap_host, imap_port) = match o.imap_security {
            "tls" => ("127.0.0.1", lab.imaps_port),
            // The STARTTLS listener is on 127.0.0.2, where Dovecot refuses plaintext login.
            _ => ("127.0.0.2", lab.imap_port),
        };
        let smtp_port = match o.smtp_security {
            "tls" => lab.smtps_port,
            _ => lab.submission_port,
        };
        let root = env!("CARGO_MANIFEST_DIR");
        let config = dir.path().join("pengaduan.toml");
        std::fs::write(
            &config,
            format!(
                r#"[puskesmas]
name = "Puskesmas Kademangan"
email = "{PUSKESMAS}"
contact = "Telepon (0332) 424212"
[imap]
host = "{imap_host}"
port = {imap_port}
security = "{imap_security}"
username = "{PUSKESMAS}"
password_env = "LAB_IMAP_PASSWORD"
mailbox = "INBOX"
ca_file = "{ca}"
idle_refresh_seconds = 60
poll_seconds = 2
[smtp]
host = "localhost"
port = {smtp_port}
security = "{smtp_security}"
username = "{PUSKESMAS}"
password_env = "LAB_SMTP_PASSWORD"
ca_file = "{ca}"
# The lab is not Gmail: crash tests and benches send thousands of mails in minutes.
daily_limit = {LAB_DAILY_LIMIT}
[storage]
database = "{db}"
[calendar]
holidays = ["{root}/config/libur-nasional-2026.toml"]
[templates]
dir = "{root}/templates"
{extra}
"#,
                imap_security = o.imap_security,
                smtp_security = o.smtp_security,
                ca = lab.ca_file.display(),
                db = dir.path().join("data/pengaduan.db").display(),
                extra = o.extra,
            ),
        )
        .unwrap();
        Daemon {
            dir,
            config,
            child: None,
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pengaduan"));
        cmd.arg("--config")
            .arg(&self.config)
            .args(args)
            .env("LAB_IMAP_PASSWORD", Lab::PASSWORD)
            .env("LAB_SMTP_PASSWORD", Lab::PASSWORD)
            .env("RUST_LOG", "info,pengaduan=debug")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run_cli(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("daemon.log")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts `pengaduan run` and waits until it has read the mailbox once.
    pub fn start(&mut self, args: &[&str]) {
        let since = self.health_at("imap_ok");
        self.spawn(args);
        self.wait_until(
            "the daemon read the mailbox",
            Duration::from_secs(30),
            || self.health_at("imap_ok") > since,
        );
    }

    /// SIGTERM, and wait for the exit; returns whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        unsafe_kill(child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "daemon did not stop within 20 s after SIGTERM\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn store(&self) -> Store {
        Store::open(&self.dir.path().join("data/pengaduan.db")).unwrap()
    }

    pub fn complaints(&self) -> Vec<ComplaintRow> {
        self.store()
            .list_complaints(&pengaduan::store::ListFilter::ALL)
            .unwrap()
    }

    pub fn message_classes(&self) -> Vec<(String, i64)> {
        self.store().message_counts().unwrap()
    }

    pub fn count_of(&self, class: &str) -> i64 {
        self.message_classes()
            .into_iter()
            .find(|(c, _)| c == class)
            .map(|(_, n)| n)
            .unwrap_or(0)
    }

    fn health_at(&self, key: &str) -> String {
        let db = self.dir.path().join("data/pengaduan.db");
        if !db.exists() {
            return String::new();
        }
        Store::open(&db)
            .ok()
            .and_then(|s| s.health(key).ok().flatten())
            .map(|(_, at)| pengaduan::clock::to_db(at))
            .unwrap_or_default()
    }

    pub fn wait_until(&self, what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + timeout;
        while !cond() {
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting until {what}\n--- daemon log ---\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn ticket_of(&self, row: &ComplaintRow) -> Ticket {
        row.ticket
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

fn unsafe_kill(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
}

/// A plain complaint mail from `from` to the puskesmas.
pub fn complaint(from: &str, name: &str, message_id: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {name} <{from}>\r\nTo: {PUSKESMAS}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Mon, 23 Nov 2026 08:00:00 +0700\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A header of a raw mail, decoded (RFC 2047) and unfolded, as a string.
pub fn header(raw: &[u8], name: &str) -> Option<String> {
    let m = mail_parser::MessageParser::new().parse(raw)?;
    m.header_raw(name)?;
    match m.header(name)? {
        mail_parser::HeaderValue::Text(t) => Some(t.to_string()),
        mail_parser::HeaderValue::TextList(l) => Some(l.join(" ")),
        _ => m.header_raw(name).map(|s| s.trim().to_string()),
    }
}

pub fn text_body(raw: &[u8]) -> String {
    let m = mail_parser::MessageParser::new().parse(raw).unwrap();
    m.body_text(0).map(|t| t.to_string()).unwrap_or_default()
}

pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/inbox")
            .join(name),
    )
    .unwrap()
}

impl Daemon {
    /// Waits for mail in a lab mailbox; on timeout the panic shows the daemon's log.
    pub fn wait_for_mail(&self, lab: &Lab, user: &str, n: usize) -> Vec<Vec<u8>> {
        self.wait_until(
            &format!("{user} holds {n} message(s)"),
            Duration::from_secs(30),
            || lab.messages(user).len() >= n,
        );
        lab.messages(user)
    }
}

impl Daemon {
    /// Edits the written config (for example to point SMTP somewhere else before a restart).
    pub fn edit_config(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        assert!(text.contains(from), "config has no {from:?}");
        std::fs::write(&self.config, text.replacen(from, to, 1)).unwrap();
    }
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ---- kills, signals and the database file (tests/crash.rs, tests/shutdown.rs, tests/outage.rs)

impl Daemon {
    /// The database file of this daemon.
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("data/pengaduan.db")
    }

    /// Starts `pengaduan run` and returns at once, without waiting for the mailbox to be
    /// read (a crash test kills it at moments that must not wait for anything).
    pub fn spawn(&mut self, args: &[&str]) {
        assert!(self.child.is_none(), "daemon already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let mut full = vec!["run"];
        full.extend_from_slice(args);
        // Another build sharing target/ may be relinking the binary right now: it is
        // missing for a moment, so try again for a while before giving up.
        let deadline = Instant::now() + Duration::from_secs(120);
        let child = loop {
            match self
                .command(&full)
                .stdout(log.try_clone().unwrap())
                .stderr(log.try_clone().unwrap())
                .spawn()
            {
                Ok(c) => break c,
                Err(e)
                    if Instant::now() < deadline
                        && matches!(
                            e.kind(),
                            std::io::ErrorKind::NotFound | std::io::ErrorKind::ExecutableFileBusy
                        ) =>
                {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => panic!("cannot start {}: {e}", env!("CARGO_BIN_EXE_pengaduan")),
            }
        };
        self.child = Some(child);
    }

    /// Whether the started daemon is still running (false when it exited or was never started).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    /// SIGTERM, then waits (at most `limit`, then SIGKILL) and returns the exit status
    /// (None when it had to be killed) and how long the exit took.
    pub fn terminate(&mut self, limit: Duration) -> (Option<std::process::ExitStatus>, Duration) {
        let mut child = self.child.take().expect("daemon not running");
        let started = Instant::now();
        unsafe_kill(child.id(), "TERM");
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (Some(status), started.elapsed());
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                return (None, started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// An SQL connection to the database, for facts the store API does not expose
    /// (tests only read through it).
    pub fn sql(&self) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(self.db_path()).unwrap();
        c.busy_timeout(Duration::from_secs(30)).unwrap();
        c
    }
}

// ---- hostile input (tests/hostile_daemon.rs)

impl Daemon {
    /// The process id of the running daemon.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the daemon process is still running (it has not exited or crashed).
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

/// A command's stdout and stderr together, for assertions on what a person would see.
pub fn output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
