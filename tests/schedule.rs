//! The scheduled jobs across a fortnight of March 2026 — weekends, cuti bersama (18, 20,
//! 23, 24 March), Nyepi (19 March), Idul Fitri (21–22 March) — driven by a controlled
//! clock exactly as the scheduler would drive them (each job fires when its cron string
//! from the config matches the simulated time), with every queued mail sent by the real
//! outbox through the lab's Postfix into the lab's Dovecot. The daemon is "down" from
//! Friday 20 March 12:00 to Wednesday 25 March 10:00 and restarts with its catch-up run.
//! The test asserts, mailbox by mailbox, exactly which mails landed and their Date.

mod support;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use croner::parser::{CronParser, Seconds};
use croner::Cron;
use pengaduan::app::ingest::Outcome;
use pengaduan::app::Pipeline;
use pengaduan::calendar::WIB;
use pengaduan::clock::Clock;
use pengaduan::daemon::jobs;
use pengaduan::domain::Ticket;
use pengaduan::mail::smtp::Transport;
use pengaduan::outbox;
use pengaduan::store::SharedStore;
use support::daemon::{complaint, header};
use support::lab::Lab;
use support::offline;

const TEAM: &str = "tim@example.test";
const HEAD: &str = "kapus@example.test";
const QUALITY: &str = "mutu@example.test";

