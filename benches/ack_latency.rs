//! Acknowledgement latency in the mail lab: the daemon idles on the mailbox (IMAP IDLE);
//! complaints are delivered one at a time over SMTP; for each, the time from the SMTP
//! server accepting it until the acknowledgement is in the complainant's mailbox.
//! Run: `cargo bench --bench ack_latency` (needs scripts/install-test-deps.sh first).
//! A benchmark, not a test: it prints figures and asserts nothing about speed.
//! scripts/bench runs it with the other benches and prints one table.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::daemon::{complaint, Daemon, PUSKESMAS};
use support::lab::Lab;

fn main() {
    let n: usize = std::env::var("ACK_LATENCY_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let lab = Lab::start();
    let mut d = Daemon::new(&lab);
    d.start(&[]);
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let user = format!("warga{i}@example.test");
        let raw = complaint(
            &user,
            "Warga",
            &format!("lat{i}@example.test"),
            "Antrean lama",
            "Menunggu tiga jam di loket pendaftaran.",
        );
        lab.deliver(&user, &[PUSKESMAS], &raw);
        let start = Instant::now();
        while lab.messages(&user).is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no acknowledgement for {user}\n{}",
                d.log()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        samples.push(start.elapsed());
    }
    d.stop();
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |p: f64| {
        samples[((samples.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(samples.len() - 1)]
    };
    println!("ack latency over {n} messages (SMTP accepted -> acknowledgement in the complainant's mailbox)");
    println!("| median | p95 | max | min |");
    println!("|---|---|---|---|");
    println!(
        "| {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms |",
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(*samples.last().unwrap()),
        ms(samples[0])
    );
    // One machine-readable line for scripts/bench.
    println!(
        "RESULT ack messages={n} median_ms={:.0} p95_ms={:.0} max_ms={:.0} min_ms={:.0}",
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(*samples.last().unwrap()),
        ms(samples[0])
    );
}
