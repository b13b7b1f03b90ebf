//! Real-shaped mail (tests/fixtures/realmail/: Gmail web and Android, Outlook, Yahoo, iPhone,
//! Samsung, Thunderbird, a website form relay, a lobby kiosk without From, gambling spam
//! with a forged gmail.com From, credential phishing dressed as a Kemenkes notice, and
//! follow-ups that type the ticket number without brackets; since issue 18 six form relays
//! — Contact Form 7's default template, WPForms, a Google Forms add-on, a PHPMailer script
//! with English labels, a village site with `Dari:`/`No. HP/WA:`/`Isi pesan:`, Elementor
//! with labels no list has — and four kinds of machine mail that carry a Reply-To or come
//! from a web server) through the real pipeline on
//! a real SQLite file: for each, the class it is stored under, the ticket it opens or
//! threads onto, whether it is acknowledged and to whom, and the contact registered.
//!
//! On the code before issue 12 the spam and the phishing were registered and acknowledged
//! (backscatter), the two follow-ups opened tickets of their own, the kiosk mail was
//! `unreadable` with no ticket, the form relay was `machine` with no ticket, and the
//! acknowledgement of 14 carried two ticket numbers in its subject. Before issue 18, 15,
//! 16, 18 and 20 were complaints from the relay, acknowledged to it, 17 and 19 machine
//! mail shown to nobody, 21 (WordPress about itself) a complaint answered to wordpress@.

mod support;

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pengaduan::app::ingest::Outcome;
use pengaduan::app::Pipeline;
use pengaduan::domain::Ticket;
use pengaduan::mail::parse::parse;
use pengaduan::store::Store;
use pengaduan::workflow::classify::Route;
use support::offline::{arrive, pipeline};
use support::outgoing::check_headers;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/realmail");
const TEAM: &str = "[recipients]\ntim_pengaduan = [\"tim@example.test\"]\n";
const RELAY: &str = "noreply@pkmkademangan.bondowosokab.go.id";

/// Monday 23 November 2026, 16:00 WIB: the first mail arrives.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(name)).unwrap()
}

fn db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("p.db")).unwrap()
}

fn message_id(raw: &[u8]) -> String {
    parse(raw, 1 << 24).message_id
}

/// The stored class of a message.
fn class(dir: &Path, mid: &str) -> String {
    db(dir)
        .query_row(
            "SELECT class FROM messages WHERE message_id = ?1",
            [mid],
            |r| r.get(0),
        )
        .unwrap()
}

