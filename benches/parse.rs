//! Parse and classify alone, single thread, with criterion: the CPU part of ingesting one
//! message that comes before any SQL — `mail::parse`, then what `ingest.rs` derives from
//! it (thread hints, route, kind, unit, phone numbers, the attachments' JSON) — over the
//! generated corpus of benches/support/corpus.rs (most mail 3–30 KB, 5 % with a photo).
//! Run: `cargo bench --bench parse`; `BENCH_PARSE_MESSAGES` sets the corpus size
//! (default 1,000). Prints criterion's report, then one `RESULT parse …` line for
//! scripts/bench. A benchmark, not a test: it asserts nothing about speed.

#[path = "support/corpus.rs"]
mod corpus;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use pengaduan::config::Config;
use pengaduan::domain::extract_phones;
use pengaduan::mail::parse::parse;
use pengaduan::workflow::classify::{guess_kind, guess_unit, route, thread_hints, Route, Words};

/// The ingest path up to the database, for one message; returns something that depends on
/// every step so the optimiser keeps them all.
fn parse_and_classify(raw: &[u8], config: &Config) -> usize {
    let msg = parse(raw, config.limits.max_parse_bytes);
    let hints = thread_hints(&msg);
    let mut n = hints.referenced_ids.len() + hints.tickets.len();
    let attachments = serde_json::to_string(&msg.attachments).unwrap();
    n += attachments.len();
    if let Route::New = route(&msg, &config.puskesmas.email, None, &config.intake) {
        let words = Words::new(&msg.subject, &msg.text);
        let kind = guess_kind(&words, &config.keywords);
        n += kind.as_str().len();
        n += guess_unit(&words, &config.units).map_or(0, |u| u.len());
        n += extract_phones(&format!("{}\n{}", msg.subject, msg.text)).len();
    }
    n
}

fn main() {
    let n: usize = std::env::var("BENCH_PARSE_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let config = Config::parse(
        "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"puskesmas@example.test\"\n\
         [storage]\ndatabase = \"unused.db\"\n",
        Path::new("(bench)"),
    )
    .unwrap();
    let corpus: Vec<Vec<u8>> = (0..n)
        .map(|i| corpus::message(i, 6, "Fri, 20 Nov 2026 08:15:00 +0700"))
        .collect();
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    // The same split the issue asks for: sizes of the text mail and of the photo mail.
    let photos = corpus.iter().filter(|m| m.len() > 150_000).count();
    eprintln!(
        "parse corpus: {n} messages, {:.1} MB, {photos} with a photo",
        bytes as f64 / 1e6
    );

    // One pass first: every message must come out as a new complaint, or the bench would
    // time an early exit instead of the whole path.
    for raw in &corpus {
        let msg = parse(raw, config.limits.max_parse_bytes);
        assert_eq!(
            route(&msg, &config.puskesmas.email, None, &config.intake),
            Route::New,
            "{:?}",
            msg.problems
        );
        assert!(!msg.text.is_empty(), "no text in {}", msg.message_id);
    }

    let started = std::time::SystemTime::now();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    let mut group = c.benchmark_group("parse_classify");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            corpus
                .iter()
                .map(|raw| parse_and_classify(black_box(raw), &config))
                .sum::<usize>()
        })
    });
    group.finish();
    c.final_summary();

    // Criterion's point estimate (median time of one pass over the corpus); measured
    // here with three passes when this run saved none (e.g. `--test` mode).
    let secs = criterion_median("parse_classify/corpus", started).unwrap_or_else(|| {
        let mut t: Vec<f64> = (0..3)
            .map(|_| {
                let start = Instant::now();
                black_box(
                    corpus
                        .iter()
                        .map(|raw| parse_and_classify(raw, &config))
                        .sum::<usize>(),
                );
                start.elapsed().as_secs_f64()
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t[1]
    });
    println!(
        "RESULT parse messages={n} bytes={bytes} photos={photos} secs={secs:.6} mb_per_s={:.1} msg_per_s={:.0}",
        bytes as f64 / 1e6 / secs,
        n as f64 / secs
    );
}

/// Reads the median from criterion's `estimates.json`, in seconds, if this run (started
/// at `since`) wrote it: an older file is another run's, perhaps of another corpus size.
fn criterion_median(id: &str, since: std::time::SystemTime) -> Option<f64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = target.join("criterion").join(id).join("new/estimates.json");
    if std::fs::metadata(&path).ok()?.modified().ok()? < since {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(v["median"]["point_estimate"].as_f64()? / 1e9)
}