/// WIB wall-clock time as UTC.
fn wib(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    WIB.with_ymd_and_hms(2026, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

fn cron(expr: &Option<String>) -> Cron {
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr.as_deref().expect("job enabled"))
        .unwrap()
}

struct World {
    p: Arc<Pipeline>,
    store: SharedStore,
    transport: Transport,
    clock: Arc<TestClock>,
}

impl World {
    fn at(&self, now: DateTime<Utc>) {
        *self.clock.0.lock().unwrap() = now;
    }

    async fn send_all(&self) {
        outbox::drain(&self.store, &self.transport, self.clock.as_ref())
            .await
            .unwrap();
    }

    async fn arrive(&self, from: &str, id: &str, subject: &str, at: DateTime<Utc>) -> Ticket {
        self.at(at);
        let raw = complaint(from, "Warga", id, subject, "Mohon ditindaklanjuti.");
        let p = self.p.clone();
        let out = self
            .store
            .run(move |s| Ok(offline::arrive(&p, s, &raw, at)))
            .await
            .unwrap();
        let Outcome::New { ticket, .. } = out else {
            panic!("not registered: {out:?}")
        };
        self.send_all().await;
        ticket
    }

    /// What the IMAP watcher records after every successful read.
    async fn mailbox_read(&self, now: DateTime<Utc>) {
        self.store
            .run(move |s| s.set_health("imap_ok", "", now))
            .await
            .unwrap();
    }
}

/// (Date header in WIB as `MM-DD HH:MM`, subject) of every mail in a lab mailbox.
fn inbox(lab: &Lab, user: &str) -> Vec<(String, String)> {
    let mut mails: Vec<(String, String)> = lab
        .messages(user)
        .iter()
        .map(|m| {
            let date = header(m, "Date").unwrap();
            let date = DateTime::parse_from_rfc2822(&date)
                .unwrap()
                .with_timezone(&WIB)
                .format("%m-%d %H:%M")
                .to_string();
            (date, header(m, "Subject").unwrap())
        })
        .collect();
    mails.sort();
    mails
}

fn expect(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(d, s)| (d.to_string(), s.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fortnight_of_jobs_lands_in_the_right_mailboxes() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("LAB_SMTP_PASSWORD", Lab::PASSWORD);
    let (p, store) = offline::pipeline(
        dir.path(),
        &format!(
            "[recipients]\ntim_pengaduan = [\"{TEAM}\"]\nkepala_puskesmas = [\"{HEAD}\"]\n\
             tim_mutu = [\"{QUALITY}\"]\n\
             [smtp]\nhost = \"localhost\"\nport = {port}\nsecurity = \"starttls\"\n\
             username = \"puskesmas@example.test\"\npassword_env = \"LAB_SMTP_PASSWORD\"\n\
             ca_file = \"{ca}\"\n",
            port = lab.submission_port,
            ca = lab.ca_file.display()
        ),
    );
    let transport = Transport::from_config(p.config.smtp.as_ref().unwrap()).unwrap();
    let schedule = p.config.schedule.clone();
    let (digest, sweep, health) = (
        cron(&schedule.digest),
        cron(&schedule.deadline_check),
        cron(&schedule.health_check),
    );
    let w = World {
        p: Arc::new(p),
        store: SharedStore::new(store),
        transport,
        clock: Arc::new(TestClock(Mutex::new(wib(2, 26, 10, 0)))),
    };

    // Before the fortnight. B: Thursday 26 February, reviewed the next day; its answer is
    // due at the end of Wednesday 25 March (14 working days, the holidays not counted).
    let b = w
        .arrive(
            "warga-b@example.test",
            "b@warga",
            "Obat habis",
            wib(2, 26, 10, 0),
        )
        .await;
    let (p, bt) = (w.p.clone(), b);
    w.store
        .run(move |s| Ok(p.review(s, &bt, "Pesan ulang stok obat.", "Yetty", wib(2, 27, 9, 0))?))
        .await
        .unwrap();
    // C: Thursday 12 March 05:00, reviewed and answered in time: no notice at all.
    let c = w
        .arrive(
            "warga-c@example.test",
            "c@warga",
            "Antrean lama",
            wib(3, 12, 5, 0),
        )
        .await;

    // The daemon starts on Thursday 12 March 06:00 and runs until Friday 20 March 12:00;
    // then it is down until Wednesday 25 March 10:00; the fortnight ends on Thursday 26
    // March 18:00. The mailbox cannot be read on Tuesday 17 March from 13:00 to 14:00:
    // last read 12:55, so the alert goes out at 13:25 (30 minutes), the recovery at 14:00.
    let start = wib(3, 12, 6, 0);
    let (down, up, end) = (wib(3, 20, 12, 0), wib(3, 25, 10, 0), wib(3, 26, 18, 0));
    let unreadable = wib(3, 17, 13, 0)..wib(3, 17, 14, 0);
    let mut a: Option<Ticket> = None;
    let mut now = start;
    let mut started = false;
    while now <= end {
        if now >= down && now < up {
            now += Duration::minutes(5);
            started = false;
            continue;
        }
        w.at(now);
        if !unreadable.contains(&now) {
            w.mailbox_read(now).await;
        }
        if !started {
            jobs::catch_up(&w.p, &w.store, now).await.unwrap();
            started = true;
        }
        // Staff work and new mail, at their times.
        if now == wib(3, 13, 10, 0) {
            let (p, ct) = (w.p.clone(), c);
            w.store
                .run(move |s| Ok(p.review(s, &ct, "Tambah petugas loket.", "Ella", now)?))
                .await
                .unwrap();
        }
        if now == wib(3, 16, 10, 0) {
            let (p, ct) = (w.p.clone(), c);
            w.store
                .run(move |s| Ok(p.answer(s, &ct, "Loket pagi kini dua petugas.", "Ella", now)?))
                .await
                .unwrap();
        }
        if now == wib(3, 18, 10, 0) {
            // A arrives on a cuti bersama day and nobody reviews it.
            a = Some(
                w.arrive("warga-a@example.test", "a@warga", "Bidan tidak datang", now)
                    .await,
            );
        }
        let local = now.with_timezone(&WIB);
        if sweep.is_time_matching(&local).unwrap() {
            jobs::sweep_once(&w.p, &w.store, now).await.unwrap();
        }
        if digest.is_time_matching(&local).unwrap() {
            jobs::digest_once(&w.p, &w.store, now).await.unwrap();
        }
        if health.is_time_matching(&local).unwrap() {
            jobs::health_once(&w.p, &w.store, now).await.unwrap();
        }
        w.send_all().await;
        now += Duration::minutes(5);
    }
    let (a, b, c) = (a.unwrap(), b.to_string(), c.to_string());

    // Expected deliveries reach Dovecot within a second or two.
    for (user, n) in [(TEAM, 11), (HEAD, 2), (QUALITY, 2)] {
        lab.wait_for_messages(user, n, std::time::Duration::from_secs(30));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));

    let digest = |d: &str, subject: &str| (d.to_string(), subject.to_string());
    assert_eq!(
        inbox(&lab, TEAM),
        vec![
            // Thursday 12 March: B and C are open, C arrived at 05:00.
            digest("03-12 07:00", "Ringkasan pengaduan Kamis, 12 Maret 2026: 1 baru, 2 terbuka"),
            // B: 13, 16, 17 March are its last 3 working days.
            (
                "03-13 00:00".into(),
                format!("Pengingat: jawaban {b} jatuh tempo dalam 3 hari kerja")
            ),
            digest("03-13 07:00", "Ringkasan pengaduan Jumat, 13 Maret 2026: 0 baru, 2 terbuka"),
            digest("03-16 07:00", "Ringkasan pengaduan Senin, 16 Maret 2026: 0 baru, 2 terbuka"),
            (
                "03-17 00:00".into(),
                format!("Pengingat: jawaban {b} jatuh tempo dalam 1 hari kerja")
            ),
            // C was answered on the 16th: it waits for PUAS / TIDAK PUAS, still open.
            digest("03-17 07:00", "Ringkasan pengaduan Selasa, 17 Maret 2026: 0 baru, 2 terbuka"),
            (
                "03-17 13:25".into(),
                "PERINGATAN: kotak surel pengaduan tidak terbaca sejak Selasa, 17 Maret 2026 pukul 12.55 WIB".into()
            ),
            (
                "03-17 14:00".into(),
                "PULIH: kotak surel pengaduan terbaca kembali".into()
            ),
            // No digest on 18, 19, 20 (cuti bersama, Nyepi, cuti bersama). A's review is
            // due on Saturday 21 March 10:00: the reminder comes 24 hours before.
            (
                "03-20 10:00".into(),
                format!("Pengingat: telaah {a} jatuh tempo dalam 24 jam")
            ),
            // Down over 23–24 March (cuti bersama); on Wednesday the 07:00 digest was
            // missed and comes with the restart, once, covering everything since the 17th.
            digest("03-25 10:00", "Ringkasan pengaduan Rabu, 25 Maret 2026: 1 baru, 3 terbuka, 1 lewat batas"),
            digest("03-26 07:00", "Ringkasan pengaduan Kamis, 26 Maret 2026: 0 baru, 3 terbuka, 2 lewat batas"),
        ]
    );
    // The head and the quality team get the escalations and nothing else: A's review
    // passed its 3x24 jam while the daemon was down (one mail at the restart, not one
    // per missed tick); B's answer is one working day overdue on Thursday 26 March.
    let escalations = expect(&[
        (
            "03-25 10:00",
            &format!("ESKALASI: telaah {a} melewati batas 3 x 24 jam"),
        ),
        (
            "03-26 00:00",
            &format!("ESKALASI: jawaban {b} terlambat 1 hari kerja"),
        ),
    ]);
    assert_eq!(inbox(&lab, HEAD), escalations);
    assert_eq!(inbox(&lab, QUALITY), escalations);
    // Complainants: their acknowledgement, and C its answer.
    assert_eq!(lab.messages("warga-a@example.test").len(), 1);
    assert_eq!(lab.messages("warga-b@example.test").len(), 1);
    let to_c = inbox(&lab, "warga-c@example.test");
    assert_eq!(to_c.len(), 2, "{to_c:?}");
    assert!(
        to_c[1].0 == "03-16 10:00" && to_c[1].1.contains(&c),
        "{to_c:?}"
    );
}

#[test]
fn check_shows_an_open_mailbox_alert_until_the_mailbox_is_read_again() {
    let lab = Lab::start();
    let d = support::daemon::Daemon::new(&lab);
    let now = Utc::now();
    let mut s = d.store();
    s.set_health("imap_ok", "", now - Duration::hours(2))
        .unwrap();
    s.set_health("mailbox_alert", "silent", now - Duration::minutes(90))
        .unwrap();
    let out = d.run_cli(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("GAGAL peringatan kotak surat")
            && stdout.contains("tidak terbaca lebih dari 30 menit")
            && stdout.contains("GAGAL kotak surat terakhir dibaca"),
        "{stdout}"
    );

    s.set_health("imap_ok", "", now).unwrap();
    s.set_health("mailbox_alert", "ok", now).unwrap();
    let out = d.run_cli(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        !stdout.contains("peringatan kotak surat")
            && stdout.contains("OK    kotak surat terakhir dibaca"),
        "{stdout}"
    );
}