/// (rcpt_to, subject, raw) of the acknowledgements of a ticket.
fn acks_of(dir: &Path, ticket: &str) -> Vec<(String, String, Vec<u8>)> {
    let c = db(dir);
    let mut st = c
        .prepare(
            "SELECT o.rcpt_to, o.subject, o.raw FROM outbox o JOIN complaints c ON c.id = o.complaint_id
             WHERE c.ticket = ?1 AND o.purpose = 'ack' ORDER BY o.id",
        )
        .unwrap();
    st.query_map([ticket], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn event_kinds(dir: &Path, ticket: &str) -> Vec<String> {
    let c = db(dir);
    let mut st = c
        .prepare(
            "SELECT e.kind FROM events e JOIN complaints c ON c.id = e.complaint_id
             WHERE c.ticket = ?1 ORDER BY e.id",
        )
        .unwrap();
    st.query_map([ticket], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn ticket_of(dir: &Path, complaint_id: i64) -> String {
    db(dir)
        .query_row(
            "SELECT ticket FROM complaints WHERE id = ?1",
            [complaint_id],
            |r| r.get(0),
        )
        .unwrap()
}

/// What a fixture must come to.
struct Want {
    file: &'static str,
    /// The stored message's class.
    class: &'static str,
    /// The ticket it opened, or (with `threaded`) the one it attached to; `None` for mail
    /// that is not a complaint.
    ticket: Option<&'static str>,
    threaded: bool,
    /// Where the acknowledgement went; `None`: none.
    ack_to: Option<&'static str>,
    /// The registered contact: name, email and first phone number.
    name: Option<&'static str>,
    email: Option<&'static str>,
    phone: Option<&'static str>,
}

/// (name, email, first phone) of the registered contact.
type Who = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const fn want(
    file: &'static str,
    class: &'static str,
    ticket: Option<&'static str>,
    threaded: bool,
    ack_to: Option<&'static str>,
    (name, email, phone): Who,
) -> Want {
    Want {
        file,
        class,
        ticket,
        threaded,
        ack_to,
        name,
        email,
        phone,
    }
}

/// Not a complaint: no ticket, no acknowledgement, no contact.
const fn machine(file: &'static str) -> Want {
    want(file, "machine", None, false, None, (None, None, None))
}

const SITI: &str = "siti.aminah87@gmail.com";
const BUDI: &str = "budi.santoso.bdw@gmail.com";
const HARTONO: &str = "hartono_bdw@yahoo.co.id";

#[rustfmt::skip]
const TABLE: &[Want] = &[
    want("01-gmail-web.eml", "complaint", Some("ADU-2026-0001"), false, Some(SITI), (Some("Siti Aminah"), Some(SITI), None)),
    want("02-gmail-android.eml", "complaint", Some("ADU-2026-0002"), false, Some(BUDI), (Some("Budi Santoso"), Some(BUDI), Some("+6281234567890"))),
    want("03-outlook.eml", "complaint", Some("ADU-2026-0003"), false, Some("rina.wulandari@outlook.com"), (Some("Rina Wulandari"), Some("rina.wulandari@outlook.com"), None)),
    // Reply-To names another address: the acknowledgement goes to the authenticated From.
    want("04-yahoo-reply-to.eml", "complaint", Some("ADU-2026-0004"), false, Some(HARTONO), (Some("Hartono"), Some(HARTONO), None)),
    want("05-iphone.eml", "complaint", Some("ADU-2026-0005"), false, Some("dwi.handayani@icloud.com"), (Some("Dwi Handayani"), Some("dwi.handayani@icloud.com"), None)),
    want("06-samsung.eml", "complaint", Some("ADU-2026-0006"), false, Some("yanti.rahayu.77@gmail.com"), (Some("Yanti Rahayu"), Some("yanti.rahayu.77@gmail.com"), None)),
    want("07-thunderbird.eml", "complaint", Some("ADU-2026-0007"), false, Some("agus.prasetyo@guru.sdn1kademangan.sch.id"), (Some("Agus Prasetyo"), Some("agus.prasetyo@guru.sdn1kademangan.sch.id"), None)),
    // The relay is not in intake.trusted_form_senders: registered, flagged, not answered.
    want("08-webform-relay.eml", "complaint", Some("ADU-2026-0008"), false, None, (Some("Dewi Lestari"), Some("dewi.lestari88@yahoo.co.id"), Some("+6281331002244"))),
    // No From: registered with the phone number typed at the kiosk; never answered to
    // the Return-Path (the kiosk's relay).
    want("09-kiosk-no-from.eml", "complaint", Some("ADU-2026-0009"), false, None, (Some("Pak Sutrisno"), None, Some("+6285233445566"))),
    want("10-spam-forged-gmail.eml", "curiga", None, false, None, (None, None, None)),
    want("11-phishing-kemkes.eml", "curiga", None, false, None, (None, None, None)),
    // Her own ticket typed without brackets, no In-Reply-To: attached to it.
    want("12-followup-ticket-in-subject.eml", "reply", Some("ADU-2026-0001"), true, None, (None, None, None)),
    want("13-followup-ticket-in-body.eml", "reply", Some("ADU-2026-0002"), true, None, (None, None, None)),
    // Siti's ticket from Hartono: a complaint of his own, the mention noted.
    want("14-mentions-another-persons-ticket.eml", "complaint", Some("ADU-2026-0010"), false, Some(HARTONO), (Some("Hartono"), Some(HARTONO), None)),
    // Form relays (issue 18), none of them in intake.trusted_form_senders: each registered
    // for the person in Reply-To, flagged, not answered; the name and number found
    // whatever the labels. Contact Form 7's default template (From wordpress@).
    want("15-cf7-default-template.eml", "complaint", Some("ADU-2026-0011"), false, None, (Some("Rudi Hartanto"), Some(RUDI), Some("+6285744123390"))),
    // WPForms' HTML table, sent as the site's admin account (no robot name: the body
    // repeating the Reply-To decides).
    want("16-wpforms-html.eml", "complaint", Some("ADU-2026-0012"), false, None, (Some("Sri Wahyuni"), Some(SRI), Some("+6283850127744"))),
    // A Google Forms notification add-on sending from our own account.
    want("17-google-forms-notification.eml", "complaint", Some("ADU-2026-0013"), false, None, (Some("Rahmat Hidayat"), Some(RAHMAT), Some("+6282234567788"))),
    // A PHPMailer script From apache@, English labels.
    want("18-phpmailer-english-labels.eml", "complaint", Some("ADU-2026-0014"), false, None, (Some("Anita Kusumawardani"), Some(ANITA), Some("+6281390214455"))),
    // A village site, From noreply@, labels Dari:, No. HP/WA:, Isi pesan:.
    want("19-village-site-indonesian-labels.eml", "complaint", Some("ADU-2026-0015"), false, None, (Some("Slamet Riyadi"), Some(SLAMET), Some("+6282133445566"))),
    // Elementor's default sender email@ and labels no list in the code has.
    want("20-form-labels-no-list-has.eml", "complaint", Some("ADU-2026-0016"), false, None, (Some("Bu Ratna Sari"), Some(RATNA), Some("+6281355772468"))),
    // Machine mail stays machine mail, Reply-To or not: WordPress about itself, an
    // out-of-office, a bounce, a newsletter.
    machine("21-wordpress-core-notice.eml"),
    machine("22-autoreply-with-reply-to.eml"),
    machine("23-bounce-multipart-report.eml"),
    machine("24-newsletter-list-id.eml"),
];

const RUDI: &str = "rudi.hartanto.bws@gmail.com";
const SRI: &str = "sri.wahyuni.kdm@gmail.com";
const RAHMAT: &str = "rahmat.hidayat1990@gmail.com";
const ANITA: &str = "anita.kusuma@outlook.co.id";
const SLAMET: &str = "slamet.riyadi62@gmail.com";
const RATNA: &str = "ratna.sari.77@yahoo.com";
/// The relays of the form fixtures 15 to 20 (20's `email@` is Elementor's default sender).
const RELAYS: &[&str] = &[
    "wordpress@pkmkademangan.bondowosokab.go.id",
    "admin@kademangan-bondowoso.desa.id",
    "kademangan.puskesmas@gmail.com",
    "apache@web2.bondowosokab.go.id",
    "noreply@kademangan.desa.id",
    "email@posyandumelati.or.id",
];

fn run_table(p: &Pipeline, s: &mut Store, dir: &Path, table: &[Want]) {
    for (i, w) in table.iter().enumerate() {
        let raw = fixture(w.file);
        let at = t0() + Duration::minutes(10 * i as i64);
        // The fuzz target's decision path (no database, so no thread) agrees.
        let e = p.examine(&raw, at, at);
        match (&e.route, w.class) {
            (Route::Suspect { .. } | Route::Machine { .. }, "curiga" | "machine") => {
                assert!(e.ack.is_none(), "{}", w.file)
            }
            (Route::New, "complaint" | "reply") => {
                assert_eq!(
                    e.ack.is_some(),
                    w.ack_to.is_some() || w.threaded,
                    "{}",
                    w.file
                )
            }
            (route, class) => panic!("{}: examine says {route:?}, want {class}", w.file),
        }
        let outcome = arrive(p, s, &raw, at);
        let ctx = format!("{}: {outcome:?}", w.file);
        assert_eq!(class(dir, &message_id(&raw)), w.class, "{ctx}");
        match (&outcome, w.ticket, w.threaded) {
            (Outcome::New { ticket, ack_queued }, Some(want), false) => {
                assert_eq!(ticket.to_string(), want, "{ctx}");
                assert_eq!(*ack_queued, w.ack_to.is_some(), "{ctx}");
            }
            (Outcome::Reply { complaint_id }, Some(want), true) => {
                assert_eq!(ticket_of(dir, *complaint_id), want, "{ctx}");
            }
            (Outcome::Suspect { .. }, None, _) => {}
            (Outcome::Machine { .. }, None, _) => {}
            _ => panic!("unexpected outcome, {ctx}"),
        }
        let Some(ticket) = w.ticket.filter(|_| !w.threaded) else {
            continue;
        };
        let row = s
            .complaint(&ticket.parse::<Ticket>().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(row.complainant_name.as_deref(), w.name, "{ctx}");
        assert_eq!(row.complainant_email.as_deref(), w.email, "{ctx}");
        assert_eq!(row.phones.first().map(String::as_str), w.phone, "{ctx}");
        let acks = acks_of(dir, ticket);
        let to: Vec<&str> = acks.iter().map(|(to, _, _)| to.as_str()).collect();
        assert_eq!(to, w.ack_to.into_iter().collect::<Vec<_>>(), "{ctx}");
        for (_, subject, raw) in &acks {
            // Exactly one ticket number in our subject: ours.
            assert_eq!(subject.matches("ADU").count(), 1, "{ctx}: {subject}");
            assert!(subject.contains(&format!("[{ticket}]")), "{ctx}: {subject}");
            check_headers(raw).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let text = String::from_utf8_lossy(raw);
            assert!(text.contains("Auto-Submitted: auto-replied"), "{ctx}");
            assert!(
                text.contains(&format!("In-Reply-To: <{}>", message_id(&fixture(w.file)))),
                "{ctx}"
            );
        }
        if w.ack_to.is_none() {
            // Never answered, and a person is asked to look.
            assert!(
                event_kinds(dir, ticket).contains(&"ack_withheld".to_string()),
                "{ctx}"
            );
            assert!(row.attention.is_some(), "{ctx}");
        }
    }
}

#[test]
fn real_mail_table() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), TEAM);
    run_table(&p, &mut s, dir.path(), TABLE);

    // Nothing reached a forged sender, a phisher, the kiosk's relay or the form relay.
    let c = db(dir.path());
    let rcpts: Vec<String> = c
        .prepare("SELECT rcpt_to FROM outbox")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rcpts.len(), 8, "{rcpts:?}");
    for never in [
        "promo.slot88gacor@gmail.com",
        "pengaduan@kemkes-go-id.com",
        "bounce@kemkes-go-id.com",
        "kiosk@pendaftaran.pkm-kademangan.lan",
        RELAY,
        "dewi.lestari88@yahoo.co.id",
        "hartono@cv-maju-jaya.example.test",
    ]
    .iter()
    .chain(RELAYS)
    .chain(&[RUDI, SRI, RAHMAT, ANITA, SLAMET, RATNA])
    {
        assert!(!rcpts.iter().any(|r| r == never), "{never} was answered");
    }
    // Machine mail is stored with the reason staff read, in Bahasa Indonesia.
    let reason_of = |file: &str| -> String {
        c.query_row(
            "SELECT reason FROM messages WHERE message_id = ?1",
            [message_id(&fixture(file))],
            |r| r.get(0),
        )
        .unwrap()
    };
    for (file, reason) in [
        (
            "21-wordpress-core-notice.eml",
            "pengirim wordpress@pkmkademangan.bondowosokab.go.id adalah alamat mesin, bukan orang",
        ),
        (
            "22-autoreply-with-reply-to.eml",
            "balasan otomatis (Auto-Submitted: auto-replied)",
        ),
        (
            "23-bounce-multipart-report.eml",
            "laporan pengiriman atau tanda dibaca (multipart/report)",
        ),
        (
            "24-newsletter-list-id.eml",
            "surel massal (Precedence: bulk)",
        ),
    ] {
        assert_eq!(reason_of(file), reason, "{file}");
    }
    // The mention of someone else's ticket is on the record of the new complaint.
    assert!(event_kinds(dir.path(), "ADU-2026-0010").contains(&"ticket_mentioned".to_string()));
    // The follow-ups are on the original complaints and opened nothing.
    let n: i64 = c
        .query_row("SELECT count(*) FROM complaints", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 16);

    // Suspect mail is listed for a person, with its reasons, and so are the two
    // complaints that could not be answered.
    let flagged = s.flagged_messages().unwrap();
    let reason = |file: &str| {
        let mid = message_id(&fixture(file));
        flagged
            .iter()
            .find(|f| f.message_id == mid)
            .unwrap_or_else(|| panic!("{file} not flagged: {flagged:?}"))
            .clone()
    };
    let spam = reason("10-spam-forged-gmail.eml");
    assert_eq!(spam.class, pengaduan::domain::MessageClass::Curiga);
    assert!(
        spam.reason.as_deref().unwrap().contains("DMARC"),
        "{spam:?}"
    );
    let phish = reason("11-phishing-kemkes.eml").reason.unwrap();
    for sign in [
        "kemkes-go-id.com",
        "Dokumen_Pengaduan_4471.html",
        "formulir kata sandi",
        "bertuliskan kemkes.go.id",
    ] {
        assert!(phish.contains(sign), "{sign} missing in {phish}");
    }
    assert_eq!(
        reason("08-webform-relay.eml").ticket,
        Some("ADU-2026-0008".parse().unwrap())
    );
    assert_eq!(
        reason("09-kiosk-no-from.eml").ticket,
        Some("ADU-2026-0009".parse().unwrap())
    );
    // Every form relay is on the list, with its ticket and why a person must look.
    for (file, relay) in TABLE[14..20].iter().zip(RELAYS) {
        let f = reason(file.file);
        assert_eq!(f.ticket.map(|t| t.to_string()).as_deref(), file.ticket);
        let why = f.reason.unwrap_or_default();
        assert!(
            why.contains("formulir situs web") && why.contains(relay),
            "{}: {why}",
            file.file
        );
    }

    // The digest of the next morning names them too.
    let digest = p.digest(&s, t0() + Duration::hours(15)).unwrap();
    let text = p.render_digest(&digest).unwrap().text;
    assert!(text.contains("SUREL CURIGA"), "{text}");
    assert!(text.contains("promo.slot88gacor@gmail.com"), "{text}");
    assert!(text.contains("pengaduan@kemkes-go-id.com"), "{text}");
}

/// A relay listed in `[intake] trusted_form_senders`: the citizen's Reply-To gets the
/// acknowledgement, named as the form has it, whatever the plugin and its labels.
#[test]
fn a_trusted_form_relay_acknowledges_the_reply_to() {
    let dir = tempfile::tempdir().unwrap();
    let listed = std::iter::once(RELAY)
        .chain(RELAYS.iter().copied())
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let (p, mut s) = pipeline(
        dir.path(),
        &format!("{TEAM}[intake]\ntrusted_form_senders = [{listed}]\n"),
    );
    #[rustfmt::skip]
    let table = [
        want("08-webform-relay.eml", "complaint", Some("ADU-2026-0001"), false, Some("dewi.lestari88@yahoo.co.id"), (Some("Dewi Lestari"), Some("dewi.lestari88@yahoo.co.id"), Some("+6281331002244"))),
        want("15-cf7-default-template.eml", "complaint", Some("ADU-2026-0002"), false, Some(RUDI), (Some("Rudi Hartanto"), Some(RUDI), Some("+6285744123390"))),
        want("16-wpforms-html.eml", "complaint", Some("ADU-2026-0003"), false, Some(SRI), (Some("Sri Wahyuni"), Some(SRI), Some("+6283850127744"))),
        want("17-google-forms-notification.eml", "complaint", Some("ADU-2026-0004"), false, Some(RAHMAT), (Some("Rahmat Hidayat"), Some(RAHMAT), Some("+6282234567788"))),
        want("18-phpmailer-english-labels.eml", "complaint", Some("ADU-2026-0005"), false, Some(ANITA), (Some("Anita Kusumawardani"), Some(ANITA), Some("+6281390214455"))),
        want("19-village-site-indonesian-labels.eml", "complaint", Some("ADU-2026-0006"), false, Some(SLAMET), (Some("Slamet Riyadi"), Some(SLAMET), Some("+6282133445566"))),
        want("20-form-labels-no-list-has.eml", "complaint", Some("ADU-2026-0007"), false, Some(RATNA), (Some("Bu Ratna Sari"), Some(RATNA), Some("+6281355772468"))),
        // Trusted or not, a relay's own notice is no complaint.
        machine("21-wordpress-core-notice.eml"),
    ];
    run_table(&p, &mut s, dir.path(), &table);
    for w in &table[..7] {
        let (ticket, to, name) = (w.ticket.unwrap(), w.ack_to.unwrap(), w.name.unwrap());
        let raw = &acks_of(dir.path(), ticket)[0].2;
        let text = String::from_utf8_lossy(raw);
        assert!(
            text.contains(&format!("To: \"{name}\" <{to}>")),
            "{}: {text}",
            w.file
        );
        // Still flagged: the address was typed into a web page, not proved.
        let row = s.complaint(&ticket.parse().unwrap()).unwrap().unwrap();
        assert!(row.attention.is_some(), "{}", w.file);
    }
}

/// `flagged accept`: a person decides a suspect message is genuine; it is registered and
/// acknowledged like any other, the decision is in the audit log with the person's name,
/// and it leaves the list.
#[test]
fn a_person_accepts_a_suspect_message() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), TEAM);
    let raw = fixture("10-spam-forged-gmail.eml");
    let mid = message_id(&raw);
    assert!(matches!(
        arrive(&p, &mut s, &raw, t0()),
        Outcome::Suspect { .. }
    ));
    let later = t0() + Duration::hours(2);
    let (ticket, acked) = p
        .accept_flagged(&mut s, &format!("<{mid}>"), "Rina", later)
        .unwrap();
    assert_eq!(ticket.to_string(), "ADU-2026-0001");
    assert!(acked);
    assert_eq!(class(dir.path(), &mid), "complaint");
    let acks = acks_of(dir.path(), "ADU-2026-0001");
    assert_eq!(acks[0].0, "promo.slot88gacor@gmail.com");
    let c = db(dir.path());
    let (actor, detail): (String, String) = c
        .query_row(
            "SELECT actor, detail FROM events WHERE kind = 'accepted'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(actor, "Rina");
    assert!(detail.contains("DMARC"), "{detail}");
    // The deadlines run from when the mailbox received it, not from the decision.
    let row = s.complaint(&ticket).unwrap().unwrap();
    let received = pengaduan::clock::to_wib_rfc3339(row.received_at);
    assert!(received.starts_with("2026-11-23T16:00"), "{received}");
    assert!(!s
        .flagged_messages()
        .unwrap()
        .iter()
        .any(|f| f.message_id == mid));
    // Once is enough; an ordinary complaint or an unknown id is refused with the reason.
    let again = p.accept_flagged(&mut s, &mid, "Rina", later).unwrap_err();
    assert!(format!("{again:#}").contains("sudah tercatat sebagai pengaduan ADU-2026-0001"));
    let genuine = fixture("01-gmail-web.eml");
    arrive(&p, &mut s, &genuine, later);
    let refused = p
        .accept_flagged(&mut s, &message_id(&genuine), "Rina", later)
        .unwrap_err();
    assert!(
        format!("{refused:#}").contains("sudah tercatat"),
        "{refused:#}"
    );
    let unknown = p
        .accept_flagged(&mut s, "nope@x", "Rina", later)
        .unwrap_err();
    assert!(format!("{unknown:#}").contains("tidak ditemukan"));
}

