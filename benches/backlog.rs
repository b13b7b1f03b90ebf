//! Backlog ingest and memory, against the reference `mbsync`: N complaint emails from the
//! corpus of benches/support/corpus.rs (most 3–30 KB, 5 % with a 200 KB–2 MB photo) wait
//! in the lab mailbox; first `mbsync` (Debian package isync) pulls the mailbox into a local
//! Maildir over IMAPS, then the daemon starts with `--backfill-since` and is timed until
//! all N are registered and their N acknowledgements are queued. The daemon's peak RSS
//! (VmHWM) is read then; its RSS again after the outbox has drained and it has idled.
//! Each size in `BENCH_BACKLOG_SIZES` (default "1000,10000") is a fresh lab, so the
//! memory figures of a small and a large backlog can be compared.
//! Run: `cargo bench --bench backlog` (as root, after scripts/install-test-deps.sh and
//! `apt-get install isync`); `BENCH_IDLE_SECS` (default 60) sets the idle time and
//! `BENCH_DRAIN_SECS` (default 300) caps the wait for every acknowledgement to be sent.
//! Prints `RESULT backlog …` lines for scripts/bench. Asserts nothing about speed.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/maildir.rs"]
mod maildir;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::daemon::{Daemon, PUSKESMAS};
use support::lab::Lab;

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_BACKLOG_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let idle = Duration::from_secs(
        std::env::var("BENCH_IDLE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60),
    );
    // How long to wait for the outbox to drain before the idle period starts anyway.
    let drain_max = Duration::from_secs(
        std::env::var("BENCH_DRAIN_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300),
    );
    let mbsync = find_mbsync();
    for n in sizes {
        run(n, idle, drain_max, &mbsync);
    }
}

fn run(n: usize, idle: Duration, drain_max: Duration, mbsync: &Path) {
    let lab = Lab::start();
    let today = chrono::Utc::now();
    let date = today.to_rfc2822();
    let t = Instant::now();
    let bytes = maildir::fill(
        &lab,
        PUSKESMAS,
        (0..n).map(|i| corpus::message(i, 6, &date)),
    );
    eprintln!(
        "backlog {n}: {:.0} MB in the mailbox ({:.1} s to write and index)",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // The reference: a mature C IMAP client pulling the same mailbox over IMAPS.
    let work = tempfile::tempdir().unwrap();
    settle_disk();
    let (mbsync_secs, pulled) = run_mbsync(mbsync, &lab, work.path());
    assert_eq!(pulled, n, "mbsync pulled {pulled} of {n} messages");
    eprintln!("backlog {n}: mbsync {mbsync_secs:.2} s");

    let d = Daemon::new(&lab);
    let since = (today - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let log = std::fs::File::create(d.log_path()).unwrap();
    settle_disk();
    let start = Instant::now();
    let mut child = d
        .command(&["run", "--backfill-since", &since])
        // INFO, as in production: the lab default (debug) would time the logging.
        // BENCH_RUST_LOG=info,pengaduan::mail::imap=debug adds per-chunk fetch/ingest times.
        .env(
            "RUST_LOG",
            std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let db = d.dir.path().join("data/pengaduan.db");
    let timeout = Duration::from_secs(120 + n as u64 / 20);
    wait_for(&db, &mut child, timeout, &d, |c, a, _| c >= n && a >= n);
    let daemon_secs = start.elapsed().as_secs_f64();
    let peak_kb = proc_status(child.id(), "VmHWM");
    let cpu_secs = cpu_seconds(child.id());
    eprintln!(
        "backlog {n}: daemon {daemon_secs:.2} s ({cpu_secs:.1} s of CPU), peak RSS {} MB",
        peak_kb / 1024
    );

    // Then let it send every acknowledgement and sit idle on the mailbox.
    let drain_start = Instant::now();
    let drained = wait_for(
        &db,
        &mut child,
        drain_max.min(Duration::from_secs(120 + n as u64 / 10)),
        &d,
        |_, _, pending| pending == 0,
    );
    let drain_secs = drain_start.elapsed().as_secs_f64();
    std::thread::sleep(idle);
    let idle_kb = proc_status(child.id(), "VmRSS");
    let hwm_all_kb = proc_status(child.id(), "VmHWM");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    // The daemon's log, for a look afterwards (its directory is removed with `d`).
    let _ = std::fs::create_dir_all("target/bench");
    let _ = std::fs::copy(d.log_path(), format!("target/bench/backlog-{n}-daemon.log"));

    let mb = bytes as f64 / 1e6;
    println!(
        "RESULT backlog messages={n} mb={mb:.0} mbsync_secs={mbsync_secs:.2} mbsync_msg_per_s={:.0} \
         daemon_secs={daemon_secs:.2} daemon_cpu_secs={cpu_secs:.1} daemon_msg_per_s={:.0} ratio={:.2} peak_rss_mb={:.1} \
         drain_secs={drain_secs:.1} drained={drained} idle_secs={} idle_rss_mb={:.1} peak_rss_all_mb={:.1}",
        n as f64 / mbsync_secs,
        n as f64 / daemon_secs,
        mbsync_secs / daemon_secs,
        peak_kb as f64 / 1024.0,
        idle.as_secs(),
        idle_kb as f64 / 1024.0,
        hwm_all_kb as f64 / 1024.0,
    );
}

/// Polls the daemon's database every 50 ms until `done(complaints, acks queued, pending
/// outbox rows)`; returns false on timeout. Panics, with the log, if the daemon exits.
fn wait_for(
    db: &Path,
    child: &mut Child,
    timeout: Duration,
    d: &Daemon,
    done: impl Fn(usize, usize, usize) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    let mut conn: Option<rusqlite::Connection> = None;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the daemon exited ({status})\n{}", d.log());
        }
        if conn.is_none() && db.exists() {
            conn = rusqlite::Connection::open(db).ok();
        }
        if let Some(c) = &conn {
            let counts = c.query_row(
                "SELECT (SELECT count(*) FROM complaints),
                        (SELECT count(*) FROM outbox WHERE purpose = 'ack'),
                        (SELECT count(*) FROM outbox WHERE status = 'pending')",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            );
            if let Ok((complaints, acks, pending)) = counts {
                if done(complaints as usize, acks as usize, pending as usize) {
                    return true;
                }
            }
        }
        if Instant::now() > deadline {
            eprintln!(
                "backlog: timed out after {timeout:?}\n{}",
                tail(&d.log(), 20)
            );
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs mbsync once (pull INBOX into `dir/maildir`); returns its wall time and the number
/// of messages it stored.
fn run_mbsync(mbsync: &Path, lab: &Lab, dir: &Path) -> (f64, usize) {
    let local = dir.join("maildir");
    std::fs::create_dir_all(&local).unwrap();
    let conf = dir.join("mbsyncrc");
    // Host localhost: mbsync 1.4 checks only the certificate's DNS names, not its IP SAN.
    std::fs::write(
        &conf,
        format!(
            "IMAPAccount lab\nHost localhost\nPort {port}\nUser {PUSKESMAS}\nPass {pass}\n\
             SSLType IMAPS\nCertificateFile {ca}\nAuthMechs PLAIN\n\n\
             IMAPStore remote\nAccount lab\n\n\
             MaildirStore local\nPath {local}/\nInbox {local}/INBOX\n\n\
             Channel pull\nFar :remote:\nNear :local:\nPatterns INBOX\nSync Pull\nCreate Near\nSyncState *\n",
            port = lab.imaps_port,
            pass = Lab::PASSWORD,
            ca = lab.ca_file.display(),
            local = local.display(),
        ),
    )
    .unwrap();
    let start = Instant::now();
    let out = Command::new(mbsync)
        .arg("-c")
        .arg(&conf)
        .args(["-q", "pull"])
        .env("HOME", dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "mbsync failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let count = ["cur", "new"]
        .iter()
        .map(|s| {
            std::fs::read_dir(local.join("INBOX").join(s))
                .map(|rd| rd.count())
                .unwrap_or(0)
        })
        .sum();
    (secs, count)
}

/// Flushes what earlier steps left for the disk to write (the filled mailbox, mbsync's
/// Maildir), so a timed run does not pay for the writeback of the step before it: mbsync
/// syncs every message it stores, and right after a fill its time varied 12.7–25 s.
fn settle_disk() {
    let _ = Command::new("sync").status();
}

fn find_mbsync() -> PathBuf {
    ["/usr/bin/mbsync", "/usr/local/bin/mbsync"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("mbsync not found: `apt-get install isync` (scripts/bench does it)")
}

/// The CPU time (user + system) a process has used so far, from /proc/PID/stat; 0 when
/// unreadable. Steadier than wall time from run to run on a shared disk.
fn cpu_seconds(pid: u32) -> f64 {
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) start at ")".
            let fields: Vec<u64> = s
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .map(|f| f.parse().unwrap_or(0))
                .collect();
            // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
            Some(fields.get(11)? + fields.get(12)?)
        })
        .unwrap_or(0);
    // SAFETY: sysconf only reads a constant of the system.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 / per_sec
}

/// A `kB` field of /proc/PID/status (VmRSS, VmHWM), 0 when unreadable.
fn proc_status(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
