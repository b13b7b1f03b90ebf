//! The staff actions of the application layer (`pengaduan::app`), the ones the CLI and
//! the web dashboard both call, on a real SQLite file with a fixed clock: each refusal is
//! a typed `ActionError` a face can map (404, 409, 422), a preview is the mail the answer
//! queues, and an unclear satisfaction reply is decided by a person.

mod support;

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pengaduan::app::ingest::Outcome;
use pengaduan::app::{views, ActionError, Pipeline};
use pengaduan::domain::{Status, Ticket};
use pengaduan::mail::smtp::Transport;
use pengaduan::store::{SharedStore, Store};
use support::offline;

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

fn new_complaint(p: &Pipeline, s: &mut Store, id: &str) -> Ticket {
    let raw = format!("From: Siti <siti@example.test>\r\nTo: kademangan.puskesmas@gmail.com\r\nSubject: Obat habis\r\nMessage-ID: <{id}>\r\n\r\nObat hipertensi kosong di apotek.\r\n");
    let Outcome::New { ticket, .. } = offline::arrive(p, s, raw.as_bytes(), t0()) else {
        panic!("not registered")
    };
    ticket
}

fn unclear_reply(p: &Pipeline, s: &mut Store, id: &str, ticket: &Ticket) {
    let raw = format!("From: Siti <siti@example.test>\r\nTo: kademangan.puskesmas@gmail.com\r\nSubject: Re: Obat habis [{ticket}]\r\nMessage-ID: <{id}>\r\n\r\nKapan dokternya datang?\r\n");
    offline::arrive(p, s, raw.as_bytes(), t0() + Duration::hours(5));
}

fn status(s: &Store, t: &Ticket) -> Status {
    s.complaint(t).unwrap().unwrap().status
}

#[test]
fn refusals_are_typed_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path());
    let ticket = new_complaint(&p, &mut s, "a@x");
    let events = |s: &Store| views::complaint_detail(s, &ticket).unwrap().events.len();
    let before = events(&s);

    let unknown: Ticket = "ADU-2026-0999".parse().unwrap();
    let e = p
        .review(&mut s, &unknown, "rencana", "Ella", t0())
        .unwrap_err();
    assert!(matches!(e, ActionError::NotFound(_)), "{e:?}");
    assert!(
        e.to_string().contains("ADU-2026-0999 tidak ditemukan"),
        "{e}"
    );

    let e = p
        .answer(&mut s, &ticket, "jawaban", "Ella", t0())
        .unwrap_err();
    assert!(matches!(e, ActionError::WrongState(_)), "{e:?}");
    assert!(e.to_string().contains("catat dulu hasil telaah"), "{e}");

    let e = p.review(&mut s, &ticket, "  ", "Ella", t0()).unwrap_err();
    assert!(matches!(e, ActionError::Invalid(_)), "{e:?}");
    let e = p
        .assign(&mut s, &ticket, Some("dapur"), None, "Ella", t0())
        .unwrap_err();
    assert!(matches!(e, ActionError::Invalid(_)), "{e:?}");
    let e = p
        .decide_reply(&mut s, &ticket, true, "Ella", t0())
        .unwrap_err();
    assert!(matches!(e, ActionError::WrongState(_)), "{e:?}");
    let e = p
        .accept_flagged(&mut s, "<tidak-ada@x>", "Ella", t0())
        .unwrap_err();
    assert!(matches!(e, ActionError::NotFound(_)), "{e:?}");

    assert_eq!(events(&s), before, "a refused action writes no event");
    assert_eq!(status(&s, &ticket), Status::Received);
}

#[tokio::test]
async fn the_preview_is_the_mail_the_answer_sends() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path());
    let ticket = new_complaint(&p, &mut s, "b@x");
    p.review(&mut s, &ticket, "Stok obat dipesan ulang.", "Ella", t0())
        .unwrap();
    let text = "Obat hipertensi sudah tersedia lagi sejak Senin.";
    let now = t0() + Duration::hours(2);
    let preview = p
        .preview_answer(&mut s, &ticket, text, now)
        .unwrap()
        .expect("the complainant has an address");
    assert_eq!(
        status(&s, &ticket),
        Status::Reviewed,
        "a preview changes nothing"
    );
    assert_eq!(preview.rcpt_to, vec!["siti@example.test".to_string()]);

    assert!(p.answer(&mut s, &ticket, text, "Ella", now).unwrap());
    let outbox = dir.path().join("outbox");
    let shared = SharedStore::new(s);
    struct Fixed(DateTime<Utc>);
    impl pengaduan::clock::Clock for Fixed {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }
    pengaduan::outbox::drain(&shared, &Transport::Directory(outbox.clone()), &Fixed(now))
        .await
        .unwrap();
    let parse = |raw: &[u8]| pengaduan::mail::parse::parse(raw, 1 << 20);
    let shown = parse(&preview.raw);
    assert!(shown.text.contains(text), "{}", shown.text);
    let sent = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| parse(&std::fs::read(e.unwrap().path()).unwrap()))
        .find(|m| m.text.contains(text))
        .expect("the answer was sent");
    assert_eq!(shown.subject, sent.subject);
    assert_eq!(shown.text, sent.text);
}

#[test]
fn staff_decide_an_unclear_satisfaction_reply() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path());
    let answered = |p: &Pipeline, s: &mut Store, id: &str| {
        let t = new_complaint(p, s, id);
        p.review(s, &t, "rencana", "Ella", t0()).unwrap();
        p.answer(s, &t, "jawaban", "Ella", t0()).unwrap();
        unclear_reply(p, s, &format!("r-{id}"), &t);
        assert_eq!(status(s, &t), Status::Answered, "an unclear reply waits");
        t
    };
    let puas = answered(&p, &mut s, "c@x");
    let tidak = answered(&p, &mut s, "d@x");
    let later = t0() + Duration::hours(6);

    p.decide_reply(&mut s, &puas, true, "Ella", later).unwrap();
    let row = s.complaint(&puas).unwrap().unwrap();
    assert_eq!(row.status, Status::ClosedSatisfied);
    assert_eq!(row.attention, None, "nothing waits for a person any more");

    p.decide_reply(&mut s, &tidak, false, "Ella", later)
        .unwrap();
    assert_eq!(status(&s, &tidak), Status::Referred);
    let detail = views::complaint_detail(&s, &tidak).unwrap();
    assert!(detail
        .events
        .iter()
        .any(|e| e.kind == "referral_queued" && e.actor == "sistem"));
    assert!(detail.events.iter().any(|e| e.kind == "status:referred"
        && e.actor == "Ella"
        && e.detail.contains("tidak puas")));
}
