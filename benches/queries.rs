//! Queries at scale: a register of 100,000 complaints (generated straight into a real
//! SQLite file with the schema `Store::open` creates), then `complaints list`,
//! `complaints show`, the digest computation and the deadline sweep, each timed as a
//! library call (median, p95) and, for context, as a whole `pengaduan` process.
//! Also prints SQLite's query plan of the sweep's two queries, to show that closed
//! complaints are not scanned.
//! Run: `cargo bench --bench queries`; `BENCH_COMPLAINTS` (default 100,000) and
//! `BENCH_QUERY_RUNS` (default 20) change the scale. Prints `RESULT queries …` lines for
//! scripts/bench. A benchmark, not a test: it asserts nothing about speed.

#[path = "support/knobs.rs"]
mod knobs;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Utc};
use pengaduan::app::load_pipeline;
use pengaduan::app::Pipeline;
use pengaduan::calendar::WIB;
use pengaduan::clock::to_db;
use pengaduan::config::Config;
use pengaduan::store::{ListFilter, Store};
use pengaduan::workflow::intake::deadlines;
use rusqlite::{params, Connection};

use knobs::env_usize;

fn main() {
    let n = env_usize("BENCH_COMPLAINTS", 100_000);
    let runs = env_usize("BENCH_QUERY_RUNS", 20).max(2);
    let mut dir = tempfile::tempdir().unwrap();
    // BENCH_KEEP_DB=1 keeps the generated register for a closer look (sqlite3, perf).
    if std::env::var_os("BENCH_KEEP_DB").is_some() {
        dir.disable_cleanup(true);
        eprintln!("queries: keeping {}", dir.path().display());
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let db = dir.path().join("pengaduan.db");
    let config_path = dir.path().join("pengaduan.toml");
    std::fs::write(
        &config_path,
        format!(
            "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
             [storage]\ndatabase = \"{db}\"\n[calendar]\nholidays = [\"{root}/config/libur-nasional-2026.toml\"]\n\
             [templates]\ndir = \"{root}/templates\"\n\
             [recipients]\ntim_pengaduan = [\"tim@example.test\"]\nkepala_puskesmas = [\"kepala@example.test\"]\n\
             tim_mutu = [\"mutu@example.test\"]\ndinas_kesehatan = [\"dinkes@example.test\"]\n",
            db = db.display()
        ),
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    let pipeline = load_pipeline(&config).unwrap();
    let now = Utc::now();

    let start = Instant::now();
    let open = generate(&db, &pipeline, n, now);
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "queries: generated {n} complaints ({open} open) in {:.1} s, database {:.0} MB",
        start.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );
    println!(
        "RESULT queries-setup complaints={n} open={open} db_mb={:.0}",
        size as f64 / 1e6
    );

    let mut store = Store::open(&db).unwrap();
    let parsed = store.list_complaints(&ListFilter::ALL).unwrap()[n / 2].ticket;
    let ticket = parsed.to_string();

    plans(&db);

    // `complaints list` by default: open complaints and the last 30 days; then every row.
    let recent = ListFilter {
        since: Some(now - chrono::Duration::days(30)),
        limit: None,
    };
    report("list", "lib", runs, || {
        std::hint::black_box(store.list_complaints(&recent).unwrap().len());
    });
    report("list-all", "lib", runs, || {
        std::hint::black_box(store.list_complaints(&ListFilter::ALL).unwrap().len());
    });
    report("show", "lib", runs, || {
        let c = store.complaint(&parsed).unwrap().unwrap();
        std::hint::black_box(store.messages_of(c.id).unwrap().len());
        std::hint::black_box(store.events_of(c.id).unwrap().len());
    });
    // The digest computation (its query and `digest::build`), then the same with the
    // rendering of its text and HTML parts, which grows with the number of open cases.
    report("digest", "lib", runs, || {
        std::hint::black_box(pipeline.digest(&store, now).unwrap());
    });
    report("digest-render", "lib", runs, || {
        let d = pipeline.digest(&store, now).unwrap();
        std::hint::black_box(pipeline.render_digest(&d).unwrap());
    });
    // The first sweep queues every reminder and escalation that is due and closes the
    // answered cases whose time ran out; later ones find that work done, as a sweep does
    // every day. Both are shown.
    let first = Instant::now();
    let queued = pipeline.queue_notices(&mut store, now).unwrap();
    let closed = pipeline.sweep_no_reply(&mut store, now).unwrap().len();
    let first = first.elapsed();
    println!(
        "RESULT queries name=sweep-first kind=lib runs=1 median_ms={ms:.1} p95_ms={ms:.1} queued={queued} closed={closed}",
        ms = first.as_secs_f64() * 1000.0
    );
    report("sweep", "lib", runs, || {
        std::hint::black_box(pipeline.queue_notices(&mut store, now).unwrap());
        std::hint::black_box(pipeline.sweep_no_reply(&mut store, now).unwrap());
    });
    drop(store);

    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_pengaduan"))
            .arg("--config")
            .arg(&config_path)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pengaduan {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let cli_runs = runs.min(10);
    report("list", "cli", cli_runs, || cli(&["complaints", "list"]));
    report("list-all", "cli", cli_runs.min(3), || {
        cli(&["complaints", "list", "--all"])
    });
    report("show", "cli", cli_runs, || {
        cli(&["complaints", "show", &ticket])
    });
    report("digest", "cli", cli_runs, || cli(&["digest", "--dry-run"]));
}

/// Times `f` `runs` times after one warm-up call and prints median and p95.
fn report(name: &str, kind: &str, runs: usize, mut f: impl FnMut()) {
    f();
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    let pct = |p: f64| t[((t.len() as f64 * p).ceil() as usize).clamp(1, t.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "RESULT queries name={name} kind={kind} runs={runs} median_ms={:.1} p95_ms={:.1}",
        ms(pct(0.5)),
        ms(pct(0.95))
    );
}

/// SQLite's plan for the sweep's queries (the WHERE clauses of `unanswered_cases` in
/// src/store/notices.rs and `answered_cases` in src/store/mod.rs): a SEARCH on the
/// status index reads open complaints only; a SCAN would read the closed ones too.
fn plans(db: &Path) {
    let conn = Connection::open(db).unwrap();
    for (name, sql) in [
        (
            "unanswered_cases",
            "SELECT id FROM complaints WHERE status IN ('received', 'acknowledged', 'reviewed') ORDER BY id",
        ),
        (
            "answered_cases",
            "SELECT id FROM complaints WHERE status = 'answered'",
        ),
    ] {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let scans = plan.iter().any(|p| p.starts_with("SCAN complaints"));
        println!(
            "RESULT plan name={name} scans_closed={} plan={:?}",
            if scans { "yes" } else { "no" },
            plan.join("; ")
        );
    }
}

const SUBJECTS: &[&str] = &[
    "Antrean pendaftaran terlalu lama",
    "Obat di apotek habis",
    "Petugas loket kurang ramah",
    "Saran: tambah kursi di ruang tunggu",
    "Terima kasih untuk bidan desa",
    "Toilet ruang tunggu kotor",
];
const UNITS: &[Option<&str>] = &[
    Some("pendaftaran"),
    Some("farmasi"),
    Some("laboratorium"),
    None,
    Some("poli_umum"),
];

/// Writes `n` complaints received over five years up to `now`, each with its inbound
/// message, its acknowledgement in the outbox and its audit events, in one transaction.
/// Most are closed; the recent ones are open in every state, as a register looks after
/// years of use. Returns how many are open.
fn generate(db: &Path, pipeline: &Pipeline, n: usize, now: DateTime<Utc>) -> usize {
    drop(Store::open(db).unwrap()); // the schema, exactly as the daemon creates it
    let mut conn = Connection::open(db).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let tx = conn.transaction().unwrap();
    let span = chrono::Duration::days(5 * 365);
    let step = span / n as i32;
    let body =
        "Saya datang ke puskesmas pukul tujuh pagi dan baru dipanggil menjelang pukul sepuluh. \
                Mohon antrean diperbaiki. Hubungi saya di 0812-3456-7890.";
    let raw_in = format!(
        "From: Warga <warga@desa.test>\r\nTo: kademangan.puskesmas@gmail.com\r\nSubject: x\r\n\r\n{}\r\n",
        body.repeat(8)
    );
    let raw_out = "x".repeat(2_500);
    let mut seqs: std::collections::BTreeMap<i32, u32> = Default::default();
    let mut open = 0;
    {
        let mut ins_c = tx
            .prepare(
                "INSERT INTO complaints (id, ticket, year, seq, status, kind, channel, unit, complainant_email,
                   complainant_name, phones, subject, body, received_at, ack_due, review_due, answer_due,
                   ack_sent_at, plan, reviewed_at, answer, answered_at, closed_at, attention, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'email', ?7, ?8, ?9, '[\"+6281234567890\"]', ?10, ?11, ?12, ?13,
                   ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?12)",
            )
            .unwrap();
        let mut ins_m = tx
            .prepare(
                "INSERT INTO messages (message_id, mailbox, uidvalidity, uid, received_at, date_header, from_email,
                   from_name, subject, class, complaint_id, body_text, attachments, size, raw, stored_at)
                 VALUES (?1, 'INBOX', 1, ?2, ?3, ?3, ?4, ?5, ?6, 'complaint', ?2, ?7, '[]', ?8, ?9, ?3)",
            )
            .unwrap();
        let mut ins_o = tx
            .prepare(
                "INSERT INTO outbox (idem_key, message_id, complaint_id, purpose, automatic, mail_from, rcpt_to,
                   subject, raw, status, attempts, next_attempt_at, created_at, sent_at)
                 VALUES (?1, ?2, ?3, 'ack', 1, 'kademangan.puskesmas@gmail.com', ?4, ?5, ?6, ?7, 1, ?8, ?8, ?9)",
            )
            .unwrap();
        let mut ins_e = tx
            .prepare(
                "INSERT INTO events (complaint_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .unwrap();
        for i in 0..n {
            let id = i as i64 + 1;
            let received = now - span + step * i as i32;
            let due = deadlines(received, &pipeline.calendar);
            let year = received.with_timezone(&WIB).year();
            let seq = {
                let s = seqs.entry(year).or_insert(0);
                *s += 1;
                *s
            };
            let ticket = format!("ADU-{year}-{seq:04}");
            let from_end = n - 1 - i;
            // Status by age: the newest are waiting for review or answer, a band before
            // them is answered and waiting for PUAS / TIDAK PUAS, a few old ones were
            // forgotten in review; everything else is closed one way or another.
            let status = match (from_end, i % 10) {
                (0..50, _) => "received",
                (50..1000, 0..5) => "acknowledged",
                (50..1000, _) => "reviewed",
                (1000..3000, 0..4) => "answered",
                (1000..3000, 4..6) => "reviewed",
                _ if i % 500 == 7 => "reviewed",
                _ if i % 20 == 0 => "referred",
                _ if i % 4 == 0 => "closed_without_reply",
                _ => "closed_satisfied",
            };
            let is_open = matches!(
                status,
                "received" | "acknowledged" | "reviewed" | "answered"
            );
            open += usize::from(is_open);
            let at = |h: i64| to_db(received + chrono::Duration::hours(h));
            let acked = status != "received";
            let reviewed = !matches!(status, "received" | "acknowledged");
            let answered = reviewed && status != "reviewed";
            let closed = !is_open;
            let attention = (i % 1000 == 3).then_some("balasan tidak jelas: PUAS atau TIDAK PUAS?");
            let kind = [
                "pengaduan",
                "pengaduan",
                "saran",
                "apresiasi",
                "permintaan_informasi",
            ][i % 5];
            let email = format!("warga{i}@desa.test");
            ins_c
                .execute(params![
                    id,
                    ticket,
                    year,
                    seq,
                    status,
                    kind,
                    UNITS[i % UNITS.len()],
                    email,
                    "Warga Kademangan",
                    SUBJECTS[i % SUBJECTS.len()],
                    body,
                    to_db(received),
                    to_db(due.ack_due),
                    to_db(due.review_due),
                    to_db(due.answer_due),
                    acked.then(|| at(0)),
                    reviewed.then_some("Ditelaah bersama kepala unit; perbaikan jadwal loket."),
                    reviewed.then(|| at(30)),
                    answered.then_some(
                        "Terima kasih atas masukan Bapak/Ibu; antrean kini dibuka pukul 07.00."
                    ),
                    answered.then(|| at(24 * 9)),
                    closed.then(|| at(24 * 16)),
                    attention,
                ])
                .unwrap();
            ins_m
                .execute(params![
                    format!("CAbench{i}@mail.gmail.test"),
                    id,
                    to_db(received),
                    email,
                    "Warga Kademangan",
                    SUBJECTS[i % SUBJECTS.len()],
                    body,
                    raw_in.len() as i64,
                    raw_in.as_bytes(),
                ])
                .unwrap();
            let failed = i % 400 == 11;
            ins_o
                .execute(params![
                    format!("ack:{ticket}"),
                    format!("<ack.{ticket}@pengaduan.test>"),
                    id,
                    email,
                    format!("[{ticket}] Tanda terima"),
                    raw_out.as_bytes(),
                    if !acked {
                        "pending"
                    } else if failed {
                        "failed"
                    } else {
                        "sent"
                    },
                    to_db(received),
                    acked.then(|| at(0)),
                ])
                .unwrap();
            let mut events = vec![("received", 0), ("ack_queued", 0)];
            if acked {
                events.push(("ack_sent", 0));
            }
            if reviewed {
                events.push(("reviewed", 30));
            }
            if answered {
                events.push(("answered", 24 * 9));
            }
            if closed {
                events.push((status, 24 * 16));
            }
            for (kind, h) in events {
                ins_e
                    .execute(params![id, at(h), "sistem", kind, "dibuat oleh bench"])
                    .unwrap();
            }
        }
        for (year, last) in &seqs {
            tx.execute(
                "INSERT INTO ticket_seq (year, last) VALUES (?1, ?2)",
                params![year, last],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    open
}
