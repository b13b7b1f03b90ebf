//! Crash test (issue 5): the mail lab receives complaint mail and machine mail while a
//! driver SIGKILLs the daemon at random moments and starts it again. At the end every
//! message is in the database exactly once, every complaint exactly once, every
//! complainant's own mailbox holds its acknowledgement (a second copy only with the same
//! Message-ID: a kill between the SMTP reply and its bookkeeping), nothing answered a
//! machine, the cursor stands at the mailbox's last UID, and the database is intact.
//!
//! Scale with CRASH_MESSAGES (default 1000) and CRASH_KILLS (default 20); replay a run
//! with CRASH_SEED. The figures are printed: `cargo test --test crash -- --nocapture`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use support::daemon::{complaint, header, Daemon, PUSKESMAS};
use support::lab::Lab;

/// xorshift64*: enough randomness for kill moments, reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
        })
        .unwrap_or(default)
}

enum Mail {
    /// From a person: must be registered as a complaint and acknowledged.
    Complaint { from: String },
    /// An out-of-office reply: stored, never answered.
    AutoReply { from: String },
    /// A bounce (null envelope sender, MAILER-DAEMON): stored, never answered.
    Bounce,
}

fn mail(i: u64) -> (Mail, String, Vec<u8>) {
    let id = format!("crash-{i}@example.test");
    match i % 10 {
        3 => {
            let from = format!("cuti-{i:04}@example.test");
            let raw = format!(
                "From: Pegawai Cuti <{from}>\r\nTo: {PUSKESMAS}\r\nSubject: Balasan otomatis: sedang cuti\r\n\
                 Auto-Submitted: auto-replied\r\nMessage-ID: <{id}>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0700\r\n\r\n\
                 Saya sedang cuti sampai 30 November.\r\n"
            );
            (Mail::AutoReply { from }, id, raw.into_bytes())
        }
        7 => {
            let raw = format!(
                "From: Mail Delivery System <mailer-daemon@example.test>\r\nTo: {PUSKESMAS}\r\n\
                 Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <{id}>\r\n\
                 Date: Mon, 23 Nov 2026 08:00:00 +0700\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n"
            );
            (Mail::Bounce, id, raw.into_bytes())
        }
        _ => {
            let from = format!("warga-{i:04}@example.test");
            let raw = complaint(
                &from,
                &format!("Warga {i}"),
                &id,
                &format!("Antrean poli umum nomor {i}"),
                &format!("Saya menunggu lama sekali di poli umum (keluhan nomor {i})."),
            );
            (Mail::Complaint { from }, id, raw)
        }
    }
}

fn deliver(lab: &Lab, m: &Mail, raw: &[u8]) {
    let envelope_from = match m {
        Mail::Complaint { from } | Mail::AutoReply { from } => from.as_str(),
        Mail::Bounce => "",
    };
    lab.deliver(envelope_from, &[PUSKESMAS], raw);
}

