//! The monthly report mail: queued through the outbox exactly once, on the first working
//! day of the month for the month before (not on the holiday or weekend before it, not
//! again after a restart or the next day), caught up after downtime, and delivered through
//! the lab's Postfix and Dovecot with the register workbook attached. Clock driven by
//! hand, on a real SQLite file.

#[path = "support/generate.rs"]
mod generate;
mod support;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::MimeHeaders;
use pengaduan::app::Pipeline;
use pengaduan::calendar::WIB;
use pengaduan::clock::Clock;
use pengaduan::daemon::jobs;
use pengaduan::mail::smtp::Transport;
use pengaduan::outbox;
use pengaduan::store::SharedStore;
use support::lab::Lab;
use support::offline;

const HEAD: &str = "kapus@example.test";
const QUALITY: &str = "mutu@example.test";
const DINAS: &str = "dinkes@example.test";

fn wib(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    WIB.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().to_utc()
}

fn recipients(to_dinas: bool) -> String {
    format!(
        "[recipients]\nkepala_puskesmas = [\"{HEAD}\"]\ntim_mutu = [\"{QUALITY}\"]\n\
         dinas_kesehatan = [\"{DINAS}\"]\n[schedule]\nmonthly_report_to_dinas = {to_dinas}\n"
    )
}

/// (idempotency key, recipients) of every queued report, oldest first.
fn reports(dir: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(dir.join("p.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT idem_key, rcpt_to FROM outbox WHERE purpose = 'report' ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn world(dir: &Path, extra: &str) -> (Arc<Pipeline>, SharedStore) {
    let (p, _) = offline::pipeline(dir, extra);
    let mut conn = rusqlite::Connection::open(dir.join("p.db")).unwrap();
    let mut rng = generate::Rng::new(7);
    for (i, (y, m)) in [(2026, 10), (2026, 11), (2026, 12)].iter().enumerate() {
        let first = 1 + 20 * i as u32;
        generate::complaints(
            &mut conn,
            &p.calendar,
            &generate::Batch {
                year: *y,
                first_seq: first,
                start: wib(*y, *m, 1, 0),
                days: 28,
                n: 20,
            },
            &mut rng,
        );
    }
    let store = SharedStore::new(pengaduan::store::Store::open(&dir.join("p.db")).unwrap());
    (Arc::new(p), store)
}

#[tokio::test]
async fn queued_once_on_the_first_working_day_and_caught_up_after_downtime() {
    let dir = tempfile::tempdir().unwrap();
    let (p, store) = world(dir.path(), &recipients(false));
    let once = |now| {
        let (p, store) = (p.clone(), store.clone());
        async move { jobs::monthly_report_once(&p, &store, now).await.unwrap() }
    };
    // Sunday 1 November is no working day; Monday the 2nd is.
    assert!(!once(wib(2026, 11, 1, 7)).await);
    assert!(reports(dir.path()).is_empty());
    assert!(once(wib(2026, 11, 2, 7)).await);
    let queued = reports(dir.path());
    assert_eq!(
        queued,
        [("report:2026-10".to_string(), format!("{HEAD},{QUALITY}"))],
        "to the head and the quality team, not to the Dinas (switch off)"
    );
    // A restart the same morning, the next runs that day and the next day: nothing more.
    // (The catch-up's deadline sweep queues escalations; no second report.)
    jobs::catch_up(&p, &store, wib(2026, 11, 2, 9))
        .await
        .unwrap();
    assert_eq!(reports(dir.path()).len(), 1);
    assert!(!once(wib(2026, 11, 2, 10)).await);
    assert!(!once(wib(2026, 11, 3, 7)).await);
    assert_eq!(reports(dir.path()).len(), 1);

    // Down from 30 November to 3 December 10:00: Tuesday 1 December, the first working
    // day, passed without a run. The catch-up at start sends November's report.
    jobs::catch_up(&p, &store, wib(2026, 12, 3, 10))
        .await
        .unwrap();
    assert_eq!(reports(dir.path())[1].0, "report:2026-11");
    assert!(!once(wib(2026, 12, 4, 7)).await);

    // January 2027: the 1st is a holiday (a Friday), then the weekend; Monday the 4th.
    for day in 1..=3 {
        assert!(!once(wib(2027, 1, day, 7)).await, "1/{day}");
    }
    assert!(once(wib(2027, 1, 4, 7)).await);
    assert!(!once(wib(2027, 1, 5, 7)).await);
    let keys: Vec<String> = reports(dir.path()).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["report:2026-10", "report:2026-11", "report:2026-12"]);
}

#[tokio::test]
async fn the_dinas_gets_it_when_switched_on() {
    let dir = tempfile::tempdir().unwrap();
    let (p, store) = world(dir.path(), &recipients(true));
    assert!(jobs::monthly_report_once(&p, &store, wib(2026, 11, 2, 7))
        .await
        .unwrap());
    assert_eq!(
        reports(dir.path())[0].1,
        format!("{HEAD},{QUALITY},{DINAS}")
    );
}

struct Fixed(DateTime<Utc>);

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_through_the_lab_with_the_register_attached() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("LAB_SMTP_PASSWORD", Lab::PASSWORD);
    let (p, store) = world(
        dir.path(),
        &format!(
            "{}[smtp]\nhost = \"localhost\"\nport = {port}\nsecurity = \"starttls\"\n\
             username = \"puskesmas@example.test\"\npassword_env = \"LAB_SMTP_PASSWORD\"\n\
             ca_file = \"{ca}\"\n",
            recipients(false),
            port = lab.submission_port,
            ca = lab.ca_file.display()
        ),
    );
    let transport = Transport::from_config(p.config.smtp.as_ref().unwrap()).unwrap();
    let now = wib(2026, 11, 2, 7);
    assert!(jobs::monthly_report_once(&p, &store, now).await.unwrap());
    assert_eq!(
        outbox::drain(&store, &transport, &Fixed(now))
            .await
            .unwrap(),
        1
    );

    for user in [HEAD, QUALITY] {
        let mails = lab.wait_for_messages(user, 1, std::time::Duration::from_secs(30));
        assert_eq!(mails.len(), 1, "{user}");
        let m = mail_parser::MessageParser::new().parse(&mails[0]).unwrap();
        assert_eq!(
            m.subject(),
            Some("Laporan penanganan pengaduan Oktober 2026 — Puskesmas Kademangan")
        );
        let text = m.body_text(0).unwrap();
        assert!(text.contains("Pengaduan masuk: 20"), "{text}");
        let html = m.body_html(0).unwrap();
        assert!(
            html.contains("Kepatuhan tenggat") && !html.contains("<svg"),
            "tables, no SVG"
        );
        let files: Vec<(String, Vec<u8>)> = m
            .attachments()
            .map(|a| {
                (
                    a.attachment_name().unwrap_or("").to_string(),
                    a.contents().to_vec(),
                )
            })
            .collect();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["register-2026-10.xlsx", "laporan-2026-10.html"]);
        assert!(files[0].1.starts_with(b"PK\x03\x04"), "an .xlsx (zip) file");
        let page = String::from_utf8(files[1].1.clone()).unwrap();
        assert_eq!(
            page.matches("<svg").count(),
            2,
            "the charts in the attached page"
        );
    }
    assert!(lab.messages(DINAS).is_empty());
}
