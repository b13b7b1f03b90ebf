//! Gmail's account limits (issue 12 item 5), met on the lab's real Postfix and Dovecot made
//! to answer with Gmail's exact replies: Postfix access maps for SMTP, a loopback proxy in
//! front of Dovecot for IMAP. The clock is driven by hand; nothing waits for real time
//! except the servers themselves.

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use pengaduan::app::ingest::Outcome;
use pengaduan::app::load_pipeline;
use pengaduan::app::Pipeline;
use pengaduan::config::Config;
use pengaduan::mail::compose::OutgoingMail;
use pengaduan::mail::smtp::Transport;
use pengaduan::outbox::{send_next, Step};
use pengaduan::store::{SharedStore, Store};

use support::daemon::{complaint, Daemon, Options, LAB_DAILY_LIMIT, PUSKESMAS};
use support::lab::{ImapProxy, Lab};

const WAIT: Duration = Duration::from_secs(60);
const TEAM: &str = "tim@example.test";
const DAILY_LIMIT_REPLY: &str = "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852";
const LOGINS_REPLY: &str = "454 4.7.0 Too many login attempts, please try again later.";

/// A daemon directory for `lab` with the team's address and the passwords in a file, so
/// this process can load the same config.
fn daemon(lab: &Lab) -> Daemon {
    let d = Daemon::with(
        lab,
        Options {
            extra: "[recipients]\ntim_pengaduan = [\"tim@example.test\"]\n",
            ..Options::default()
        },
    );
    let secret = d.dir.path().join("secret");
    std::fs::write(&secret, Lab::PASSWORD).unwrap();
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    for var in ["LAB_IMAP_PASSWORD", "LAB_SMTP_PASSWORD"] {
        d.edit_config(
            &format!("password_env = \"{var}\""),
            &format!("password_file = \"{}\"", secret.display()),
        );
    }
    d
}

/// Adds `line` at the end of the config's `[section]`.
fn add_to_section(d: &Daemon, section: &str, line: &str) {
    let text = std::fs::read_to_string(&d.config).unwrap();
    let start = text.find(&format!("[{section}]\n")).unwrap() + section.len() + 3;
    let end = text[start..]
        .find("\n[")
        .map_or(text.len(), |i| start + i + 1);
    let text = format!("{}{line}\n{}", &text[..end], &text[end..]);
    std::fs::write(&d.config, text).unwrap();
}

fn load(d: &Daemon) -> (Config, Pipeline) {
    let config = Config::load(&d.config).unwrap();
    let pipeline = load_pipeline(&config).unwrap();
    (config, pipeline)
}

/// A daemon directory with `[smtp] daily_limit = limit`, and its config and pipeline.
fn setup(lab: &Lab, limit: u32) -> (Daemon, Config, Pipeline) {
    let d = daemon(lab);
    d.edit_config(
        &format!("daily_limit = {LAB_DAILY_LIMIT}"),
        &format!("daily_limit = {limit}"),
    );
    let (config, pipeline) = load(&d);
    (d, config, pipeline)
}

/// Points the daemon's IMAP at `proxy` (plain IMAP on loopback).
fn imap_via(d: &Daemon, lab: &Lab, proxy: &ImapProxy) {
    d.edit_config(
        &format!("port = {}\nsecurity = \"tls\"", lab.imaps_port),
        &format!("port = {}\nsecurity = \"plain\"", proxy.port),
    );
}

/// Registers a complaint from `from` at `now`; its acknowledgement is queued.
fn register(p: &Pipeline, store: &mut Store, from: &str, now: DateTime<Utc>) {
    let raw = complaint(
        from,
        "Warga",
        &format!("limit-{from}"),
        "Antrean loket terlalu lama",
        "Saya menunggu tiga jam di loket pendaftaran.",
    );
    let outcome = support::offline::arrive(p, store, &raw, now);
    assert!(
        matches!(
            outcome,
            Outcome::New {
                ack_queued: true,
                ..
            }
        ),
        "{outcome:?}"
    );
}

