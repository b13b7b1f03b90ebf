//! `/healthz` and `/metrics`, over HTTP against the crate's router on a real SQLite file
//! filled by the real pipeline, with the clock driven by the test.

mod support;

use chrono::Duration;
use pengaduan::clock::to_db;
use support::web::Site;

fn health(site: &Site) -> (u16, serde_json::Value) {
    let r = site.client().get("/healthz");
    assert_eq!(r.header("content-type"), Some("application/json"));
    (r.status, serde_json::from_str(&r.body).unwrap())
}

fn problems(v: &serde_json::Value) -> Vec<String> {
    v["problems"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["problem"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn healthz_is_200_when_all_is_well_and_503_with_the_reason() {
    let site = Site::start();
    let (status, body) = health(&site);
    assert_eq!(
        (status, problems(&body)),
        (503, vec!["mailbox_never_read".to_string()])
    );

    site.mailbox_read();
    let (status, body) = health(&site);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");

    // [alerts] mailbox_silent_minutes defaults to 30.
    site.clock.advance(Duration::minutes(29));
    assert_eq!(health(&site).0, 200);
    site.clock.advance(Duration::minutes(1));
    let (status, body) = health(&site);
    assert_eq!(
        (status, problems(&body)),
        (503, vec!["mailbox_silent".to_string()])
    );
    assert_eq!(body["problems"][0]["since"], "2026-11-23T02:00:00Z");

    site.mailbox_read();
    assert_eq!(health(&site).0, 200);

    // A mail waiting more than an hour: the outbox is stuck.
    let db = rusqlite::Connection::open(site.db()).unwrap();
    let created = to_db(site.clock_now() - Duration::minutes(61));
    db.execute(
        "INSERT INTO outbox (idem_key, message_id, purpose, automatic, mail_from, rcpt_to, subject, raw, next_attempt_at, created_at)
         VALUES ('ack:x', '<x@test>', 'ack', 1, 'a@test', '[\"b@test\"]', 's', x'00', ?1, ?1)",
        [&created],
    )
    .unwrap();
    let (status, body) = health(&site);
    assert_eq!(
        (status, problems(&body)),
        (503, vec!["outbox_stuck".to_string()])
    );
    db.execute("UPDATE outbox SET status = 'sent'", []).unwrap();
    assert_eq!(health(&site).0, 200);

    // A database that does not answer the health query.
    db.execute("DROP TABLE health", []).unwrap();
    let (status, body) = health(&site);
    assert_eq!(
        (status, problems(&body)),
        (503, vec!["database_unavailable".to_string()])
    );
}

/// Every sample line is `name{label="value"} number` or `name number`, and every family
/// has its HELP and TYPE lines (Prometheus text format 0.0.4).
fn assert_exposition_format(text: &str) {
    let mut typed = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge"].contains(&kind), "{line}");
            typed.insert(name.to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        value
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("value of {line:?}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{line}"
        );
        assert!(typed.contains(name), "sample before its TYPE: {line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            let (k, v) = labels[1..labels.len() - 1].split_once('=').unwrap();
            assert!(k.chars().all(|c| c.is_ascii_lowercase()), "{line}");
            assert!(v.starts_with('"') && v.ends_with('"'), "{line}");
        }
    }
}

fn sample(text: &str, series: &str) -> Option<i64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_in_prometheus_format_from_loopback() {
    let site = Site::start();
    site.ingest_samples();
    site.mailbox_read();
    site.clock.advance(Duration::seconds(90));
    let r = site.client().get("/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert_exposition_format(&r.body);
    let m = |s: &str| sample(&r.body, s);
    // The samples: four complaints from people, one reply in a thread, three machine mails.
    let stored: i64 = r
        .body
        .lines()
        .filter(|l| l.starts_with("pengaduan_messages_ingested_total{"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<i64>().unwrap())
        .sum();
    assert_eq!(stored, 8, "{}", r.body);
    let complaints: i64 = r
        .body
        .lines()
        .filter(|l| l.starts_with("pengaduan_complaints{"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<i64>().unwrap())
        .sum();
    let registered = site.store().count_complaints().unwrap() as i64;
    assert!(registered > 0);
    assert_eq!(complaints, registered);
    assert_eq!(
        m("pengaduan_complaints{status=\"received\"}"),
        Some(registered)
    );
    assert_eq!(
        m("pengaduan_outbox_mails{status=\"waiting\"}"),
        Some(registered),
        "acknowledgements queued"
    );
    assert_eq!(m("pengaduan_outbox_mails{status=\"sent\"}"), Some(0));
    assert_eq!(
        m("pengaduan_deadline_breaches{deadline=\"review\"}"),
        Some(0)
    );
    assert_eq!(m("pengaduan_mailbox_sync_age_seconds"), Some(90));

    // Four days later nothing was reviewed: every complaint is past its 3x24 jam review.
    site.clock.advance(Duration::days(4));
    let r = site.client().get("/metrics");
    let reviewable: i64 = rusqlite::Connection::open(site.db())
        .unwrap()
        .query_row(
            "SELECT count(*) FROM complaints WHERE review_due < ?1",
            [to_db(site.clock_now())],
            |r| r.get(0),
        )
        .unwrap();
    assert!(reviewable > 0);
    assert_eq!(
        sample(&r.body, "pengaduan_deadline_breaches{deadline=\"review\"}"),
        Some(reviewable)
    );
    assert_eq!(
        sample(&r.body, "pengaduan_deadline_breaches{deadline=\"answer\"}"),
        Some(0)
    );
}

#[test]
fn metrics_need_loopback_or_the_token() {
    let site = Site::start();
    let mut proxied = site.client();
    proxied
        .extra
        .push(("X-Forwarded-For".into(), "203.0.113.9".into()));
    assert_eq!(
        proxied.get("/metrics").status,
        403,
        "through a proxy, no token configured"
    );

    std::env::set_var("WEB_OPS_METRICS_TOKEN", "token-rahasia-123");
    let site = Site::with("metrics_token_env = \"WEB_OPS_METRICS_TOKEN\"");
    let mut c = site.client();
    c.extra
        .push(("X-Forwarded-For".into(), "203.0.113.9".into()));
    let r = c.get("/metrics");
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    c.extra
        .push(("Authorization".into(), "Bearer token-salah-1234".into()));
    assert_eq!(c.get("/metrics").status, 401);
    c.extra.pop();
    c.extra
        .push(("Authorization".into(), "Bearer token-rahasia-123".into()));
    let r = c.get("/metrics");
    assert_eq!(r.status, 200);
    assert!(r
        .body
        .contains("pengaduan_complaints{status=\"received\"} 0"));
    // Loopback without a proxy needs no token.
    assert_eq!(site.client().get("/metrics").status, 200);
}
