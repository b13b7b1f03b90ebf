//! The procedure after registration, on a real SQLite file with a fixed clock: staff
//! actions, satisfaction replies, referral, the no-reply sweep. Mail goes to a directory
//! transport here; tests/daemon.rs proves the same path through real servers.

mod support;

use support::offline;

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pengaduan::app::actions::ManualComplaint;
use pengaduan::app::ingest::Outcome;
use pengaduan::app::Pipeline;
use pengaduan::clock::to_wib_rfc3339;
use pengaduan::domain::{Channel, CloseOutcome, Heard, Kind, Status, Ticket};
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
        "answer_sent",
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
    // Scheduled when staff wrote it; answered when the SMTP server took it.
    let detail = |kind: &str| {
        events
            .iter()
            .find(|e| e.kind == kind)
            .unwrap()
            .detail
            .clone()
    };
    assert_eq!(detail("status:answered"), "jawaban dijadwalkan");
    assert_eq!(
        detail("answer_sent"),
        "jawaban terkirim ke siti@example.test"
    );
    assert_eq!(c.answer_sent_at, Some(t0() + Duration::days(2)));
    assert_eq!(
        c.satisfaction_heard,
        Some(Heard::Mail),
        "said in the complainant's mail"
    );
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
    // The five working days count from when the answers reached the complainants.
    let mut s = drain(s, &dir.path().join("outbox"), t0()).await;

    arrive(
        &p,
        &mut s,
        &reply("h1@x", &happy, "Sudah puas, terima kasih."),
        t0() + Duration::hours(5),
    );
    assert_eq!(status(&s, &happy), Status::ClosedSatisfied);
    assert_eq!(
        s.complaint(&happy).unwrap().unwrap().satisfaction_heard,
        Some(Heard::Mail)
    );
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
    let row = s.complaint(&t).unwrap().unwrap();
    assert_eq!(
        row.answer_sent_at,
        Some(t0()),
        "an answer without mail counts when recorded"
    );
    p.close(
        &mut s,
        &t,
        Some(CloseOutcome::Puas),
        Some(Heard::Telepon),
        "Ella",
        t0(),
    )
    .unwrap();
    assert_eq!(status(&s, &t), Status::ClosedSatisfied);
    assert_eq!(
        s.complaint(&t).unwrap().unwrap().satisfaction_heard,
        Some(Heard::Telepon)
    );
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

/// A complaint from `from`, its own thread.
fn complaint_from(id: &str, from: &str) -> String {
    format!("From: Warga <{from}>\r\nTo: kademangan.puskesmas@gmail.com\r\nSubject: Antrean lama\r\nMessage-ID: <{id}>\r\n\r\nAntrean di loket pendaftaran lama sekali.\r\n")
}

