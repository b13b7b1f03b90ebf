//! *Kondisi sistem* (`/sistem`) over the real server and a real SQLite file: a failed mail
//! on the page, *Kirim ulang* making it due again with an audit event, the refusals (no
//! CSRF token, a role that may not retry, anonymous), `/healthz` seeing Gmail's sending
//! pause and IMAP limit, the CLI twin `pengaduan outbox`, and the page in Chromium at 390
//! and 1366 px (`target/screenshots/sistem-*.png`).

mod support;

use chrono::Duration;
use fantoccini::Locator;
use pengaduan::clock::to_db;
use pengaduan::store::health::keys::{IMAP_LIMIT, SMTP_ERROR, SMTP_PAUSE};
use support::browser::Browser;
use support::web::{csrf_in, Site};

const PW: &str = "kata-sandi-rina-123";

/// `[smtp]` and `[imap]` on loopback (never contacted here), so the budgets show.
const MAIL: &str = "\n[smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"plain\"\n\
    username = \"puskesmas@example.test\"\npassword_env = \"PENGADUAN_TEST_UNUSED\"\n\
    daily_limit = 450\n[imap]\nhost = \"127.0.0.1\"\nport = 1143\nsecurity = \"plain\"\n\
    username = \"puskesmas@example.test\"\npassword_env = \"PENGADUAN_TEST_UNUSED\"\n";

fn site() -> Site {
    let site = Site::with(MAIL);
    site.add_user("rina", "petugas", PW);
    site.add_user("kepala", "kepala", PW);
    site.add_user("admin", "admin", PW);
    site
}

/// Queues a mail created `age` ago with `status` (and, when failed, its reply); its id.
fn mail(site: &Site, key: &str, purpose: &str, to: &str, status: &str, age: Duration) -> i64 {
    let db = rusqlite::Connection::open(site.db()).unwrap();
    let created = to_db(site.clock_now() - age);
    db.execute(
        "INSERT INTO outbox (idem_key, message_id, purpose, automatic, mail_from, rcpt_to, subject, raw,
                             status, attempts, last_error, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, 1, 'puskesmas@example.test', ?4, ?5, x'00', ?6, ?7, ?8, ?9, ?9)",
        rusqlite::params![
            key,
            format!("<{key}@test>"),
            purpose,
            to,
            format!("[ADU-2026-0001] {purpose}"),
            status,
            if status == "failed" { 1 } else { 3 },
            if status == "failed" {
                "550 5.1.1 alamat tidak dikenal"
            } else {
                "451 4.3.0 coba lagi nanti"
            },
            created,
        ],
    )
    .unwrap();
    db.last_insert_rowid()
}

