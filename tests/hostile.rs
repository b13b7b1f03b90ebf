//! Hostile input, offline (a real SQLite file, no servers): header injection into every
//! mail we send, huge and many-part messages, attachment names, an auto-responder loop, a
//! flood from one sender, inputs that made the parser or the classifier misbehave, and the
//! fuzz target's seed corpus. The daemon-level cases are in tests/hostile_daemon.rs.

mod support;

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pengaduan::app::ingest::Outcome;
use pengaduan::app::Pipeline;
use pengaduan::domain::Ticket;
use pengaduan::workflow::classify::Route;
use support::hostile::{big_complaint, many_parts};
use support::offline::{arrive, pipeline};
use support::outgoing::{addresses, check_headers, field};

const RECIPIENTS: &str = "[recipients]\ntim_pengaduan = [\"tim@example.test\"]\n\
    kepala_puskesmas = [\"kapus@example.test\"]\ntim_mutu = [\"mutu@example.test\"]\n\
    dinas_kesehatan = [\"dinkes@example.test\"]\n";

/// Thursday 12 March 2026, 10:00 WIB.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap()
}

fn db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("p.db")).unwrap()
}

/// (purpose, rcpt_to, raw) of every queued mail.
fn outbox(dir: &Path) -> Vec<(String, String, Vec<u8>)> {
    let c = db(dir);
    let mut st = c
        .prepare("SELECT purpose, rcpt_to, raw FROM outbox ORDER BY id")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn count(dir: &Path, sql: &str) -> i64 {
    db(dir).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn new_ticket(o: Outcome) -> Ticket {
    match o {
        Outcome::New { ticket, .. } => ticket,
        other => panic!("expected a new complaint, got {other:?}"),
    }
}

/// Display names and subjects that try to add a Bcc header, raw and as RFC 2047 encoded
/// words (Q and B), with CR, LF, CRLF, NUL and NEL.
const HOSTILE_NAMES: &[&str] = &[
    "=?utf-8?q?Budi=0D=0ABcc:_evil1@evil.test?=",
    "=?utf-8?b?QnVkaQ0KQmNjOiBldmlsMkBldmlsLnRlc3Q=?=",
    "=?utf-8?q?Budi=0ABcc:_evil3@evil.test?=",
    "=?utf-8?q?Budi=0DBcc:_evil4@evil.test?=",
    "=?utf-8?q?Budi=00=C2=85Bcc:_evil5@evil.test?=",
    "\"Budi\rBcc: evil6@evil.test\"",
];

/// Every kind of mail the daemon sends, composed from a complaint whose name, subject and
/// text are hostile: acknowledgement, answer, referral to the Dinas Kesehatan (which
/// quotes the complainant), the notice that it was referred, reminders and escalations,
/// and the digest. Each must keep one clean header block and go only to whom it should.
#[test]
fn header_injection_reaches_no_mail_we_send() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), RECIPIENTS);
    let mut tickets = Vec::new();
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let raw = format!(
            "From: {name} <warga{i}@example.test>\r\n\
             Subject: =?utf-8?q?Obat_habis=0D=0ABcc:_evil-subject@evil.test?= \r\n\
             Message-ID: <hostile{i}@example.test>\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n\
             Obat habis.\r\nBcc: evil-body@evil.test\r\n\r\nTo: evil-body2@evil.test\r\n"
        );
        let at = t0() + Duration::minutes(i as i64);
        tickets.push(new_ticket(arrive(&p, &mut s, raw.as_bytes(), at)));
    }
    // A Reply-To with a hostile name: the acknowledgement goes to the From address (Reply-To
    // is not authenticated, see workflow::classify::contact), and neither the name nor the
    // Reply-To address reaches any mail we send.
    let raw = "From: Ani <ani@example.test>\r\n\
         Reply-To: =?utf-8?q?Ani=0D=0ABcc:_evil7@evil.test?= <ani.rumah@example.test>\r\n\
         Subject: Antrean\r\nMessage-ID: <hostile-reply-to@example.test>\r\n\r\nLama.\r\n";
    let ani = new_ticket(arrive(
        &p,
        &mut s,
        raw.as_bytes(),
        t0() + Duration::minutes(30),
    ));
    // Staff answer the first one (the answer text is hostile too), the complainant replies
    // TIDAK PUAS with a hostile name again: referral plus the notice that it was referred.
    let t = tickets[0];
    let later = t0() + Duration::hours(2);
    p.review(
        &mut s,
        &t,
        "Tambah stok.\r\nBcc: evil-plan@evil.test",
        "Yetty",
        later,
    )
    .unwrap();
    p.answer(
        &mut s,
        &t,
        "Stok sudah ditambah.\r\nBcc: evil-answer@evil.test",
        "Yetty",
        later,
    )
    .unwrap();
    let reply = format!(
        "From: {} <warga0@example.test>\r\nSubject: Re: [{t}] =?utf-8?q?x=0D=0ABcc:_evil-re@evil.test?=\r\n\
         Message-ID: <reply0@example.test>\r\n\r\nTIDAK PUAS\r\n",
        HOSTILE_NAMES[0]
    );
    let o = arrive(&p, &mut s, reply.as_bytes(), later + Duration::hours(1));
    assert!(matches!(o, Outcome::Reply { .. }), "{o:?}");
    // Reminders and escalations for the others, then the digest.
    let mut now = later;
    while now < t0() + Duration::days(30) {
        p.queue_notices(&mut s, now).unwrap();
        now += Duration::hours(6);
    }
    p.queue_digest(&mut s, now).unwrap();

    let mail = outbox(dir.path());
    let purposes: std::collections::BTreeSet<&str> =
        mail.iter().map(|(p, _, _)| p.as_str()).collect();
    for want in ["ack", "answer", "referral", "referred_notice", "digest"] {
        assert!(purposes.contains(want), "no {want} mail in {purposes:?}");
    }
    assert!(
        purposes
            .iter()
            .any(|p| p.contains("remind") || p.contains("escalat") || p.contains("notice")),
        "no reminder or escalation in {purposes:?}"
    );
    assert_eq!(
        mail.iter().filter(|(p, _, _)| p == "ack").count(),
        HOSTILE_NAMES.len() + 1,
        "every hostile complaint is acknowledged"
    );
    for (purpose, rcpt, raw) in &mail {
        let fields = check_headers(raw)
            .unwrap_or_else(|e| panic!("{purpose}: {e}\n{}", String::from_utf8_lossy(raw)));
        let mut to = addresses(field(&fields, "to").unwrap());
        to.sort();
        let mut want: Vec<String> = rcpt.split(',').map(str::to_string).collect();
        want.sort();
        assert_eq!(to, want, "{purpose}: To differs from the envelope");
        // The attacker's text may stand inside a quoted name or the subject, but never
        // as an address of its own.
        assert!(!to.iter().any(|a| a.contains("evil")), "{purpose}: {to:?}");
        // What a mail client would read back: no Bcc/Cc, only the intended recipients.
        let back = mail_parser::MessageParser::default().parse(raw).unwrap();
        assert!(back.header_raw("Bcc").is_none() && back.header_raw("Cc").is_none());
        let read: Vec<String> = back
            .to()
            .into_iter()
            .flat_map(|a| a.iter())
            .filter_map(|a| a.address())
            .map(str::to_ascii_lowercase)
            .collect();
        read.iter()
            .for_each(|a| assert!(!a.contains("evil"), "{purpose}: {read:?}"));
        assert_eq!(read.len(), want.len(), "{purpose}: {read:?}");
    }
    assert!(
        mail.iter()
            .any(|(p, r, _)| p == "ack" && r == "ani@example.test"),
        "the ack of {ani} goes to From"
    );
    assert!(!mail.iter().any(|(_, r, _)| r.contains("ani.rumah")));
    // The complainant's name still reads as a name (controls gone, the words kept).
    let ack0 = &mail
        .iter()
        .find(|(p, r, _)| p == "ack" && r == "warga0@example.test")
        .unwrap()
        .2;
    let back = mail_parser::MessageParser::default().parse(ack0).unwrap();
    let name = back
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .unwrap();
    assert_eq!(name, "BudiBcc: evil1@evil.test");
}