/// Manual entry goes through the same registration: ticket numbering and the `received`
/// event are the ones mail gets.
#[test]
fn manual_entry_uses_the_same_registration() {
    use pengaduan::app::actions::ManualComplaint;
    use pengaduan::domain::Channel;
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), TEAM);
    arrive(&p, &mut s, &fixture("01-gmail-web.eml"), t0());
    let ticket = p
        .record(
            &mut s,
            &ManualComplaint {
                channel: Channel::Telepon,
                lapor_number: None,
                name: Some("Bu Parmi".into()),
                address: Some("Dusun Krajan".into()),
                phone: Some("0813 1111 2222".into()),
                email: None,
                subject: None,
                text: "Obat batuk habis.".into(),
                kind: None,
                received_at: t0() + Duration::hours(1),
            },
            "Rina",
            t0() + Duration::hours(1),
        )
        .unwrap();
    assert_eq!(ticket.to_string(), "ADU-2026-0002");
    let kinds = event_kinds(dir.path(), "ADU-2026-0002");
    assert_eq!(kinds, vec!["received"]);
    let row = s.complaint(&ticket).unwrap().unwrap();
    assert_eq!(row.phones, vec!["+6281311112222"]);
    assert_eq!(row.unit.as_deref(), Some("farmasi"));
}