/// A team mail of `purpose` (a reminder, a digest) queued at `now`.
fn queue_staff_mail(store: &mut Store, purpose: &str, n: usize, now: DateTime<Utc>) {
    let id = format!("<{purpose}-{n}@pengaduan.test>");
    let raw = format!(
        "From: {PUSKESMAS}\r\nTo: {TEAM}\r\nSubject: {purpose} {n}\r\nMessage-ID: {id}\r\n\
         Date: Tue, 1 Dec 2026 08:00:00 +0700\r\n\r\nPengingat {n}.\r\n"
    );
    let mail = OutgoingMail {
        idem_key: format!("{purpose}:{n}"),
        message_id: id,
        purpose: purpose.into(),
        automatic: true,
        mail_from: PUSKESMAS.into(),
        rcpt_to: vec![TEAM.into()],
        subject: format!("{purpose} {n}"),
        raw: raw.into_bytes(),
    };
    let tx = store.transaction().unwrap();
    assert!(tx.enqueue(&mail, None, now).unwrap());
    tx.commit().unwrap();
}

/// Every outbox row: (purpose, recipient, status, attempts).
fn rows(d: &Daemon) -> Vec<(String, String, String, i64)> {
    d.sql()
        .prepare("SELECT purpose, rcpt_to, status, attempts FROM outbox ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The purpose of the outbox row with this Message-ID.
fn purpose_of(d: &Daemon, message_id: &str) -> String {
    d.sql()
        .query_row(
            "SELECT purpose FROM outbox WHERE message_id = ?1",
            [message_id],
            |r| r.get(0),
        )
        .unwrap()
}

/// Sends until the outbox has nothing it may send at `now`; the purposes sent, in order,
/// and the last step.
async fn drain(
    d: &Daemon,
    store: &SharedStore,
    t: &Transport,
    p: &Pipeline,
    now: DateTime<Utc>,
) -> (Vec<String>, Step) {
    let mut sent = Vec::new();
    loop {
        match send_next(store, t, Some(p), now).await.unwrap() {
            Step::Sent { message_id } => sent.push(purpose_of(d, &message_id)),
            other => return (sent, other),
        }
    }
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The detail of `check`'s AWAS line about `what`.
fn warning<'a>(check: &'a str, what: &str) -> Option<&'a str> {
    check
        .lines()
        .filter(|l| l.starts_with("AWAS"))
        .find_map(|l| l[5..].trim_start().strip_prefix(what)?.strip_prefix(": "))
}

/// Gmail's daily limit: the acknowledgements are kept (pending, no attempt counted), the
/// whole outbox waits, the team gets one alert, `check` and the digest say so, and when
/// Gmail takes mail again the alert goes first and every acknowledgement follows.
#[tokio::test(flavor = "multi_thread")]
async fn daily_limit_pauses_the_whole_outbox_and_loses_no_acknowledgement() {
    let lab = Lab::start();
    let (d, config, p) = setup(&lab, 450);
    let people = [
        "ani@example.test",
        "budi@example.test",
        "citra@example.test",
    ];
    let t0 = Utc::now();
    let mut store = Store::open(&config.storage.database).unwrap();
    for who in people {
        register(&p, &mut store, who, t0);
    }
    let store = SharedStore::new(store);
    let refuse: Vec<(&str, &str)> = people
        .iter()
        .chain([&TEAM])
        .map(|a| (*a, DAILY_LIMIT_REPLY))
        .collect();
    lab.set_recipient_rules(&refuse);
    let transport = Transport::from_config(config.smtp.as_ref().unwrap()).unwrap();

    let step = send_next(&store, &transport, Some(&p), t0).await.unwrap();
    let until = match step {
        Step::Paused { until } => until,
        other => panic!("Gmail's 550 5.4.5 must pause the outbox, not: {other:?}"),
    };
    assert_eq!(until, t0 + chrono::Duration::hours(1));
    // The whole outbox waits: the other acknowledgements are not even tried.
    for _ in 0..3 {
        assert_eq!(
            send_next(
                &store,
                &transport,
                Some(&p),
                t0 + chrono::Duration::minutes(30)
            )
            .await
            .unwrap(),
            Step::Paused { until }
        );
    }
    let after_refusal = rows(&d);
    assert!(
        after_refusal
            .iter()
            .all(|(_, _, status, attempts)| status == "pending" && *attempts == 0),
        "{after_refusal:?}"
    );
    let alerts: Vec<_> = after_refusal
        .iter()
        .filter(|(purpose, ..)| purpose == "outbox_alert")
        .collect();
    assert_eq!(alerts.len(), 1, "{after_refusal:?}");
    assert_eq!(alerts[0].1, TEAM);

    // Staff see it while it lasts.
    let check = stdout(&d.run_cli(&["check"]));
    assert!(
        warning(&check, "pengiriman surel ditahan")
            .is_some_and(|l| l.contains("batas kirim harian")),
        "{check}"
    );
    let digest = stdout(&d.run_cli(&["digest", "--dry-run"]));
    assert!(
        digest.contains("Pengiriman surel ditahan Gmail") && digest.contains("batas kirim harian"),
        "{digest}"
    );

    // An hour later Gmail still refuses: the wait doubles, still one alert.
    let step = send_next(&store, &transport, Some(&p), until)
        .await
        .unwrap();
    let until = match step {
        Step::Paused { until: next } => {
            assert_eq!(next - until, chrono::Duration::hours(2));
            next
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        rows(&d)
            .iter()
            .filter(|(purpose, ..)| purpose == "outbox_alert")
            .count(),
        1
    );

    // Gmail takes mail again: the alert first, then every acknowledgement.
    lab.set_recipient_rules(&[]);
    let transport = Transport::from_config(config.smtp.as_ref().unwrap()).unwrap();
    let (sent, last) = drain(&d, &store, &transport, &p, until).await;
    assert_eq!(sent, vec!["outbox_alert", "ack", "ack", "ack"]);
    assert_eq!(last, Step::Empty);
    for who in people {
        lab.wait_for_messages(who, 1, WAIT);
    }
    let alert = lab.wait_for_messages(TEAM, 1, WAIT);
    let text = support::daemon::text_body(&alert[0]);
    assert!(text.contains("batas kirim harian"), "{text}");
    assert!(d.complaints().iter().all(|c| c.ack_sent_at.is_some()));
    assert_eq!(d.store().health("smtp_pause").unwrap(), None);
    let check = stdout(&d.run_cli(&["check"]));
    assert!(!check.contains("ditahan"), "{check}");
}

/// `[smtp] daily_limit = 10`: mail to complainants goes before the team's, the team's mail
/// stops while only the reserve (a tenth) is left, nothing goes once the ten are sent, and
/// the rest follows when the oldest send leaves the 24-hour window.
#[tokio::test(flavor = "multi_thread")]
async fn a_short_budget_sends_complainants_first_and_keeps_their_reserve() {
    let lab = Lab::start();
    let (d, config, p) = setup(&lab, 10);
    let t0 = Utc::now();
    let mut store = Store::open(&config.storage.database).unwrap();
    for n in 0..9 {
        let purpose = ["reminder_answer", "overdue_review", "digest"][n % 3];
        queue_staff_mail(&mut store, purpose, n, t0);
    }
    let people = [
        "dedi@example.test",
        "eka@example.test",
        "fitri@example.test",
    ];
    for who in people {
        register(&p, &mut store, who, t0 + chrono::Duration::minutes(1));
    }
    let store = SharedStore::new(store);
    let transport = Transport::from_config(config.smtp.as_ref().unwrap()).unwrap();

    let t1 = t0 + chrono::Duration::minutes(2);
    let (sent, last) = drain(&d, &store, &transport, &p, t1).await;
    // 3 acknowledgements, then team mail until 9 of 10 are used; the last one is the reserve.
    assert_eq!(&sent[..3], ["ack", "ack", "ack"]);
    assert_eq!(sent.len(), 9, "{sent:?}");
    assert!(sent[3..].iter().all(|s| s != "ack"), "{sent:?}");
    assert_eq!(
        last,
        Step::Empty,
        "team mail waits while only the reserve is left"
    );

    // A new complaint still gets its acknowledgement from the reserve.
    let mut s = d.store();
    register(&p, &mut s, "gita@example.test", t1);
    let (sent, last) = drain(&d, &store, &transport, &p, t1).await;
    assert_eq!(sent, vec!["ack"]);
    // Ten sent: nothing at all until the first of them is 24 hours old.
    let Step::Paused { until } = last else {
        panic!("the spent budget must hold the outbox: {last:?}")
    };
    let (first_sent,): (String,) = d
        .sql()
        .query_row(
            "SELECT min(sent_at) FROM outbox WHERE status = 'sent'",
            [],
            |r| Ok((r.get(0)?,)),
        )
        .unwrap();
    let first_sent = pengaduan::clock::from_db(&first_sent).unwrap();
    assert_eq!(until, first_sent + chrono::Duration::hours(24));
    let check = stdout(&d.run_cli(&["check"]));
    assert!(
        warning(&check, "kuota kirim harian").is_some_and(|l| l.starts_with("10 dari 10")),
        "{check}"
    );

    let (sent, _) = drain(
        &d,
        &store,
        &transport,
        &p,
        until + chrono::Duration::minutes(1),
    )
    .await;
    assert_eq!(
        sent.len(),
        3,
        "the held team mail follows the next day: {sent:?}"
    );
    assert!(rows(&d).iter().all(|(_, _, status, _)| status == "sent"));
    lab.wait_for_messages("gita@example.test", 1, WAIT);
    lab.wait_for_messages(TEAM, 9, WAIT);
}

/// How many times the submission service was connected to and logged in to since `from`
/// (a byte offset into Postfix's log): its `connect from` lines, and the `auth=` counts
/// of its `disconnect from` lines.
fn submission_sessions(lab: &Lab, from: usize) -> (usize, usize) {
    let log = lab.postfix_log();
    let lines: Vec<&str> = log[from..]
        .lines()
        .filter(|l| l.contains("postfix/submission/smtpd"))
        .collect();
    let connects = lines
        .iter()
        .filter(|l| l.contains(" connect from "))
        .count();
    let auths = lines
        .iter()
        .filter(|l| l.contains(" disconnect from "))
        .filter_map(|l| {
            l.split(" auth=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    (connects, auths)
}

/// `454 4.7.0 Too many login attempts`: the whole outbox backs off (1, 2, 4 … minutes),
/// no mail counts an attempt; afterwards the burst goes out over ONE authenticated
/// connection (lettre's pool keeps it between sends), as Postfix's log shows.
#[tokio::test(flavor = "multi_thread")]
async fn too_many_logins_backs_off_and_one_connection_serves_a_burst() {
    let lab = Lab::start();
    let (d, config, p) = setup(&lab, 450);
    let t0 = Utc::now();
    let people: Vec<String> = (1..=6).map(|n| format!("warga{n}@example.test")).collect();
    let mut store = Store::open(&config.storage.database).unwrap();
    for who in &people {
        register(&p, &mut store, who, t0);
    }
    let store = SharedStore::new(store);
    let refuse: Vec<(&str, &str)> = people.iter().map(|a| (a.as_str(), LOGINS_REPLY)).collect();
    lab.set_recipient_rules(&refuse);
    let transport = Transport::from_config(config.smtp.as_ref().unwrap()).unwrap();

    let mut now = t0;
    let mut waits = Vec::new();
    for _ in 0..4 {
        match send_next(&store, &transport, Some(&p), now).await.unwrap() {
            Step::Paused { until } => {
                // Nothing is tried before the pause ends.
                assert_eq!(
                    send_next(
                        &store,
                        &transport,
                        Some(&p),
                        until - chrono::Duration::seconds(1)
                    )
                    .await
                    .unwrap(),
                    Step::Paused { until }
                );
                waits.push((until - now).num_minutes());
                now = until;
            }
            other => panic!("454 must pause the whole outbox, not: {other:?}"),
        }
    }
    assert_eq!(waits, vec![1, 2, 4, 8]);
    assert!(rows(&d)
        .iter()
        .all(|(purpose, _, status, attempts)| purpose == "ack"
            && status == "pending"
            && *attempts == 0));
    let check = stdout(&d.run_cli(&["check"]));
    assert!(
        warning(&check, "pengiriman surel ditahan")
            .is_some_and(|l| l.contains("terlalu sering login")),
        "{check}"
    );

    lab.set_recipient_rules(&[]);
    let transport = Transport::from_config(config.smtp.as_ref().unwrap()).unwrap();
    let offset = lab.postfix_log().len();
    let (sent, last) = drain(&d, &store, &transport, &p, now).await;
    assert_eq!(sent.len(), 6);
    assert_eq!(last, Step::Empty);
    drop(transport); // closes the pooled connection, so Postfix logs its disconnect line
    let deadline = std::time::Instant::now() + WAIT;
    while submission_sessions(&lab, offset).1 == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        submission_sessions(&lab, offset),
        (1, 1),
        "six mails, one connection, one AUTH:\n{}",
        &lab.postfix_log()[offset..]
    );
    for who in &people {
        lab.wait_for_messages(who, 1, WAIT);
    }
}

const TOO_MANY_CONNECTIONS: &str = "NO [ALERT] Too many simultaneous connections. (Failure)";
const AUTH_FAILED: &str = "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)";
const OVERQUOTA: &str = "NO [OVERQUOTA] Account exceeded command or bandwidth limits. (Failure)";

/// The waits the watcher logged for a limited mailbox (`retry_in=…`), in seconds.
fn limit_waits(log: &str) -> Vec<u64> {
    log.lines()
        .filter(|l| l.contains("mailbox limited by the server"))
        .filter_map(|l| {
            let v = l.split("retry_in=").nth(1)?;
            v.split_whitespace().next()?.strip_suffix('s')?.parse().ok()
        })
        .collect()
}

/// Gmail refuses the login for too many simultaneous connections, and answers the retries
/// with `[AUTHENTICATIONFAILED]`: the daemon waits minutes, not seconds, records the limit,
/// and `check`, the digest and the mailbox alert say what happened instead of "wrong password".
#[test]
fn too_many_connections_is_reported_as_gmails_limit_not_a_wrong_password() {
    let lab = Lab::start();
    let proxy = lab.imap_proxy(&[("LOGIN", &[TOO_MANY_CONNECTIONS, AUTH_FAILED])]);
    let mut d = daemon(&lab);
    imap_via(&d, &lab, &proxy);
    d.spawn(&[]);
    d.wait_until("the limit is logged", WAIT, || {
        !limit_waits(&d.log()).is_empty()
    });
    assert_eq!(limit_waits(&d.log()), vec![300], "{}", d.log());
    assert!(
        !d.log().contains("mailbox connection failed"),
        "{}",
        d.log()
    );
    let (limit, _) = d.store().health("imap_limit").unwrap().expect("recorded");
    assert!(limit.contains("\"connections\""), "{limit}");

    // `check` logs in itself and gets Gmail's "wrong password": it knows better.
    let check = stdout(&d.run_cli(&["check"]));
    let imap = check
        .lines()
        .find(|l| l.contains(" IMAP: "))
        .unwrap_or_else(|| panic!("{check}"));
    assert!(imap.starts_with("AWAS"), "{check}");
    assert!(
        imap.contains("terlalu banyak koneksi bersamaan")
            && imap.contains("kata sandi tidak salah")
            && imap.contains("AUTHENTICATIONFAILED"),
        "{check}"
    );
    assert!(
        warning(&check, "kotak surel dibatasi Gmail")
            .is_some_and(|l| l.contains("terlalu banyak koneksi bersamaan")),
        "{check}"
    );
    let digest = stdout(&d.run_cli(&["digest", "--dry-run"]));
    assert!(
        digest.contains("Kotak surel dibatasi Gmail")
            && digest.contains("terlalu banyak koneksi bersamaan")
            && digest.contains("Kata sandi tidak salah"),
        "{digest}"
    );

    // Half an hour later the team's mailbox alert names the limit, not the password.
    let (config, p) = load(&d);
    let mut store = Store::open(&config.storage.database).unwrap();
    let key = p
        .check_health(&mut store, Utc::now() + chrono::Duration::minutes(31))
        .unwrap()
        .expect("the mailbox alert is queued");
    let raw: Vec<u8> = d
        .sql()
        .query_row("SELECT raw FROM outbox WHERE idem_key = ?1", [&key], |r| {
            r.get(0)
        })
        .unwrap();
    let text = support::daemon::text_body(&raw);
    assert!(text.contains("terlalu banyak koneksi bersamaan"), "{text}");
    assert!(text.contains("kata sandi TIDAK salah"), "{text}");
    assert!(
        !text.contains("kata sandi aplikasi Gmail masih berlaku"),
        "{text}"
    );
    assert!(d.stop());
}

/// Gmail answers the body fetch with `[OVERQUOTA]`: the daemon stops for an hour (not
/// the 1 s of an ordinary failure), the message stays in the mailbox above the cursor, and
/// `check` and the digest name the bandwidth limit.
#[test]
fn overquota_waits_hours_and_keeps_the_mail() {
    let lab = Lab::start();
    let proxy = lab.imap_proxy(&[]);
    let mut d = daemon(&lab);
    imap_via(&d, &lab, &proxy);
    d.start(&[]);
    proxy.set_rules(&[("BODY.PEEK", &[OVERQUOTA])]);
    lab.deliver(
        "hana@example.test",
        &[PUSKESMAS],
        &complaint(
            "hana@example.test",
            "Hana",
            "overquota-1@example.test",
            "Obat habis",
            "Obat hipertensi habis di apotek.",
        ),
    );
    d.wait_until("the limit is logged", WAIT, || {
        !limit_waits(&d.log()).is_empty()
    });
    assert_eq!(limit_waits(&d.log()), vec![3600], "{}", d.log());
    assert!(d.complaints().is_empty());
    let (_, uidnext) = lab.mailbox_status(PUSKESMAS);
    assert!(d.store().cursor("INBOX").unwrap().unwrap().last_uid < uidnext - 1);
    let check = stdout(&d.run_cli(&["check"]));
    assert!(
        warning(&check, "kotak surel dibatasi Gmail")
            .is_some_and(|l| l.contains("batas unduhan harian IMAP") && l.contains("OVERQUOTA")),
        "{check}"
    );
    let digest = stdout(&d.run_cli(&["digest", "--dry-run"]));
    assert!(digest.contains("batas unduhan harian IMAP"), "{digest}");
    assert!(d.stop());
}

/// A clock the test moves by hand.
struct HandClock(std::sync::Mutex<DateTime<Utc>>);

impl pengaduan::clock::Clock for HandClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Stored messages and the bytes counted as downloaded in the last day at `now`.
fn stored_and_downloaded(d: &Daemon, now: DateTime<Utc>) -> (i64, u64) {
    let store = d.store();
    let (bytes, _) = store
        .downloaded_since(now - chrono::Duration::hours(24))
        .unwrap();
    (d.message_classes().iter().map(|(_, n)| n).sum(), bytes)
}

/// A `--backfill-since` of more mail than `[imap] daily_download_mb` allows: the watcher
/// stops at nine tenths of the budget (the last tenth is for new complaints), says so, and
/// continues when the clock has moved a day on, without a restart, until all is stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_stops_at_the_download_budget_and_continues_the_next_day() {
    let lab = Lab::start();
    let d = daemon(&lab);
    add_to_section(&d, "imap", "daily_download_mb = 1");
    let (config, p) = load(&d);
    // Six old complaints of about 230 KB: four fit in 90 % of 1 MB, two do not.
    let photo = "Foto terlampir. ".repeat(14 * 1024);
    for n in 1..=6 {
        lab.inject(
            PUSKESMAS,
            &complaint(
                &format!("lama{n}@example.test"),
                "Warga",
                &format!("backfill-{n}@example.test"),
                "Keluhan lama",
                &format!("Keluhan nomor {n}.\r\n{photo}"),
            ),
        );
    }
    let start = Utc::now();
    let clock = std::sync::Arc::new(HandClock(std::sync::Mutex::new(start)));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let watcher = pengaduan::mail::imap::Watcher {
        config: config.imap.clone().unwrap(),
        pipeline: std::sync::Arc::new(p),
        store: SharedStore::new(Store::open(&config.storage.database).unwrap()),
        clock: clock.clone(),
        outbox_wake: Default::default(),
        backfill_since: Some((start - chrono::Duration::days(1)).date_naive()),
    };
    let watching = tokio::spawn(watcher.run(stopped));

    let wait = |what: &str, cond: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + WAIT;
        while !cond() {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting until {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait("the budget holds the backfill", &|| {
        d.store().health("imap_budget").unwrap().is_some()
    });
    let (stored, bytes) = stored_and_downloaded(&d, start);
    assert_eq!(stored, 4, "four fit in the budget");
    assert!(bytes <= 1024 * 1024 / 10 * 9, "{bytes}");
    let (hold, _) = d.store().health("imap_budget").unwrap().unwrap();
    assert!(hold.contains("\"backfill\":true"), "{hold}");
    let check = stdout(&d.run_cli(&["check"]));
    assert!(
        warning(&check, "kuota unduh harian")
            .is_some_and(|l| l.contains("habis") && l.contains("surel lama (backfill)")),
        "{check}"
    );
    let digest = stdout(&d.run_cli(&["digest", "--dry-run"]));
    assert!(digest.contains("Kuota unduh harian habis"), "{digest}");

    // The same day, new mail wakes the watcher: the new complaint is fetched from the
    // tenth kept for it, the backfill still waits.
    lab.inject(
        PUSKESMAS,
        &complaint(
            "baru@example.test",
            "Baru",
            "backfill-new@example.test",
            "Keluhan baru",
            "Antrean panjang.",
        ),
    );
    wait("the new complaint is stored", &|| {
        stored_and_downloaded(&d, start).0 == 5
    });
    assert!(d.store().health("imap_budget").unwrap().is_some());

    // A day later the budget is free again; the next wake-up finishes the backfill.
    *clock.0.lock().unwrap() = start + chrono::Duration::hours(25);
    lab.inject(
        PUSKESMAS,
        &complaint(
            "besok@example.test",
            "Besok",
            "backfill-next@example.test",
            "Keluhan besok",
            "Loket tutup.",
        ),
    );
    wait("everything is stored", &|| {
        stored_and_downloaded(&d, start).0 == 8
    });
    wait("the hold is lifted", &|| {
        d.store().health("imap_budget").unwrap().is_none()
            && d.store().health("backfill").unwrap().is_none()
    });
    let mut ids: Vec<String> = d
        .sql()
        .prepare("SELECT message_id FROM messages ORDER BY message_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    ids.dedup();
    assert_eq!(ids.len(), 8, "each message stored once: {ids:?}");
    let _ = stop.send(true);
    let _ = watching.await;
}