/// 30 MB, above the 25 MB parse limit: registered from its headers, body not read,
/// stored byte for byte and flagged.
#[test]
fn thirty_megabyte_message_is_stored_raw_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let raw = big_complaint("besar@example.test", "big@example.test", 30 * 1024 * 1024);
    let ticket = new_ticket(arrive(&p, &mut s, &raw, t0()));
    let (stored, problems, text): (Vec<u8>, String, String) = db(dir.path())
        .query_row(
            "SELECT raw, problems, body_text FROM messages WHERE message_id = 'big@example.test'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(stored == raw, "raw bytes differ");
    assert!(problems.contains("parse limit"), "{problems}");
    assert!(text.is_empty());
    let flagged = s.flagged_messages().unwrap();
    assert!(
        flagged
            .iter()
            .any(|f| format!("{f:?}").contains("big@example.test")),
        "{flagged:?}"
    );
    assert!(s.complaint(&ticket).unwrap().is_some());
}

/// 10,000 MIME parts: parsed within the size limit, flagged, at most 100 attachments
/// listed, stored raw; the next ordinary mail is handled as usual.
#[test]
fn ten_thousand_parts_are_stored_raw_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let raw = many_parts(10_000);
    new_ticket(arrive(&p, &mut s, &raw, t0()));
    let (stored, problems, attachments): (Vec<u8>, String, String) = db(dir.path())
        .query_row(
            "SELECT raw, problems, attachments FROM messages WHERE message_id = 'parts@example.test'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(stored == raw);
    assert!(problems.contains("MIME parts"), "{problems}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&attachments).unwrap();
    assert_eq!(listed.len(), pengaduan::mail::parse::MAX_LISTED_ATTACHMENTS);
    let next =
        support::daemon::complaint("b@example.test", "B", "b@example.test", "Antrean", "Lama");
    assert!(matches!(
        arrive(&p, &mut s, &next, t0() + Duration::minutes(1)),
        Outcome::New {
            ack_queued: true,
            ..
        }
    ));
}

/// Attachment names with `../`, absolute paths, NUL, bidi overrides, dot files; plain,
/// RFC 2231 and RFC 2047 encoded. What is stored is a bare, visible file name that,
/// joined to any directory, names a file directly inside it.
#[test]
fn attachment_names_cannot_escape_or_mislead() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let dispositions = [
        ("attachment; filename=\"../../etc/passwd\"", "passwd"),
        ("attachment; filename=\"/etc/shadow\"", "shadow"),
        (
            "attachment; filename=\"C:\\\\Windows\\\\win.ini\"",
            "win.ini",
        ),
        (
            "attachment; filename*=utf-8''..%2F..%2Fboot%2Fvmlinuz",
            "vmlinuz",
        ),
        ("attachment; filename*=utf-8''a%00b.txt", "ab.txt"),
        (
            "attachment; filename*=utf-8''surat%E2%80%AEfdp.exe",
            "suratfdp.exe",
        ),
        (
            "attachment; filename=\"=?utf-8?b?Li4vLi4vYQBiLnR4dA==?=\"",
            "ab.txt",
        ),
        ("attachment; filename=\"..\"", "lampiran"),
        ("attachment; filename=\".bashrc\"", "bashrc"),
        (
            "attachment; filename=\"foto\u{2067}gnp.exe\"",
            "fotognp.exe",
        ),
    ];
    let mut raw = String::from(
        "From: Budi <budi@example.test>\r\nSubject: Lampiran\r\nMessage-ID: <att@example.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nLihat lampiran.\r\n",
    );
    for (d, _) in &dispositions {
        raw.push_str(&format!(
            "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: {d}\r\n\r\nx\r\n"
        ));
    }
    raw.push_str("--b--\r\n");
    new_ticket(arrive(&p, &mut s, raw.as_bytes(), t0()));
    let json: String = db(dir.path())
        .query_row(
            "SELECT attachments FROM messages WHERE message_id = 'att@example.test'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let listed: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = listed.iter().map(|a| a["name"].as_str().unwrap()).collect();
    let want: Vec<&str> = dispositions.iter().map(|(_, n)| *n).collect();
    assert_eq!(names, want);
    let base = Path::new("/srv/lampiran");
    for name in names {
        assert_eq!(base.join(name).parent(), Some(base), "{name:?}");
        assert!(
            !name.chars().any(|c| c.is_control()
                || matches!(c, '/' | '\\' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
            "{name:?}"
        );
        assert!(!name.starts_with('.'), "{name:?}");
    }
}

/// An auto-responder that ignores RFC 3834 (no Auto-Submitted, a subject of its own, no
/// threading headers) answers every acknowledgement with a new mail. Each of its mails is
/// registered, but the per-sender limit stops our side after 5 acknowledgements an hour,
/// so the loop dies out instead of running for ever.
#[test]
fn mail_loop_with_an_auto_responder_is_bounded_by_the_per_sender_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let responder = "sibuk@example.test";
    let mut now = t0();
    let mut inbound = 0;
    let mut rounds_with_ack = 0;
    // The loop starts with one real complaint from the responder's owner.
    let mut pending = vec![support::daemon::complaint(
        responder,
        "Sibuk",
        "start@example.test",
        "Antrean",
        "Lama sekali",
    )];
    while let Some(raw) = pending.pop() {
        inbound += 1;
        assert!(inbound <= 100, "the loop did not stop");
        let acked = matches!(
            arrive(&p, &mut s, &raw, now),
            Outcome::New {
                ack_queued: true,
                ..
            }
        );
        now += Duration::seconds(30);
        if acked {
            rounds_with_ack += 1;
            // The responder answers our acknowledgement at once.
            pending.push(
                format!(
                    "From: Sibuk <{responder}>\r\nSubject: Saya sedang cuti\r\n\
                     Message-ID: <auto{inbound}@example.test>\r\n\r\nSaya sedang cuti sampai Senin.\r\n"
                )
                .into_bytes(),
            );
        }
    }
    let acks = count(
        dir.path(),
        &format!("SELECT count(*) FROM outbox WHERE rcpt_to = '{responder}' AND purpose = 'ack'"),
    );
    assert_eq!(acks, 5);
    assert_eq!(rounds_with_ack, 5);
    // Nothing lost: every mail of the loop is registered, the last one without an ack.
    assert_eq!(inbound, 6);
    assert_eq!(count(dir.path(), "SELECT count(*) FROM complaints"), 6);
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM events WHERE kind = 'ack_withheld'"
        ),
        1
    );
}