/// Closing an answered case says what the complainant said and how staff heard it; the
/// register's *Kepuasan* column and the report's satisfaction table keep the complainant's
/// own mail apart from what staff recorded, and a close is never satisfaction by itself.
#[tokio::test]
async fn each_outcome_reads_in_the_register_and_the_report() {
    use pengaduan::app::actions::ActionError;
    use pengaduan::app::{register, report};
    use pengaduan::reports::register::Period;

    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let (p, mut s) = setup(dir.path());
    let mut tickets = Vec::new();
    for (i, who) in ["ani", "budi", "citra", "dedi", "eka"].iter().enumerate() {
        let raw = complaint_from(&format!("o{i}@x"), &format!("{who}@example.test"));
        let Outcome::New { ticket, .. } = arrive(&p, &mut s, &raw, t0()) else {
            panic!("not registered")
        };
        p.review(&mut s, &ticket, "Loket kedua dibuka.", "Ella", t0())
            .unwrap();
        tickets.push(ticket);
    }
    let [phoned, unhappy, silent, mailed, queued] = tickets[..] else {
        unreachable!()
    };
    let day1 = t0() + Duration::days(1);
    for t in [phoned, unhappy, silent, mailed] {
        p.answer(&mut s, &t, "Loket kedua sudah dibuka.", "Ella", day1)
            .unwrap();
    }
    let mut s = drain(s, &outbox, day1 + Duration::minutes(5)).await;
    // The fifth answer is written later and never reaches the SMTP server.
    p.answer(
        &mut s,
        &queued,
        "Loket kedua sudah dibuka.",
        "Ella",
        day1 + Duration::hours(1),
    )
    .unwrap();
    let saran = p
        .record(
            &mut s,
            &ManualComplaint {
                channel: Channel::KotakSaran,
                lapor_number: None,
                name: None,
                address: None,
                phone: None,
                email: None,
                subject: Some("Saran".into()),
                text: "Sediakan kursi roda di pintu masuk.".into(),
                kind: Some(Kind::Saran),
                received_at: t0(),
            },
            "Ella",
            t0(),
        )
        .unwrap();
    let day2 = t0() + Duration::days(2);
    let close = |s: &mut Store, t: &Ticket, o, v| p.close(s, t, o, v, "Ella", day2);

    // An answered case needs the outcome, and puas or tidak puas how it was heard.
    let e = close(&mut s, &phoned, None, None).unwrap_err();
    assert!(
        matches!(&e, ActionError::Invalid(m) if m.contains("tanggapan pengadu")),
        "{e:?}"
    );
    let e = close(&mut s, &phoned, Some(CloseOutcome::Puas), None).unwrap_err();
    assert!(e.to_string().contains("telepon atau langsung"), "{e}");
    let e = close(&mut s, &phoned, Some(CloseOutcome::Puas), Some(Heard::Mail)).unwrap_err();
    assert!(e.to_string().contains("telepon atau langsung"), "{e}");
    assert_eq!(
        status(&s, &phoned),
        Status::Answered,
        "refusals change nothing"
    );

    close(
        &mut s,
        &phoned,
        Some(CloseOutcome::Puas),
        Some(Heard::Telepon),
    )
    .unwrap();
    close(
        &mut s,
        &unhappy,
        Some(CloseOutcome::TidakPuas),
        Some(Heard::Langsung),
    )
    .unwrap();
    close(&mut s, &silent, Some(CloseOutcome::TanpaTanggapan), None).unwrap();
    arrive(
        &p,
        &mut s,
        &format!("From: Warga <dedi@example.test>\r\nTo: kademangan.puskesmas@gmail.com\r\nSubject: Re: Antrean lama [{mailed}]\r\nMessage-ID: <puas@x>\r\n\r\nPUAS, terima kasih.\r\n"),
        day2,
    );
    // No reply to an answer that never reached the complainant.
    let e = close(&mut s, &queued, Some(CloseOutcome::TanpaTanggapan), None).unwrap_err();
    assert!(
        matches!(&e, ActionError::WrongState(m) if m.contains("belum terkirim")),
        "{e:?}"
    );
    // A suggestion not answered closes with no outcome: nobody said anything.
    let e = close(
        &mut s,
        &saran,
        Some(CloseOutcome::Puas),
        Some(Heard::Telepon),
    )
    .unwrap_err();
    assert!(e.to_string().contains("belum dijawab"), "{e}");
    close(&mut s, &saran, None, None).unwrap();

    let row = |t: &Ticket| s.complaint(t).unwrap().unwrap();
    assert_eq!(
        (row(&phoned).status, row(&phoned).satisfaction_heard),
        (Status::ClosedSatisfied, Some(Heard::Telepon))
    );
    assert_eq!(
        (row(&unhappy).status, row(&unhappy).satisfaction_heard),
        (Status::Referred, Some(Heard::Langsung))
    );
    assert_eq!(
        (row(&silent).status, row(&silent).satisfaction_heard),
        (Status::ClosedWithoutReply, None)
    );
    assert_eq!(
        (row(&mailed).status, row(&mailed).satisfaction_heard),
        (Status::ClosedSatisfied, Some(Heard::Mail))
    );
    assert_eq!(row(&saran).status, Status::ClosedWithoutAnswer);
    let events = s.events_of(row(&unhappy).id).unwrap();
    assert!(
        events.iter().any(|e| e.kind == "referral_queued"),
        "tidak puas refers as a mailed TIDAK PUAS does: {events:?}"
    );
    assert!(events.iter().any(|e| e.kind == "status:referred"
        && e.actor == "Ella"
        && e.detail.contains("dicatat petugas (langsung)")));

    // The register of March, a month on.
    let march = Period::parse_month("2026-03").unwrap();
    let as_of = t0() + Duration::days(30);
    let rows = register::rows(&s, &p.calendar, &march, as_of).unwrap();
    let line = |t: &Ticket| {
        let r = rows.iter().find(|r| r.ticket == t.to_string()).unwrap();
        let cells = r.cells();
        (cells[16].clone(), cells[18].clone())
    };
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        line(&phoned),
        pair("puas (dicatat petugas: telepon)", "selesai (puas)")
    );
    assert_eq!(
        line(&unhappy),
        pair(
            "tidak puas (dicatat petugas: langsung)",
            "dirujuk ke Dinas Kesehatan"
        )
    );
    assert_eq!(
        line(&silent),
        pair("tidak ada tanggapan", "selesai tanpa tanggapan")
    );
    assert_eq!(
        line(&mailed),
        pair("puas (surel pengadu)", "selesai (puas)")
    );
    assert_eq!(line(&queued), pair("-", "jawaban belum terkirim"));
    assert_eq!(line(&saran), pair("-", "selesai tanpa jawaban"));

    // The report counts what was said, by whom, and no queued answer as answered.
    let r = report::monthly(&s, &p.calendar, &march, as_of).unwrap();
    let n = |label: &str| {
        r.satisfaction
            .iter()
            .find(|c| c.label == label)
            .map_or(0, |c| c.n)
    };
    assert_eq!(n("puas (surel pengadu)"), 1);
    assert_eq!(n("puas (dicatat petugas: telepon)"), 1);
    assert_eq!(n("puas (dicatat petugas: langsung)"), 0);
    assert_eq!(n("tidak puas (dicatat petugas: langsung)"), 1);
    assert_eq!(n("tidak ada tanggapan"), 1);
    assert_eq!(
        (r.satisfied_by_complainant, r.satisfied_by_staff, r.referred),
        (1, 1, 1)
    );
    // Four answers sent on day 1; the queued one is past its 9 April deadline; the
    // suggestion needed none.
    assert_eq!(
        (
            r.compliance[2].on_time,
            r.compliance[2].late,
            r.compliance[2].pending
        ),
        (4, 1, 0)
    );
    let html = report::printable(&p.templates, &p.config, &r).unwrap();
    for text in [
        "Puas (surel pengadu)",
        "Puas (dicatat petugas: telepon)",
        "Tepat waktu dinilai terhadap tenggat yang berlaku saat jawaban terkirim",
    ] {
        assert!(html.contains(text), "{text} not in the report");
    }
}