/// The same through the command line a staff member types: `ingest`, `flagged` (the
/// suspect mail marked CURIGA with its reasons), `flagged accept … --by`.
#[test]
fn flagged_and_accept_on_the_command_line() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let config = dir.path().join("pengaduan.toml");
    std::fs::write(
        &config,
        format!(
            "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
             [storage]\ndatabase = \"{}\"\n[calendar]\nholidays = [\"{root}/config/libur-nasional-2026.toml\"]\n\
             [templates]\ndir = \"{root}/templates\"\n",
            dir.path().join("p.db").display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_pengaduan"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), format!("{text}{err}"))
    };
    let phishing = format!("{FIXTURES}/11-phishing-kemkes.eml");
    let (ok, out) = run(&["ingest", &phishing]);
    assert!(ok, "{out}");
    assert!(out.contains("0 pesan baru tercatat"), "{out}");
    let (ok, out) = run(&["flagged"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("[CURIGA]") && out.contains("formulir kata sandi"),
        "{out}"
    );
    assert!(
        out.contains("pengaduan flagged accept MESSAGE-ID --by NAMA"),
        "{out}"
    );
    let mid = message_id(&fixture("11-phishing-kemkes.eml"));
    let (ok, out) = run(&["flagged", "accept", &mid, "--by", "Rina"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("dicatat sebagai pengaduan ADU-2026-0001"),
        "{out}"
    );
    assert!(out.contains("Tanda terima dijadwalkan"), "{out}");
    let (ok, out) = run(&["flagged", "accept", &mid, "--by", "Rina"]);
    assert!(!ok && out.contains("sudah tercatat"), "{out}");
}

/// `[intake]` keys are checked when the config loads, naming the key and the fix.
#[test]
fn intake_config_errors_name_the_key() {
    use pengaduan::config::Config;
    let base =
        "[puskesmas]\nname = \"P\"\nemail = \"p@example.test\"\n[storage]\ndatabase = \"x.db\"\n";
    let ok = Config::parse(base, Path::new("t.toml")).unwrap();
    assert_eq!(ok.intake.trusted_authserv_id, "mx.google.com");
    assert!(ok.intake.trusted_form_senders.is_empty());
    for (bad, key) in [
        (
            "[intake]\ntrusted_authserv_id = \" \"\n",
            "intake.trusted_authserv_id",
        ),
        (
            "[intake]\ntrusted_form_senders = [\"bukan alamat\"]\n",
            "intake.trusted_form_senders",
        ),
        (
            "[intake]\ntrusted_authserv = \"mx.google.com\"\n",
            "trusted_authserv",
        ),
    ] {
        let err = Config::parse(&format!("{base}{bad}"), Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains(key), "{err}");
    }
}
