//! The real-shaped fixtures (tests/fixtures/realmail/) through the real daemon against the
//! mail lab's Postfix and Dovecot: the forged-sender spam, the phishing and the kiosk mail
//! reach no mailbox but ours, the follow-up without brackets gets no second
//! acknowledgement, and `flagged accept` sends the acknowledgement through real SMTP.
//!
//! On the code before issue 12 the spammer's and the phisher's mailboxes each received an
//! acknowledgement, and Siti received a second one (a new ticket) for her follow-up.

mod support;

use std::path::Path;
use std::time::Duration;

use support::daemon::{header, output, Daemon, PUSKESMAS};
use support::lab::Lab;

const WAIT: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/realmail")
            .join(name),
    )
    .unwrap()
}

/// What the lab delivered to `addr`: mail to any domain but example.test lands in the
/// catch-all mailbox with its headers unchanged, so it is told apart by its To.
fn mailbox(lab: &Lab, addr: &str) -> Vec<Vec<u8>> {
    lab.messages(Lab::CATCHALL)
        .into_iter()
        .filter(|m| header(m, "To").is_some_and(|to| to.contains(addr)))
        .collect()
}

fn wait_for(d: &Daemon, lab: &Lab, addr: &str) -> Vec<u8> {
    d.wait_until(&format!("{addr} gets mail"), WAIT, || {
        !mailbox(lab, addr).is_empty()
    });
    mailbox(lab, addr).remove(0)
}

#[test]
fn the_daemon_answers_people_and_nobody_else() {
    let lab = Lab::start();
    let mut d = Daemon::new(&lab);
    d.start(&[]);
    let deliver_raw = |envelope: &str, raw: &[u8]| lab.deliver(envelope, &[PUSKESMAS], raw);
    let deliver = |envelope: &str, name: &str| deliver_raw(envelope, &fixture(name));

    deliver("siti.aminah87@gmail.com", "01-gmail-web.eml");
    let ack = wait_for(&d, &lab, "siti.aminah87@gmail.com");
    let subject = header(&ack, "Subject").unwrap();
    assert!(subject.ends_with("[ADU-2026-0001]"), "{subject}");

    deliver("promo.slot88gacor@gmail.com", "10-spam-forged-gmail.eml");
    deliver("bounce@kemkes-go-id.com", "11-phishing-kemkes.eml");
    // Saved into the mailbox as Gmail stores it: the lab's Postfix, like any Postfix
    // whose client is local, would write a From from the envelope sender
    // (always_add_missing_headers, local_header_rewrite_clients), and Gmail does not.
    lab.inject(PUSKESMAS, &fixture("09-kiosk-no-from.eml"));
    // And once more through Postfix, which writes `From: kiosk@…lan` as a local mail
    // server would: a local network address is not answered either.
    let again = String::from_utf8(fixture("09-kiosk-no-from.eml"))
        .unwrap()
        .replace("1B2C3D4E5F@server", "1B2C3D4E60@server");
    deliver_raw("kiosk@pendaftaran.pkm-kademangan.lan", again.as_bytes());
    deliver(
        "siti.aminah87@gmail.com",
        "12-followup-ticket-in-subject.eml",
    );
    d.wait_until("all six are stored", WAIT, || {
        d.count_of("curiga") == 2 && d.count_of("reply") == 1 && d.count_of("complaint") == 3
    });
    // Give a wrong acknowledgement every chance to arrive before looking.
    std::thread::sleep(Duration::from_secs(3));
    for nobody in [
        "promo.slot88gacor@gmail.com",
        "pengaduan@kemkes-go-id.com",
        "bounce@kemkes-go-id.com",
        "kiosk@pendaftaran.pkm-kademangan.lan",
    ] {
        let got = mailbox(&lab, nobody);
        assert!(
            got.is_empty(),
            "{nobody} got mail: {:?}",
            got.iter().map(|m| header(m, "Subject")).collect::<Vec<_>>()
        );
    }
    assert_eq!(mailbox(&lab, "siti.aminah87@gmail.com").len(), 1);
    assert_eq!(
        lab.messages(Lab::CATCHALL).len(),
        1,
        "one mail left the puskesmas"
    );
    let kiosks: Vec<_> = d
        .complaints()
        .into_iter()
        .filter(|c| c.complainant_email.is_none())
        .collect();
    assert_eq!(kiosks.len(), 2, "both kiosk mails are registered");
    for kiosk in kiosks {
        assert_eq!(kiosk.phones, vec!["+6285233445566"]);
        assert!(kiosk.attention.is_some());
    }

    // A person vouches for the "spam" (say it was a real complainant's odd mail): it is
    // registered and acknowledged through the real SMTP path.
    let mid =
        pengaduan::mail::parse::parse(&fixture("10-spam-forged-gmail.eml"), 1 << 24).message_id;
    let out = d.run_cli(&["flagged", "accept", &mid, "--by", "Rina"]);
    assert!(out.status.success(), "{}", output(&out));
    let ack = wait_for(&d, &lab, "promo.slot88gacor@gmail.com");
    assert_eq!(
        header(&ack, "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert!(d.stop(), "clean exit on SIGTERM");
}