fn scalar(d: &Daemon, sql: &str) -> i64 {
    d.sql().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn random_kills_lose_nothing_and_duplicate_nothing() {
    let total = env_or("CRASH_MESSAGES", 1000);
    let kills = env_or("CRASH_KILLS", 20);
    assert!(
        total >= kills && kills >= 1,
        "CRASH_MESSAGES >= CRASH_KILLS >= 1"
    );
    let seed = env_or(
        "CRASH_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    println!("crash test: seed {seed} (CRASH_SEED={seed} replays the kill moments), {total} messages, {kills} kills");
    let mut rng = Rng::new(seed);
    let begun = Instant::now();

    let lab = Lab::start();
    let mut d = Daemon::new(&lab);
    // First start on the empty mailbox: the cursor is set, so everything after is new mail.
    d.start(&[]);
    assert!(d.stop());

    let mails: Vec<(Mail, String, Vec<u8>)> = (0..total).map(mail).collect();
    let batch = total.div_ceil(kills) as usize;
    let mut delivered = 0usize;
    let mut busy_kills = 0;
    for k in 0..kills {
        // Half of a batch arrives while the daemon is down (read from the cursor at the
        // next start), half while it runs (noticed by IDLE).
        let end = (delivered + batch).min(mails.len());
        let middle = delivered + (end - delivered) / 2;
        for (m, _, raw) in &mails[delivered..middle] {
            deliver(&lab, m, raw);
        }
        d.spawn(&[]);
        let spawned = Instant::now();
        let moment = Duration::from_millis(100 + rng.below(1900));
        for (m, _, raw) in &mails[middle..end] {
            deliver(&lab, m, raw);
        }
        delivered = end;
        if let Some(rest) = moment.checked_sub(spawned.elapsed()) {
            std::thread::sleep(rest);
        }
        assert!(
            d.is_running(),
            "the daemon exited by itself before kill {}\n{}",
            k + 1,
            d.log()
        );
        d.kill();
        let stored = scalar(&d, "SELECT count(*) FROM messages") as usize;
        let pending = scalar(&d, "SELECT count(*) FROM outbox WHERE status = 'pending'");
        if stored < delivered || pending > 0 {
            busy_kills += 1;
        }
        println!(
            "kill {:2} after {:4} ms: {stored}/{delivered} messages stored, {pending} acknowledgements pending",
            k + 1,
            moment.as_millis()
        );
    }
    for (m, _, raw) in &mails[delivered..] {
        deliver(&lab, m, raw);
    }

    let complainants: Vec<&str> = mails
        .iter()
        .filter_map(|(m, _, _)| match m {
            Mail::Complaint { from } => Some(from.as_str()),
            _ => None,
        })
        .collect();
    let machine_senders: BTreeSet<&str> = mails
        .iter()
        .filter_map(|(m, _, _)| match m {
            Mail::AutoReply { from } => Some(from.as_str()),
            Mail::Bounce => Some("mailer-daemon@example.test"),
            Mail::Complaint { .. } => None,
        })
        .collect();
    let n_machine = mails.len() - complainants.len();

    // The last start runs undisturbed until everything is registered and sent. A row a
    // killed sender had claimed is due again when its lease (120 s) ends.
    lab.wait_for_messages(PUSKESMAS, mails.len(), Duration::from_secs(120));
    d.start(&[]);
    d.wait_until(
        "every message is registered and every acknowledgement sent",
        Duration::from_secs(400),
        || {
            scalar(&d, "SELECT count(*) FROM messages") as usize == mails.len()
                && scalar(&d, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0
                && scalar(&d, "SELECT count(*) FROM outbox") as usize >= complainants.len()
        },
    );
    assert!(d.stop(), "clean exit on SIGTERM");
    lab.wait_queue_empty(Duration::from_secs(120));

    // Every message exactly once, by Message-ID and by mailbox position.
    let sql = d.sql();
    let (rows, ids, positions): (i64, i64, i64) = sql
        .query_row(
            "SELECT count(*), count(DISTINCT message_id), count(DISTINCT mailbox || '/' || uidvalidity || '/' || uid) FROM messages",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (rows, ids, positions),
        (mails.len() as i64, mails.len() as i64, mails.len() as i64),
        "messages, distinct Message-IDs, distinct mailbox positions"
    );
    let stored_ids: BTreeSet<String> = sql
        .prepare("SELECT message_id FROM messages")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected_ids: BTreeSet<String> = mails.iter().map(|(_, id, _)| id.clone()).collect();
    assert_eq!(stored_ids, expected_ids, "exactly the delivered messages");
    assert_eq!(d.count_of("complaint") as usize, complainants.len());
    assert_eq!(d.count_of("machine") as usize, n_machine);

    // Every complaint exactly once, from exactly the complainants.
    let by_email: BTreeMap<String, i64> = sql
        .prepare("SELECT complainant_email, count(*) FROM complaints GROUP BY complainant_email")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        by_email.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        complainants.iter().copied().collect::<BTreeSet<_>>(),
        "one complaint per complainant, no complaint from a machine"
    );
    let doubled: Vec<_> = by_email.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        doubled.is_empty(),
        "complaints registered twice: {doubled:?}"
    );
    assert!(
        d.complaints().iter().all(|c| c.ack_sent_at.is_some()),
        "every complaint is recorded as acknowledged"
    );

    // One acknowledgement row per complaint, and each complainant's own mailbox holds it.
    let ack_rows: BTreeMap<String, String> = sql
        .prepare("SELECT rcpt_to, message_id FROM outbox WHERE purpose = 'ack'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        scalar(&d, "SELECT count(*) FROM outbox") as usize,
        complainants.len(),
        "one outbox row per complaint, nothing else queued"
    );
    let mut acks = 0;
    let mut copies = 0;
    let mut same_id_duplicates = 0;
    let mut other_duplicates = Vec::new();
    for addr in &complainants {
        let expected = ack_rows
            .get(*addr)
            .unwrap_or_else(|| panic!("no acknowledgement queued for {addr}"))
            .trim_matches(|c| c == '<' || c == '>');
        let inbox = lab.messages(addr);
        assert!(!inbox.is_empty(), "{addr} holds no acknowledgement");
        acks += 1;
        copies += inbox.len();
        for (n, m) in inbox.iter().enumerate() {
            let id = header(m, "Message-ID").unwrap_or_default();
            if id != expected {
                other_duplicates.push(format!("{addr}: {id} (expected {expected})"));
            } else if n > 0 {
                same_id_duplicates += 1;
            }
        }
    }
    for addr in &machine_senders {
        assert!(
            lab.messages(addr).is_empty(),
            "a machine was answered: {addr}"
        );
    }
    assert_eq!(
        lab.messages(PUSKESMAS).len(),
        mails.len(),
        "the puskesmas mailbox holds exactly the delivered mail (nothing deleted, nothing sent to ourselves)"
    );

    // The cursor stands at the mailbox's last UID, under its UIDVALIDITY.
    let (uidvalidity, uidnext) = lab.mailbox_status(PUSKESMAS);
    let cursor = d.store().cursor("INBOX").unwrap().expect("a stored cursor");
    assert_eq!(
        (cursor.uidvalidity, cursor.last_uid),
        (uidvalidity, uidnext - 1),
        "cursor vs mailbox (UIDVALIDITY, last UID)"
    );
    assert_eq!(d.store().integrity_check().unwrap(), "ok");

    println!(
        "crash test figures: seed {seed}; kills {kills} ({busy_kills} with work pending); messages {} ({} complaints, {n_machine} machine); \
         acknowledged mailboxes {acks}; acknowledgement copies {copies}; duplicates with the same Message-ID {same_id_duplicates}; \
         other duplicates {}; took {:.0?}",
        mails.len(),
        complainants.len(),
        other_duplicates.len(),
        begun.elapsed()
    );
    assert!(
        other_duplicates.is_empty(),
        "acknowledgements with a different Message-ID (first 10): {:?}",
        &other_duplicates[..other_duplicates.len().min(10)]
    );
    // Each kill interrupts at most one send: more same-ID copies than kills means the
    // sender repeats mail without a crash.
    assert!(
        same_id_duplicates as u64 <= kills,
        "{same_id_duplicates} duplicate acknowledgements after {kills} kills"
    );
}
