//! The procedure after registration, on a real SQLite file with a fixed clock: staff
//! actions, satisfaction replies, referral, the no-reply sweep. Mail goes to a directory
//! transport here; tests/daemon.rs proves the same path through real servers.

mod support;

use support::offline;

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pengaduan::app::actions::ManualComplaint;
use pengaduan::clock::to_wib_rfc3339;
use pengaduan::domain::{Channel, Kind, Status, Ticket};
use pengaduan::ingest::{Outcome, Pipeline};
use pengaduan::mail::smtp::Transport;
use pengaduan::store::{SharedStore, Store};

fn setup(dir: &Path) -> (Pipeline, Store) {
    offline::pipeline(
        dir,
        "[recipients]\ndinas_kesehatan = [\"dinkes@example.test\"]\n",
    )
}

/// Thursday 12 March 2026, 10:00 WIB.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap()
}

fn arrive(p: &Pipeline, s: &mut Store, raw: &str, at: DateTime<Utc>) -> Outcome {
    offline::arrive(p, s, raw.as_bytes(), at)
}

fn complaint(id: &str) -> String {
    format!("From: Siti <siti@example.test>\r\nTo: kademangan.puskesmas@gmail.com\r\nSubject: Obat habis\r\nMessage-ID: <{id}>\r\n\r\nObat hipertensi kosong di apotek.\r\n")
}

fn reply(id: &str, ticket: &Ticket, body: &str) -> String {
    format!("From: Siti <siti@example.test>\r\nTo: kademangan.puskesmas@gmail.com\r\nSubject: Re: Obat habis [{ticket}]\r\nMessage-ID: <{id}>\r\n\r\n{body}\r\n\r\nPada Kamis, Puskesmas menulis:\r\n> Balas PUAS atau TIDAK PUAS\r\n")
}

fn status(s: &Store, t: &Ticket) -> Status {
    s.complaint(t).unwrap().unwrap().status
}

async fn drain(store: Store, outbox: &Path, now: DateTime<Utc>) -> Store {
    struct Fixed(DateTime<Utc>);
    impl pengaduan::clock::Clock for Fixed {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }
    let shared = SharedStore::new(store);
    pengaduan::outbox::drain(
        &shared,
        &Transport::Directory(outbox.to_path_buf()),
        &Fixed(now),
    )
    .await
    .unwrap();
    drop(shared);
    // Reopen: the shared handle owned the connection.
    Store::open(&outbox.parent().unwrap().join("p.db")).unwrap()
}

fn mails(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

#[tokio::test]
async fn unsatisfied_complainant_is_referred_with_the_whole_case() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let (p, mut s) = setup(dir.path());
    let Outcome::New {
        ticket,
        ack_queued: true,
    } = arrive(&p, &mut s, &complaint("c1@x"), t0())
    else {
        panic!("not registered")
    };
    let row = s.complaint(&ticket).unwrap().unwrap();
    assert_eq!(
        row.unit.as_deref(),
        Some("farmasi"),
        "unit guessed from keywords"
    );
    assert_eq!(to_wib_rfc3339(row.review_due), "2026-03-15T10:00:00+07:00");
    assert_eq!(to_wib_rfc3339(row.answer_due), "2026-04-09T23:59:59+07:00");
    let mut s = drain(s, &outbox, t0() + Duration::minutes(1)).await;
    assert_eq!(status(&s, &ticket), Status::Acknowledged);

    // Answer before review is refused with a clear message, and nothing changes.
    std::fs::write(dir.path().join("a.txt"), "Obat sudah datang.").unwrap();
    let e = p
        .answer(&mut s, &ticket, "Obat sudah datang.", "Yetty", t0())
        .unwrap_err()
        .to_string();
    assert!(e.contains("complaints review"), "{e}");
    assert_eq!(status(&s, &ticket), Status::Acknowledged);

    p.review(
        &mut s,
        &ticket,
        "Stok amlodipin ditambah; apotek memberi kabar lewat WA.",
        "Yetty",
        t0() + Duration::hours(20),
    )
    .unwrap();
    assert!(p
        .answer(
            &mut s,
            &ticket,
            "Obat sudah tersedia sejak 14 Maret.",
            "Yetty",
            t0() + Duration::days(2)
        )
        .unwrap());
    let mut s = drain(s, &outbox, t0() + Duration::days(2)).await;
    assert_eq!(status(&s, &ticket), Status::Answered);

    // "TIDAK PUAS", with the quoted answer below it (which itself says PUAS).
    let o = arrive(
        &p,
        &mut s,
        &reply("r1@x", &ticket, "TIDAK PUAS, obat masih kosong."),
        t0() + Duration::days(3),
    );
    assert!(matches!(o, Outcome::Reply { .. }));
    assert_eq!(status(&s, &ticket), Status::Referred);
    let s = drain(s, &outbox, t0() + Duration::days(3)).await;

    let sent = mails(&outbox);
    assert_eq!(sent.len(), 4, "ack, answer, referral, notice");
    assert!(
        sent[1].contains("PUAS") && sent[1].contains("In-Reply-To: <c1@x>"),
        "{}",
        sent[1]
    );
    let referral = sent
        .iter()
        .find(|m| m.contains("To: dinkes@example.test"))
        .expect("referral to the Dinas");
    let referral_text = pengaduan::mail::parse::parse(referral.as_bytes(), 1 << 20).text;
    for part in [
        "Obat hipertensi kosong",
        "Stok amlodipin ditambah",
        "Obat sudah tersedia",
        "TIDAK PUAS, obat masih kosong",
        "Yetty",
        &ticket.to_string(),
    ] {
        assert!(
            referral_text.contains(part),
            "referral lacks {part:?}:\n{referral_text}"
        );
    }
    let text = |m: &String| pengaduan::mail::parse::parse(m.as_bytes(), 1 << 20).text;
    let notice = sent.last().unwrap();
    assert!(
        notice.contains("<siti@example.test>")
            && text(notice).contains("teruskan kepada Dinas Kesehatan"),
        "{notice}"
    );

    // Every change is in the audit log with who did it.
    let c = s.complaint(&ticket).unwrap().unwrap();
    let events = s.events_of(c.id).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for k in [
        "received",
        "ack_queued",
        "ack_sent",
        "status:reviewed",
        "plan",
        "status:answered",
        "answer",
        "reply_received",
        "status:referred",
        "referral_queued",
    ] {
        assert!(kinds.contains(&k), "missing event {k}: {kinds:?}");
    }
    assert!(events
        .iter()
        .any(|e| e.kind == "status:reviewed" && e.actor == "Yetty"));
    assert!(events
        .iter()
        .any(|e| e.kind == "status:referred" && e.actor == "siti@example.test"));
}

