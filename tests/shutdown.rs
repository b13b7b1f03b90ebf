//! Graceful shutdown (issue 5): SIGTERM in the middle of a burst finishes the current
//! transaction, exits with status 0 within 10 s, and the next start registers the rest:
//! every message exactly once, every complainant acknowledged exactly once.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::daemon::{complaint, Daemon, PUSKESMAS};
use support::lab::Lab;

const BURST: usize = 400;

fn scalar(d: &Daemon, sql: &str) -> i64 {
    d.sql().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn sigterm_during_a_burst_exits_within_10_s_and_loses_nothing() {
    let lab = Lab::start();
    let mut d = Daemon::new(&lab);
    d.start(&[]);
    assert!(d.stop());

    // The burst waits in the mailbox; the daemon starts into it.
    let senders: Vec<String> = (0..BURST)
        .map(|i| format!("antre-{i:03}@example.test"))
        .collect();
    for (i, from) in senders.iter().enumerate() {
        lab.deliver(
            from,
            &[PUSKESMAS],
            &complaint(
                from,
                &format!("Warga {i}"),
                &format!("burst-{i}@example.test"),
                &format!("Keluhan antrean {i}"),
                "Antrean pendaftaran lama sekali.",
            ),
        );
    }
    lab.wait_for_messages(PUSKESMAS, BURST, Duration::from_secs(60));
    d.spawn(&[]);
    // The signal comes while the sender is busy with the acknowledgements of the burst
    // (and the watcher, with luck, still with the burst itself).
    d.wait_until(
        "the burst is being acknowledged",
        Duration::from_secs(60),
        || scalar(&d, "SELECT count(*) FROM outbox WHERE status = 'sent'") >= 10,
    );

    let (status, took) = d.terminate(Duration::from_secs(30));
    let stored = scalar(&d, "SELECT count(*) FROM messages") as usize;
    let unsent = scalar(&d, "SELECT count(*) FROM outbox WHERE status <> 'sent'");
    println!(
        "SIGTERM: exit {status:?} after {took:.2?}; {stored}/{BURST} registered, {unsent} acknowledgements unsent"
    );
    assert!(
        stored < BURST || unsent > 0,
        "the signal came after the burst was done: nothing was interrupted"
    );
    let status = status.unwrap_or_else(|| panic!("no exit within 30 s of SIGTERM\n{}", d.log()));
    assert!(status.success(), "exit status {status}\n{}", d.log());
    assert!(
        took < Duration::from_secs(10),
        "the daemon took {took:?} to stop"
    );
    assert!(d.log().contains("pengaduan stopped"), "{}", d.log());
    // Nothing was claimed and left behind: every unsent row is due now, not after a lease.
    assert_eq!(
        scalar(
            &d,
            "SELECT count(*) FROM outbox WHERE status = 'pending' AND next_attempt_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+60 seconds')"
        ),
        0,
        "a send was abandoned mid-way (its row is still claimed)"
    );

    // The next start registers and acknowledges the rest, each exactly once.
    d.start(&[]);
    d.wait_until(
        "the whole burst is registered and acknowledged",
        Duration::from_secs(120),
        || {
            scalar(&d, "SELECT count(*) FROM messages") as usize == BURST
                && scalar(&d, "SELECT count(*) FROM outbox WHERE status = 'sent'") as usize == BURST
        },
    );
    assert!(d.stop());
    lab.wait_queue_empty(Duration::from_secs(60));
    let emails: Vec<String> = d
        .complaints()
        .into_iter()
        .filter_map(|c| c.complainant_email)
        .collect();
    assert_eq!(emails.len(), BURST, "one complaint per message");
    assert_eq!(
        emails.iter().cloned().collect::<BTreeSet<_>>(),
        senders.iter().cloned().collect::<BTreeSet<_>>()
    );
    for from in &senders {
        assert_eq!(
            lab.messages(from).len(),
            1,
            "{from}: exactly one acknowledgement (a graceful stop leaves no duplicate)"
        );
    }
    let cursor = d.store().cursor("INBOX").unwrap().unwrap();
    let (uidvalidity, uidnext) = lab.mailbox_status(PUSKESMAS);
    assert_eq!(
        (cursor.uidvalidity, cursor.last_uid),
        (uidvalidity, uidnext - 1)
    );
    assert_eq!(d.store().integrity_check().unwrap(), "ok");
}