/// Two thousand complaints from one address within an hour: every one registered, five
/// acknowledged; an hour later the address gets acknowledgements again.
#[test]
fn thousands_of_messages_from_one_sender_get_five_acknowledgements_an_hour() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let n = 2000;
    for i in 0..n {
        let raw = support::daemon::complaint(
            "banjir@example.test",
            "Banjir",
            &format!("flood{i}@example.test"),
            &format!("Keluhan {i}"),
            "Antrean lama.",
        );
        let at = t0() + Duration::milliseconds(1500 * i as i64);
        assert!(matches!(arrive(&p, &mut s, &raw, at), Outcome::New { .. }));
    }
    assert_eq!(
        count(dir.path(), "SELECT count(*) FROM complaints"),
        n as i64
    );
    let acks = "SELECT count(*) FROM outbox WHERE rcpt_to = 'banjir@example.test'";
    assert_eq!(count(dir.path(), acks), 5);
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM events WHERE kind = 'ack_withheld'"
        ),
        n as i64 - 5
    );
    let raw = support::daemon::complaint(
        "banjir@example.test",
        "Banjir",
        "later@example.test",
        "Lagi",
        "x",
    );
    let o = arrive(&p, &mut s, &raw, t0() + Duration::hours(3));
    assert!(
        matches!(
            o,
            Outcome::New {
                ack_queued: true,
                ..
            }
        ),
        "{o:?}"
    );
}