#[tokio::test]
async fn satisfied_closes_unclear_waits_and_silence_closes_after_five_working_days() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path());
    let answered = |p: &Pipeline, s: &mut Store, id: &str| {
        let Outcome::New { ticket, .. } = arrive(p, s, &complaint(id), t0()) else {
            panic!()
        };
        p.review(s, &ticket, "rencana", "Ella", t0()).unwrap();
        p.answer(s, &ticket, "jawaban", "Ella", t0()).unwrap();
        ticket
    };
    let happy = answered(&p, &mut s, "h@x");
    let unsure = answered(&p, &mut s, "u@x");
    let silent = answered(&p, &mut s, "s@x");

    arrive(
        &p,
        &mut s,
        &reply("h1@x", &happy, "Sudah puas, terima kasih."),
        t0() + Duration::hours(5),
    );
    assert_eq!(status(&s, &happy), Status::ClosedSatisfied);
    arrive(
        &p,
        &mut s,
        &reply("u1@x", &unsure, "Kapan dokternya datang?"),
        t0() + Duration::hours(5),
    );
    assert_eq!(
        status(&s, &unsure),
        Status::Answered,
        "an unclear reply is never guessed"
    );
    assert!(s
        .complaint(&unsure)
        .unwrap()
        .unwrap()
        .attention
        .unwrap()
        .contains("perlu dibaca"));

    // Answered Thursday 12 March; the 5 working days are 13, 16, 17, 25 and 26 March
    // (18–24 March are Nyepi, Idul Fitri and cuti bersama): silence closes after 26 March.
    assert!(p
        .sweep_no_reply(
            &mut s,
            Utc.with_ymd_and_hms(2026, 3, 26, 16, 59, 0).unwrap()
        )
        .unwrap()
        .is_empty());
    let closed = p
        .sweep_no_reply(&mut s, Utc.with_ymd_and_hms(2026, 3, 26, 17, 0, 1).unwrap())
        .unwrap();
    assert_eq!(closed, vec![unsure, silent]);
    assert_eq!(status(&s, &silent), Status::ClosedWithoutReply);
    assert_eq!(
        status(&s, &happy),
        Status::ClosedSatisfied,
        "closed cases are left alone"
    );
}

#[test]
fn other_channels_enter_the_same_register() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path());
    let manual = ManualComplaint {
        channel: Channel::Telepon,
        lapor_number: None,
        name: Some("Pak Sugeng".into()),
        address: Some("Desa Kademangan RT 03".into()),
        phone: Some("0812 3456 7890".into()),
        email: None,
        subject: None,
        text: "Petugas loket pendaftaran kasar.".into(),
        kind: None,
        received_at: t0(),
    };
    let t = p.record(&mut s, &manual, "Ella", t0()).unwrap();
    let row = s.complaint(&t).unwrap().unwrap();
    assert_eq!(row.channel, Channel::Telepon);
    assert_eq!(row.phones, vec!["+6281234567890"]);
    assert_eq!(row.unit.as_deref(), Some("pendaftaran"));
    p.review(
        &mut s,
        &t,
        "Teguran lisan; pelatihan layanan prima.",
        "Ella",
        t0(),
    )
    .unwrap();
    assert!(
        !p.answer(&mut s, &t, "Sudah ditegur.", "Ella", t0())
            .unwrap(),
        "no email: answered offline"
    );
    p.close(&mut s, &t, "Ella", t0()).unwrap();
    assert_eq!(status(&s, &t), Status::ClosedSatisfied);
    let e = p
        .assign(&mut s, &t, Some("farmasi"), None, "Ella", t0())
        .unwrap_err()
        .to_string();
    assert!(e.contains("sudah"), "{e}");
    let e = p
        .refer(&mut s, &t, "x", "Ella", t0())
        .unwrap_err()
        .to_string();
    assert!(e.contains("sudah"), "{e}");
}

#[test]
fn unknown_unit_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path());
    let Outcome::New { ticket, .. } = arrive(&p, &mut s, &complaint("x@x"), t0()) else {
        panic!()
    };
    let e = p
        .assign(&mut s, &ticket, Some("dapur"), None, "Ella", t0())
        .unwrap_err()
        .to_string();
    assert!(e.contains("farmasi") && e.contains("[units]"), "{e}");
    p.assign(
        &mut s,
        &ticket,
        Some("poli_umum"),
        Some("saran".parse().unwrap()),
        "Ella",
        t0(),
    )
    .unwrap();
    let row = s.complaint(&ticket).unwrap().unwrap();
    assert_eq!(
        (row.unit.as_deref(), row.kind),
        (Some("poli_umum"), Kind::Saran)
    );
}
