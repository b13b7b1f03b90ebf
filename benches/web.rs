//! The staff dashboard at scale (issue 13): a register of 100,000 complaints over a year
//! (tests/support/generate.rs), served over real TCP on loopback by the crate's own
//! router (tests/support/web.rs), logged in as a petugas made with `pengaduan users add`.
//! For the list page `/` and for complaint pages: the response time seen by a keep-alive
//! client on loopback (median and p95 of `BENCH_WEB_RUNS` requests after a warm-up) and
//! the bytes of the HTML. Targets: p95 ≤ 50 ms, the list page ≤ 60 KB.
//! Then the real `pengaduan run` against the mail lab with `[web]` on: its resident set
//! (VmRSS) once idle, and after serving pages. Target: idle ≤ 25 MB.
//! `BENCH_WEB_COMPLAINTS` changes the size. Prints `RESULT web …` lines. A benchmark,
//! not a test: it asserts nothing about speed.
#![allow(dead_code)]

#[path = "../tests/support/daemon.rs"]
mod daemon;
#[path = "../tests/support/generate.rs"]
mod generate;
#[path = "../tests/support/lab.rs"]
mod lab;
#[path = "../tests/support/offline.rs"]
mod offline;
#[path = "../tests/support/web.rs"]
mod web;

#[path = "support/knobs.rs"]
mod knobs;

use std::time::{Duration, Instant};

use chrono::TimeZone;
use pengaduan::calendar::WIB;
use pengaduan::config::Config;

const PW: &str = "petugas-rahasia-1";

use knobs::{env_usize, wib};

fn main() {
    let runs = env_usize("BENCH_WEB_RUNS", 200).max(1);
    let total = env_usize("BENCH_WEB_COMPLAINTS", 100_000);
    pages(runs, total);
    idle_rss();
}

fn pages(runs: usize, total: usize) {
    let site = web::Site::start();
    let config = Config::load(&site.config).unwrap();
    let pipeline = pengaduan::app::load_pipeline(&config).unwrap();
    let started = Instant::now();
    // A year: December 2025 to November 2026, the same number each month.
    let per_month = total / 12;
    let mut conn = rusqlite::Connection::open(site.db()).unwrap();
    let mut rng = generate::Rng::new(2026);
    let mut seq: u32 = 1;
    for i in 0..12 {
        let (y, m) = if i == 0 { (2025, 12) } else { (2026, i) };
        let n = if i == 11 {
            total - per_month * 11
        } else {
            per_month
        };
        let next = if m == 12 {
            wib(y + 1, 1, 1)
        } else {
            wib(y, m + 1, 1)
        };
        let start = wib(y, m, 1);
        generate::complaints(
            &mut conn,
            &pipeline.calendar,
            &generate::Batch {
                year: y,
                first_seq: seq,
                start,
                days: (next - start).num_days(),
                n,
            },
            &mut rng,
        );
        seq += n as u32;
    }
    drop(conn);
    eprintln!(
        "web: generated {total} complaints in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The morning after the last generated day: 1 December 2026, 09:00 WIB.
    let now = WIB.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap().to_utc();
    site.clock.advance(now - site.clock_now());
    site.add_user("rina", "petugas", PW);
    let mut c = site.login("rina", PW);

    let list = c.get("/");
    assert_eq!(list.status, 200, "{}", list.body);
    let shown = list.body.matches("<tr>").count();
    measure("list", runs, total, &mut c, |_| "/".to_string(), shown);
    // The filters: a narrow one, and a search nothing matches (every candidate is read).
    for (name, path) in [
        ("list_kind_saran", "/?kind=saran"),
        ("list_overdue", "/?overdue=1"),
        ("list_search_no_match", "/?q=tidak-ada-yang-cocok"),
    ] {
        let rows = c.get(path).body.matches("<tr>").count();
        measure(name, runs / 4, total, &mut c, |_| path.to_string(), rows);
    }

    // Complaint pages: tickets spread over the whole year, each opened in turn.
    let tickets: Vec<String> = {
        let store = site.store();
        let rows = store
            .list_complaints(&pengaduan::store::ListFilter::ALL)
            .unwrap();
        let step = (rows.len() / 50).max(1);
        rows.iter()
            .step_by(step)
            .map(|r| r.ticket.to_string())
            .collect()
    };
    measure(
        "complaint",
        runs,
        total,
        &mut c,
        |i| format!("/pengaduan/{}", tickets[i % tickets.len()]),
        0,
    );
}

fn measure(
    name: &str,
    runs: usize,
    total: usize,
    c: &mut web::Client,
    path: impl Fn(usize) -> String,
    rows: usize,
) {
    for i in 0..5 {
        assert_eq!(c.get(&path(i)).status, 200);
    }
    let mut times = Vec::with_capacity(runs);
    let mut bytes = Vec::with_capacity(runs);
    for i in 0..runs {
        let p = path(i);
        let s = Instant::now();
        let r = c.get(&p);
        times.push(s.elapsed());
        assert_eq!(r.status, 200, "{p}");
        bytes.push(r.body.len());
    }
    times.sort();
    bytes.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "RESULT web name={name} complaints={total} runs={runs} median_ms={:.1} p95_ms={:.1} \
         max_ms={:.1} median_kb={:.1} max_kb={:.1} rows={rows}",
        ms(times[runs / 2]),
        ms(times[(runs * 95 / 100).min(runs - 1)]),
        ms(times[runs - 1]),
        bytes[runs / 2] as f64 / 1024.0,
        bytes[runs - 1] as f64 / 1024.0,
    );
}

fn vm(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `pengaduan run` with `[web]` against the lab: VmRSS once idle, then after pages.
fn idle_rss() {
    let lab = lab::Lab::start();
    let (mut d, url) = daemon::Daemon::with_web(&lab);
    d.add_user("rina", "petugas", PW);
    // A few complaints, so the page has lines, and their acknowledgements go out (the
    // daemon registers only mail that arrives after its first start).
    d.start(&[]);
    let senders: Vec<String> = (0..5).map(|i| format!("warga{i}@example.test")).collect();
    for (i, from) in senders.iter().enumerate() {
        lab.deliver(
            from,
            &[daemon::PUSKESMAS],
            &daemon::complaint(
                from,
                "Warga",
                &format!("rss{i}@example.test"),
                "Antrean lama",
                "Saya menunggu tiga jam di loket.",
            ),
        );
    }
    for from in &senders {
        d.wait_for_mail(&lab, from, 1);
    }
    let pid = d.pid().unwrap();
    assert_eq!(web::Client::new(&url).get("/healthz").status, 200);
    // Idle: nothing arrives for a while (IDLE on the mailbox, outbox empty).
    std::thread::sleep(Duration::from_secs(10));
    let idle = vm(pid, "VmRSS:");
    let mut c = web::Client::new(&url);
    assert_eq!(c.login("rina", PW).status, 303);
    for _ in 0..50 {
        assert_eq!(c.get("/").status, 200);
    }
    let ticket = d.complaints()[0].ticket;
    for _ in 0..50 {
        assert_eq!(c.get(&format!("/pengaduan/{ticket}")).status, 200);
    }
    std::thread::sleep(Duration::from_secs(2));
    let after = vm(pid, "VmRSS:");
    let peak = vm(pid, "VmHWM:");
    println!(
        "RESULT web name=daemon_rss idle_rss_mb={:.1} after_pages_rss_mb={:.1} peak_rss_mb={:.1}",
        idle as f64 / 1024.0,
        after as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    assert!(d.stop(), "{}", d.log());
}