fn row(site: &Site, id: i64) -> (String, String) {
    let db = rusqlite::Connection::open(site.db()).unwrap();
    db.query_row(
        "SELECT status, next_attempt_at FROM outbox WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

fn retry_events(site: &Site) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(site.db()).unwrap();
    let mut stmt = db
        .prepare("SELECT actor, detail FROM events WHERE kind = 'mail_retry' ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn a_failed_mail_shows_and_kirim_ulang_makes_it_due_with_an_audit_event() {
    let site = site();
    site.mailbox_read();
    let failed = mail(
        &site,
        "ack:ADU-2026-0001",
        "ack",
        "warga@example.test",
        "failed",
        Duration::hours(3),
    );
    let waiting = mail(
        &site,
        "digest:2026-11-23",
        "digest",
        "tim@example.test",
        "pending",
        Duration::minutes(90),
    );
    let path = format!("/sistem/kirim-ulang/{failed}");

    // Anonymous: the page sends to the login page; the action is refused.
    let mut anon = site.client();
    let r = anon.get("/sistem");
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/login")));
    let csrf = anon.csrf("/login");
    assert_eq!(anon.post(&path, &[("csrf", &csrf)]).status, 401);

    // Every role reads the page; kepala has no button and may not retry.
    let mut kepala = site.login("kepala", PW);
    let page = kepala.get("/sistem");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<h1>Kondisi sistem</h1>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("550 5.1.1 alamat tidak dikenal"));
    assert!(page.body.contains("warga@example.test"));
    assert!(
        page.body.contains(&format!("id=\"surel-{waiting}\"")),
        "long-waiting mail listed"
    );
    assert!(page.body.contains("data-problem=\"outbox_failed\""));
    assert!(page.body.contains("data-problem=\"outbox_stuck\""));
    assert!(!page.body.contains(&format!("action=\"{path}\"")));
    let csrf = csrf_in(&page.body).unwrap();
    assert_eq!(kepala.post(&path, &[("csrf", &csrf)]).status, 403);
    assert_eq!(row(&site, failed).0, "failed");

    let mut rina = site.login("rina", PW);
    let page = rina.get("/sistem");
    assert!(
        page.body.contains(&format!("action=\"{path}\"")),
        "{}",
        page.body
    );
    // Without the form's token the request never reaches the action.
    let refused = rina.post(&path, &[]);
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(row(&site, failed).0, "failed");
    assert!(retry_events(&site).is_empty());

    let csrf = csrf_in(&page.body).unwrap();
    site.clock.advance(Duration::minutes(5));
    let done = rina.post(&path, &[("csrf", &csrf)]);
    assert_eq!(done.status, 303, "{}", done.body);
    let back = done.location.unwrap();
    assert_eq!(back, format!("/sistem?dikirim={failed}"));
    assert_eq!(
        row(&site, failed),
        ("pending".to_string(), to_db(site.clock_now())),
        "due now"
    );
    let events = retry_events(&site);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "rina");
    assert!(
        events[0].1.contains(&format!("#{failed}")) && events[0].1.contains("warga@example.test"),
        "{events:?}"
    );
    let after = rina.get(&back);
    assert!(
        after.body.contains("dijadwalkan dikirim ulang"),
        "{}",
        after.body
    );
    assert!(!after.body.contains("data-problem=\"outbox_failed\""));

    // Not failed any more: 409 with the reason; an unknown mail: 404.
    let again = rina.post(&path, &[("csrf", &csrf)]);
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("masih menunggu dikirim"));
    assert_eq!(
        rina.post("/sistem/kirim-ulang/999999", &[("csrf", &csrf)])
            .status,
        404
    );
    assert_eq!(retry_events(&site).len(), 1);

    // The admin may retry too.
    let other = mail(
        &site,
        "ack:x",
        "ack",
        "x@example.test",
        "failed",
        Duration::hours(1),
    );
    let mut admin = site.login("admin", PW);
    let csrf = csrf_in(&admin.get("/sistem").body).unwrap();
    let r = admin.post(&format!("/sistem/kirim-ulang/{other}"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(retry_events(&site)[1].0, "admin");
}

fn health(site: &Site) -> (u16, serde_json::Value) {
    let r = site.client().get("/healthz");
    (r.status, serde_json::from_str(&r.body).unwrap())
}

fn kinds(v: &serde_json::Value, list: &str) -> Vec<String> {
    v[list]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["problem"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn healthz_is_503_while_gmail_pauses_sending_or_limits_the_mailbox() {
    let site = site();
    site.mailbox_read();
    let (status, body) = health(&site);
    assert_eq!(status, 200, "{body}");
    let now = site.clock_now();
    let mut store = site.store();
    let pause = serde_json::json!({
        "cause": "daily_limit", "since": now, "until": now + Duration::hours(1),
        "strikes": 1, "reply": "550 5.4.5 Daily user sending limit exceeded"
    });
    store
        .set_health(SMTP_PAUSE, &pause.to_string(), now)
        .unwrap();
    store
        .set_health(SMTP_ERROR, "ack ke a@b: 550 5.4.5", now)
        .unwrap();
    let (status, body) = health(&site);
    assert_eq!(
        (status, kinds(&body, "problems")),
        (503, vec!["sending_paused".to_string()]),
        "{body}"
    );
    assert_eq!(body["problems"][0]["cause"], "daily_limit");
    assert_eq!(body["problems"][0]["severity"], "warn");
    let mut rina = site.login("rina", PW);
    let page = rina.get("/sistem").body;
    assert!(
        page.contains("Pengiriman surel ditahan Gmail") && page.contains("batas kirim harian"),
        "{page}"
    );

    store.set_health_fact::<()>(SMTP_PAUSE, None, now).unwrap();
    store.set_health("smtp_ok", "", now).unwrap();
    let limit = serde_json::json!({
        "cause": "connections", "since": now, "until": now + Duration::minutes(30),
        "strikes": 1, "reply": "[ALERT] Too many simultaneous connections"
    });
    store
        .set_health(IMAP_LIMIT, &limit.to_string(), now)
        .unwrap();
    let (status, body) = health(&site);
    assert_eq!(
        (status, kinds(&body, "problems")),
        (503, vec!["mailbox_limited".to_string()]),
        "{body}"
    );
    store.set_health_fact::<()>(IMAP_LIMIT, None, now).unwrap();
    let (status, body) = health(&site);
    assert_eq!(status, 200, "{body}");
    // A failed mail needs a person but the daemon works: a warning, not a 503.
    mail(
        &site,
        "ack:y",
        "ack",
        "y@example.test",
        "failed",
        Duration::hours(1),
    );
    let (status, body) = health(&site);
    assert_eq!(status, 200, "{body}");
    assert!(
        kinds(&body, "warnings").contains(&"outbox_failed".to_string()),
        "{body}"
    );
}

fn cli(site: &Site, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pengaduan"))
        .arg("--config")
        .arg(&site.config)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_cli_twin_lists_and_retries_through_the_same_action() {
    let site = site();
    // The CLI reads the real clock: a mail failed "now" is listed whatever the age.
    let id = mail(
        &site,
        "ack:z",
        "ack",
        "z@example.test",
        "failed",
        Duration::zero(),
    );
    let list = cli(&site, &["outbox", "list"]);
    let out = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success(), "{list:?}");
    assert!(
        out.contains(&format!("#{id}  ack ke z@example.test  [GAGAL]"))
            && out.contains("550 5.1.1 alamat tidak dikenal")
            && out.contains(&format!("pengaduan outbox retry {id} --by NAMA")),
        "{out}"
    );
    let r = cli(&site, &["outbox", "retry", &id.to_string(), "--by", "budi"]);
    assert!(r.status.success(), "{r:?}");
    assert_eq!(row(&site, id).0, "pending");
    assert_eq!(retry_events(&site)[0].0, "budi");
    let again = cli(&site, &["outbox", "retry", &id.to_string(), "--by", "budi"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("masih menunggu dikirim"));
    // Due again, and (by the real clock) waiting long since it was queued.
    let list = cli(&site, &["outbox", "list"]);
    let out = String::from_utf8_lossy(&list.stdout);
    assert!(
        out.contains(&format!("#{id}  ack ke z@example.test  [MENUNGGU]")),
        "{out}"
    );
}

#[test]
fn the_page_in_a_browser_at_390_and_1366_px() {
    let site = site();
    site.mailbox_read();
    site.clock.advance(Duration::minutes(12));
    let now = site.clock_now();
    let mut store = site.store();
    let pause = serde_json::json!({
        "cause": "daily_limit", "since": now - Duration::minutes(40),
        "until": now + Duration::minutes(20), "strikes": 1,
        "reply": "550 5.4.5 Daily user sending limit exceeded. For more information, go to https://support.google.com/a/answer/166852"
    });
    store
        .set_health(SMTP_PAUSE, &pause.to_string(), now)
        .unwrap();
    store
        .set_health(
            SMTP_ERROR,
            "ack ke warga@example.test: 550 5.4.5 Daily user sending limit exceeded",
            now - Duration::minutes(40),
        )
        .unwrap();
    mail(
        &site,
        "ack:ADU-2026-0003",
        "ack",
        "bu.sri.wahyuningsih@example.test",
        "failed",
        Duration::hours(5),
    );
    mail(
        &site,
        "answer:ADU-2026-0002",
        "answer",
        "pak.joko@example.test",
        "failed",
        Duration::hours(2),
    );
    mail(
        &site,
        "reminder_review:ADU-2026-0004:H-1",
        "reminder_review",
        "tim@example.test",
        "pending",
        Duration::minutes(75),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = Browser::start().await;
        b.log_in(&site.url, "rina", PW).await;
        b.client
            .wait()
            .for_element(Locator::Css("a[href='/sistem']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let paused = b
            .client
            .wait()
            .for_element(Locator::Css(
                ".sistem-problems li[data-problem=sending_paused]",
            ))
            .await
            .unwrap();
        assert!(paused
            .text()
            .await
            .unwrap()
            .contains("Pengiriman surel ditahan Gmail"));
        assert_eq!(
            b.client.title().await.unwrap(),
            "Kondisi sistem · Puskesmas Kademangan"
        );
        let buttons = b
            .client
            .find_all(Locator::Css(".sistem-mails button"))
            .await
            .unwrap();
        assert_eq!(buttons.len(), 2, "one Kirim ulang per failed mail");
        for width in [390, 1366] {
            b.screenshot("sistem", width).await;
        }
        // The facts with the daily budgets.
        b.client
            .execute(
                "document.getElementById('kotak-surel').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        b.screenshot("sistem-fakta", 390).await;
        // Scrolled to the outbox table, where a phone shows each mail as a card.
        b.client
            .execute(
                "document.getElementById('kotak-keluar').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        b.screenshot("sistem-kotak-keluar", 390).await;
        // Widening the window moves the scroll: scroll again before the desktop shot.
        b.client
            .execute(
                "document.getElementById('kotak-keluar').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        b.screenshot("sistem-kotak-keluar", 1366).await;
        // The calendar: this year's days off open, each with its origin; the 2027 Lebaran
        // dates say they may still move.
        let calendar = b
            .client
            .find(Locator::Css("details.libur[open]"))
            .await
            .unwrap();
        calendar
            .find(Locator::Css("summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let next_year = b
            .client
            .find_all(Locator::Css("details.libur"))
            .await
            .unwrap();
        assert_eq!(next_year.len(), 2, "this year and the next");
        next_year[1]
            .find(Locator::Css("summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let text = next_year[1].text().await.unwrap();
        assert!(text.contains("18 libur nasional, 8 cuti bersama"), "{text}");
        assert!(text.contains("tanggal masih dapat bergeser"), "{text}");
        b.client
            .execute(
                "document.querySelectorAll('details.libur')[1].scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        b.screenshot("sistem-kalender", 390).await;
        let width: i64 = b
            .client
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap()
            .as_i64()
            .unwrap();
        assert!(width <= 390, "the calendar fits a phone: {width} px");
        buttons[0].clone().click().await.unwrap();
        b.client
            .wait()
            .for_element(Locator::Css("p.sistem-ok[role=status]"))
            .await
            .unwrap();
        b.close().await;
    });
}