/// Found by the fuzz target: nesting that reaches a `debug_assert!` in mail-parser 0.11
/// ("Invalid part ID"). Tests run with debug assertions, so without the guard in
/// `parse` this panics; with it, the mail is read from its headers, stored raw and flagged.
#[test]
fn a_panic_inside_the_mail_parser_is_caught_and_flagged() {
    let raw = std::fs::read(seeds_dir().join("found-mail-parser-debug-assert.eml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let e = p.examine(&raw, t0(), t0());
    assert!(
        e.message
            .problems
            .iter()
            .any(|p| p.contains("mail parser failed")),
        "{:?}",
        e.message.problems
    );
    let o = arrive(&p, &mut s, &raw, t0());
    assert!(matches!(o, Outcome::Machine { .. }), "{o:?}");
    let stored: Vec<u8> = db(dir.path())
        .query_row("SELECT raw FROM messages", [], |r| r.get(0))
        .unwrap();
    assert!(stored == raw);
}

/// Found by the fuzz target: undecodable bytes in a From address that our address check
/// accepts and lettre refuses. The complaint is registered all the same, and the failed
/// acknowledgement is recorded for staff instead of being lost or crashing the ingest.
#[test]
fn an_address_lettre_refuses_is_registered_with_ack_failed() {
    let raw = std::fs::read(seeds_dir().join("found-address-lettre-refuses.eml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let o = arrive(&p, &mut s, &raw, t0());
    assert!(
        matches!(
            o,
            Outcome::New {
                ack_queued: false,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM events WHERE kind = 'ack_failed'"
        ),
        1
    );
    assert_eq!(count(dir.path(), "SELECT count(*) FROM outbox"), 0);
}

/// Input that made the pure steps quadratic (a body of one keyword repeated, a subject
/// of `[`, HTML nested thousands deep) now finishes; the deep HTML is flagged and still
/// yields its text.
#[test]
fn pathological_bodies_and_subjects_finish_and_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _s) = pipeline(dir.path(), "");
    let head = "From: Budi <budi@example.test>\r\nMessage-ID: <m@example.test>\r\n";
    let flood = format!("{head}Subject: obat\r\n\r\n{}", "obat ".repeat(1_000_000));
    let e = p.examine(flood.as_bytes(), t0(), t0());
    assert_eq!(e.unit.as_deref(), Some("farmasi"));
    let brackets = format!(
        "{head}Subject: {}[ADU-2026-0007]\r\n\r\nx",
        "[".repeat(500_000)
    );
    let e = p.examine(brackets.as_bytes(), t0(), t0());
    assert_eq!(
        e.ticket_in_subject.map(|t| t.to_string()).as_deref(),
        Some("ADU-2026-0007")
    );
    let deep = format!(
        "{head}Subject: x\r\nContent-Type: text/html\r\n\r\n{}Obat &amp; vaksin habis{}",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let e = p.examine(deep.as_bytes(), t0(), t0());
    assert!(
        e.message.problems.iter().any(|p| p.contains("HTML")),
        "{:?}",
        e.message.problems
    );
    assert_eq!(e.message.text, "Obat & vaksin habis");
    // Ordinary HTML still goes through html2text, unflagged.
    let normal = format!(
        "{head}Subject: x\r\nContent-Type: text/html\r\n\r\n<div><table><tr><td><p>Obat <b>habis</b></p></td></tr></table></div>"
    );
    let e = p.examine(normal.as_bytes(), t0(), t0());
    assert!(e.message.problems.is_empty(), "{:?}", e.message.problems);
    assert!(
        e.message.text.contains("Obat") && e.message.text.contains("habis"),
        "{}",
        e.message.text
    );
}

fn seeds_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds")
}

/// The fuzz target's check, run over its committed seed corpus as an ordinary test, so
/// every CI run covers the seeds (and each crash once added to them) without cargo-fuzz.
#[test]
fn fuzz_seeds_pass_the_fuzz_target_checks() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _s) = pipeline(dir.path(), "");
    let mut seeds: Vec<_> = std::fs::read_dir(seeds_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 10, "{seeds:?}");
    let mut acks = 0;
    for seed in &seeds {
        let raw = std::fs::read(seed).unwrap();
        let e = examine_like_the_fuzz_target(&p, &raw);
        if matches!(e.route, Route::New) {
            acks += 1;
        }
    }
    assert!(acks >= 4, "only {acks} seeds reach the acknowledgement");
}

/// What fuzz/fuzz_targets/inbound.rs does with one input.
fn examine_like_the_fuzz_target(p: &Pipeline, raw: &[u8]) -> pengaduan::app::ingest::Examination {
    let e = p.examine(raw, t0(), t0());
    if let Some(Ok(mail)) = &e.ack {
        if let Err(why) = check_headers(&mail.raw) {
            panic!("acknowledgement header block broken: {why}");
        }
    }
    if let Some(Err(why)) = &e.ack {
        // Only an address lettre refuses may fail (ingest records `ack_failed` for it).
        let why = format!("{why:#}");
        assert!(
            why.contains("cannot be used as a mail address"),
            "acknowledgement not composed: {why}"
        );
    }
    e
}

/// Issue 18, invariant 3: five messages under one Message-ID with different bodies (as in
/// CPython's email test corpus, or a resend that adds the phone number) are all kept: the
/// first registers, the four others join its complaint, each flagged; the same bytes again
/// stay one record.
#[test]
fn one_message_id_with_other_bytes_is_kept_and_flagged_never_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let mail = |n: u32| {
        format!(
            "From: Siti <siti@example.test>\r\nSubject: Antrean lama\r\n\
             Message-ID: <sama@example.test>\r\n\r\nAntrean lama sekali (versi {n}). \
             Telepon saya 0812-3456-78{n:02}.\r\n"
        )
    };
    let Outcome::New { ticket, .. } = arrive(&p, &mut s, mail(1).as_bytes(), t0()) else {
        panic!("the first registers")
    };
    let complaint_id = s.complaint(&ticket).unwrap().unwrap().id;
    for n in 2..=5 {
        let at = t0() + Duration::minutes(n.into());
        assert_eq!(
            arrive(&p, &mut s, mail(n).as_bytes(), at),
            Outcome::Reply { complaint_id },
            "version {n}"
        );
    }
    assert_eq!(
        arrive(&p, &mut s, mail(3).as_bytes(), t0() + Duration::hours(1)),
        Outcome::Duplicate,
        "the same bytes again are the same message"
    );
    let c = db(dir.path());
    let (stored, flagged): (i64, i64) = c
        .query_row(
            "SELECT count(*), count(problems) FROM messages WHERE message_id = 'sama@example.test'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((stored, flagged), (5, 4));
    let listed = s.flagged_messages().unwrap();
    assert_eq!(
        listed
            .iter()
            .filter(|m| m
                .problems
                .as_deref()
                .is_some_and(|p| p.contains("Message-ID sama")))
            .count(),
        4,
        "{listed:?}"
    );

    // When the first was machine mail, the second (written by a person) registers.
    let auto = "From: Siti <siti@example.test>\r\nAuto-Submitted: auto-replied\r\n\
                Subject: Cuti\r\nMessage-ID: <dua@example.test>\r\n\r\nSaya sedang cuti.\r\n";
    assert!(matches!(
        arrive(&p, &mut s, auto.as_bytes(), t0()),
        Outcome::Machine { .. }
    ));
    let person = "From: Siti <siti@example.test>\r\nSubject: Obat habis\r\n\
                  Message-ID: <dua@example.test>\r\n\r\nObat di apotek habis sejak Senin.\r\n";
    assert!(matches!(
        arrive(&p, &mut s, person.as_bytes(), t0()),
        Outcome::New { .. }
    ));
}
