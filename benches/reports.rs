//! The register export and the monthly report at scale (issue 14): a database holding one
//! month of 2,000 complaints, and one holding a year of 100,000 (about 8,300 a month).
//! For the last month of each: the .xlsx and the CSV register and the report (its 12-month
//! trend reads the whole year), timed as library calls (median of `BENCH_REPORT_RUNS`), and
//! as whole `pengaduan register` / `pengaduan report` processes with their peak RSS (the
//! kernel's `ru_maxrss` of each child, from wait4). Targets: a month's .xlsx in ≤ 1 s,
//! peak RSS ≤ 100 MB. `BENCH_REPORT_MONTH` / `BENCH_REPORT_YEAR` change the sizes.
//! Prints `RESULT reports …` lines. A benchmark, not a test: it asserts nothing about speed.

#[path = "../tests/support/generate.rs"]
mod generate;

#[path = "support/knobs.rs"]
mod knobs;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pengaduan::app::load_pipeline;
use pengaduan::app::{register, report};
use pengaduan::calendar::Calendar;
use pengaduan::config::Config;
use pengaduan::reports::register::Period;
use pengaduan::reports::sheet::SheetFormat;
use pengaduan::store::Store;

use knobs::{env_usize, wib};

fn main() {
    let runs = env_usize("BENCH_REPORT_RUNS", 5).max(1);
    let month = env_usize("BENCH_REPORT_MONTH", 2_000);
    let year = env_usize("BENCH_REPORT_YEAR", 100_000);
    scenario("month", runs, &[(2026, 11, month)]);
    let per_month = year / 12;
    let months: Vec<(i32, u32, usize)> = (0..12)
        .map(|i| {
            let (y, m) = if i == 0 { (2025, 12) } else { (2026, i) };
            let n = if i == 11 {
                year - per_month * 11
            } else {
                per_month
            };
            (y, m as u32, n)
        })
        .collect();
    scenario("year", runs, &months);
}

fn scenario(name: &str, runs: usize, months: &[(i32, u32, usize)]) {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let db = dir.path().join("pengaduan.db");
    let config_path = dir.path().join("pengaduan.toml");
    std::fs::write(
        &config_path,
        format!(
            "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
             [storage]\ndatabase = \"{db}\"\n[calendar]\nholidays = [\"{root}/config/libur-nasional-2026.toml\"]\n",
            db = db.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &config_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    let pipeline = load_pipeline(&config).unwrap();
    drop(Store::open(&db).unwrap());
    let started = Instant::now();
    let total = generate_all(&db, &pipeline.calendar, months);
    eprintln!(
        "reports: {name}: generated {total} complaints in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (y, m, in_month) = *months.last().unwrap();
    let period = Period::month(y, m).unwrap();
    let slug = period.slug();
    let as_of = wib(2026, 12, 20);
    let store = Store::open(&db).unwrap();
    let cal = &pipeline.calendar;

    let mut sizes = (0, 0);
    lib(name, "xlsx", runs, total, in_month, || {
        let f = register::file(&store, cal, &period, SheetFormat::Xlsx, "P", as_of).unwrap();
        sizes.0 = f.bytes.len();
    });
    lib(name, "csv", runs, total, in_month, || {
        let f = register::file(&store, cal, &period, SheetFormat::Csv, "P", as_of).unwrap();
        sizes.1 = f.bytes.len();
    });
    lib(name, "report", runs, total, in_month, || {
        let r = report::monthly(&store, cal, &period, as_of).unwrap();
        std::hint::black_box(report::printable(&pipeline.templates, &config, &r).unwrap());
    });
    println!(
        "RESULT reports scenario={name} name=sizes xlsx_kb={} csv_kb={}",
        sizes.0 / 1024,
        sizes.1 / 1024
    );
    drop(store);

    let out = dir.path().join("out");
    for (what, args) in [
        ("xlsx", vec!["register", "--month", &slug, "--out"]),
        (
            "csv",
            vec!["register", "--month", &slug, "--format", "csv", "--out"],
        ),
        ("report", vec!["report", "--month", &slug, "--out"]),
    ] {
        let (wall, rss_kb) = process(&config_path, &args, &out);
        println!(
            "RESULT reports scenario={name} name={what} kind=cli complaints={total} in_month={in_month} \
             wall_ms={:.0} peak_rss_mb={:.1}",
            wall.as_secs_f64() * 1000.0,
            rss_kb as f64 / 1024.0
        );
    }
}

fn generate_all(db: &Path, calendar: &Calendar, months: &[(i32, u32, usize)]) -> usize {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let mut rng = generate::Rng::new(2026);
    let mut seq: u32 = 1;
    for &(y, m, n) in months {
        let days = Period::month(y, m).map_or(28, |p| (p.to - p.from).num_days() + 1);
        // Ticket years restart their numbers; one sequence over the run keeps them unique.
        generate::complaints(
            &mut conn,
            calendar,
            &generate::Batch {
                year: y,
                first_seq: seq,
                start: wib(y, m, 1),
                days,
                n,
            },
            &mut rng,
        );
        seq += n as u32;
    }
    months.iter().map(|(_, _, n)| n).sum()
}

/// Median of `runs` calls after one warm-up.
fn lib(
    scenario: &str,
    name: &str,
    runs: usize,
    total: usize,
    in_month: usize,
    mut f: impl FnMut(),
) {
    f();
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    println!(
        "RESULT reports scenario={scenario} name={name} kind=lib complaints={total} in_month={in_month} \
         runs={runs} median_ms={:.1} max_ms={:.1}",
        t[t.len() / 2].as_secs_f64() * 1000.0,
        t[t.len() - 1].as_secs_f64() * 1000.0
    );
}

/// Runs `pengaduan ARGS OUT` and returns its wall time and peak RSS (kB, from wait4).
// The child is reaped by wait4 (std's wait gives no rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn process(config: &Path, args: &[&str], out: &Path) -> (Duration, i64) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_pengaduan"))
        .arg("--config")
        .arg(config)
        .args(args)
        .arg(out)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; the pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(pid, child.id() as i32, "wait4");
    assert_eq!(status, 0, "pengaduan {args:?} failed");
    (wall, usage.ru_maxrss)
}
