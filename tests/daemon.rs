//! The daemon against a real Dovecot and Postfix (tests/support/lab.rs): mail in over SMTP,
//! register, acknowledgement back into the complainant's own mailbox.

mod support;

use std::time::Duration;

use pengaduan::domain::{Direction, Kind, Status};

use support::daemon::{complaint, header, sample, text_body, Daemon, Options, PUSKESMAS};
use support::lab::Lab;

const WAIT: Duration = Duration::from_secs(60);

fn deliver(lab: &Lab, from: &str, raw: &[u8]) {
    lab.deliver(from, &[PUSKESMAS], raw);
}

#[test]
fn complaint_is_registered_and_acknowledged_in_its_thread() {
    let lab = Lab::start();
    let mut d = Daemon::new(&lab);
    d.start(&[]);

    deliver(
        &lab,
        "siti@example.test",
        &complaint(
            "siti@example.test",
            "Siti Aminah",
            "c1@example.test",
            "Antrean pendaftaran lama",
            "Saya menunggu 3 jam. Telp 0812-3456-7890.",
        ),
    );
    let acks = lab.wait_for_messages("siti@example.test", 1, WAIT);
    let ack = &acks[0];

    let list = d.complaints();
    assert_eq!(list.len(), 1, "one complaint");
    let c = &list[0];
    assert_eq!(c.ticket.seq, 1, "{}", c.ticket);
    assert_eq!(c.complainant_email.as_deref(), Some("siti@example.test"));
    assert_eq!(c.complainant_name.as_deref(), Some("Siti Aminah"));
    assert_eq!(c.phones, vec!["+6281234567890"]);
    assert_eq!(c.kind, Kind::Pengaduan);

    let subject = header(ack, "Subject").unwrap();
    assert!(subject.contains(&format!("[{}]", c.ticket)), "{subject}");
    assert!(
        subject.starts_with("Re: Antrean pendaftaran lama"),
        "{subject}"
    );
    assert_eq!(
        header(ack, "In-Reply-To").as_deref(),
        Some("c1@example.test")
    );
    assert!(header(ack, "References")
        .unwrap()
        .contains("c1@example.test"));
    assert_eq!(
        header(ack, "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    let body = text_body(ack);
    assert!(
        body.contains(&c.ticket.to_string())
            && body.contains("14 hari kerja")
            && body.contains("3 x 24 jam"),
        "{body}"
    );

    // The bookkeeping follows the delivery: acknowledged, with a time.
    d.wait_until("ack_sent_at is recorded", WAIT, || {
        d.complaints()[0].ack_sent_at.is_some()
    });
    assert_eq!(d.complaints()[0].status, Status::Acknowledged);

    // Exactly one acknowledgement, and the puskesmas mailbox holds only the complaint
    // (nothing answered our own sent mail).
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(lab.messages("siti@example.test").len(), 1);
    assert!(d.stop(), "clean exit on SIGTERM");
    assert!(
        !d.log().contains(Lab::PASSWORD),
        "the password reached the log"
    );
}

#[test]
fn replies_attach_and_machine_mail_gets_nothing() {
    let lab = Lab::start();
    let mut d = Daemon::new(&lab);
    d.start(&[]);
    deliver(
        &lab,
        "budi@example.test",
        &complaint(
            "budi@example.test",
            "Budi",
            "b1@example.test",
            "Obat habis",
            "Obat hipertensi kosong dua minggu.",
        ),
    );
    let ack = lab
        .wait_for_messages("budi@example.test", 1, WAIT)
        .remove(0);
    let ticket = d.complaints()[0].ticket;
    let ack_id = header(&ack, "Message-ID").unwrap();

    // A reply by ticket in the subject, and one by In-Reply-To only.
    deliver(
        &lab,
        "budi@example.test",
        &complaint(
            "budi@example.test",
            "Budi",
            "b2@example.test",
            &format!("Re: Obat habis [{ticket}]"),
            "Tambahan: obat amlodipin.",
        ),
    );
    let by_thread = format!(
        "From: Budi <budi@example.test>\r\nTo: {PUSKESMAS}\r\nSubject: foto resep\r\nMessage-ID: <b3@example.test>\r\nIn-Reply-To: <{ack_id}>\r\n\r\nIni fotonya.\r\n"
    );
    deliver(&lab, "budi@example.test", by_thread.as_bytes());

    // Out-of-office, a bounce and a newsletter, each from an address we could answer.
    let oof = "From: Rina <rina@example.test>\r\nTo: puskesmas@example.test\r\nSubject: Automatic reply\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <m1@example.test>\r\n\r\nSaya sedang cuti.\r\n";
    deliver(&lab, "rina@example.test", oof.as_bytes());
    deliver(&lab, "", &sample("08-pantulan.eml"));
    let news = "From: Buletin <news@example.test>\r\nTo: puskesmas@example.test\r\nSubject: Buletin\r\nList-Id: <buletin.example.test>\r\nPrecedence: bulk\r\nMessage-ID: <m3@example.test>\r\n\r\nEdisi 1\r\n";
    deliver(&lab, "news@example.test", news.as_bytes());

    d.wait_until("2 replies and 3 machine mails are stored", WAIT, || {
        d.count_of("reply") == 2 && d.count_of("machine") == 3
    });
    assert_eq!(
        d.complaints().len(),
        1,
        "replies and machine mail make no complaint"
    );
    let store = d.store();
    let c = store.complaint(&ticket).unwrap().unwrap();
    let inbound: Vec<_> = store
        .messages_of(c.id)
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == Direction::In)
        .collect();
    assert_eq!(inbound.len(), 3, "{inbound:?}");

    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        lab.messages("budi@example.test").len(),
        1,
        "a reply gets no second acknowledgement"
    );
    assert!(
        lab.messages("rina@example.test").is_empty(),
        "no answer to an auto-reply"
    );
    assert!(
        lab.messages("news@example.test").is_empty(),
        "no answer to a newsletter"
    );
    assert!(d.stop());
}

#[test]
fn restart_duplicates_nothing_and_imap_restart_is_survived() {
    let lab = Lab::start();
    let mut d = Daemon::with(
        &lab,
        Options {
            imap_security: "starttls",
            smtp_security: "tls",
            extra: "",
        },
    );
    d.start(&[]);
    deliver(
        &lab,
        "ani@example.test",
        &complaint(
            "ani@example.test",
            "Ani",
            "a1@example.test",
            "Toilet kotor",
            "Toilet poli umum kotor.",
        ),
    );
    lab.wait_for_messages("ani@example.test", 1, WAIT);
    assert!(d.stop());

    // Restart: the same mailbox is read again from the cursor; nothing new is registered.
    d.start(&[]);
    // The same message resent (same Message-ID) while running: still one complaint.
    deliver(
        &lab,
        "ani@example.test",
        &complaint(
            "ani@example.test",
            "Ani",
            "a1@example.test",
            "Toilet kotor",
            "Toilet poli umum kotor.",
        ),
    );
    d.wait_until("the cursor passes the resend", WAIT, || {
        d.store()
            .cursor("INBOX")
            .unwrap()
            .is_some_and(|c| c.last_uid >= 2)
    });
    assert_eq!(
        d.complaints().len(),
        1,
        "a resend with the same Message-ID is no new complaint"
    );

    // The IMAP server goes away under the daemon and comes back.
    lab.stop_imap();
    std::thread::sleep(Duration::from_secs(2));
    lab.start_imap();
    deliver(
        &lab,
        "eko@example.test",
        &complaint(
            "eko@example.test",
            "Eko",
            "e1@example.test",
            "Ambulans terlambat",
            "Ambulans datang 2 jam kemudian.",
        ),
    );
    lab.wait_for_messages("eko@example.test", 1, Duration::from_secs(90));

    let list = d.complaints();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(
        lab.messages("ani@example.test").len(),
        1,
        "no second acknowledgement after restart or resend"
    );
    assert!(
        d.log().contains("mailbox connection failed"),
        "the outage was noticed and logged"
    );
    assert!(d.stop());
    assert_eq!(d.store().integrity_check().unwrap(), "ok");
}

#[test]
fn first_start_skips_history_unless_backfill_is_asked() {
    let lab = Lab::start();
    // Two old mails already in the inbox before the daemon ever ran.
    lab.inject(
        PUSKESMAS,
        &complaint(
            "lama@example.test",
            "Lama",
            "old1@example.test",
            "Keluhan lama",
            "Dari bulan lalu.",
        ),
    );
    lab.inject(
        PUSKESMAS,
        &complaint(
            "lama2@example.test",
            "Lama Dua",
            "old2@example.test",
            "Keluhan lama dua",
            "Dari bulan lalu juga.",
        ),
    );
    let mut d = Daemon::new(&lab);
    d.start(&[]);
    assert!(
        d.complaints().is_empty(),
        "history is not answered on first start"
    );
    assert!(d.stop());

    // Backfill registers them; the Date header says November 2026 but INTERNALDATE is now,
    // so they are young and acknowledged.
    d.start(&["--backfill-since", "2020-01-01"]);
    d.wait_until("backfilled complaints are registered", WAIT, || {
        d.complaints().len() == 2
    });
    lab.wait_for_messages("lama@example.test", 1, WAIT);
    assert!(d.stop());
}

#[test]
fn check_reports_working_servers_and_hides_the_password() {
    let lab = Lab::start();
    let d = Daemon::new(&lab);
    let out = d.run_cli(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("OK    IMAP") && stdout.contains("OK    SMTP"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bad = d
        .command(&["check"])
        .env("LAB_IMAP_PASSWORD", "salah-sandi-XYZ")
        .env("LAB_SMTP_PASSWORD", "salah-sandi-XYZ")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&bad.stdout),
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(!bad.status.success());
    assert!(
        all.contains("GAGAL IMAP") && all.contains("GAGAL SMTP"),
        "{all}"
    );
    assert!(!all.contains("salah-sandi-XYZ"), "password leaked: {all}");
}

#[test]
fn the_whole_procedure_ends_at_the_dinas_kesehatan_when_the_complainant_is_not_satisfied() {
    let lab = Lab::start();
    let mut d = Daemon::with(
        &lab,
        Options {
            extra: "[recipients]\ndinas_kesehatan = [\"dinkes@example.test\"]\n",
            ..Options::default()
        },
    );
    d.start(&[]);
    deliver(
        &lab,
        "wati@example.test",
        &complaint(
            "wati@example.test",
            "Wati",
            "w1@example.test",
            "Bidan tidak datang",
            "Jadwal imunisasi di posyandu batal tanpa kabar.",
        ),
    );
    let ack = lab
        .wait_for_messages("wati@example.test", 1, WAIT)
        .remove(0);
    let ticket = d.complaints()[0].ticket.to_string();

    // Staff act from the command line while the daemon runs.
    let ok = |o: std::process::Output| {
        assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    ok(d.run_cli(&[
        "complaints",
        "assign",
        &ticket,
        "--unit",
        "kia_imunisasi",
        "--by",
        "Yetty",
    ]));
    ok(d.run_cli(&[
        "complaints",
        "review",
        &ticket,
        "--plan",
        "Jadwal posyandu diumumkan lewat WA desa H-2.",
        "--by",
        "Yetty",
    ]));
    let answer_file = d.dir.path().join("jawaban.txt");
    std::fs::write(
        &answer_file,
        "Mohon maaf. Imunisasi diganti hari Sabtu, 28 November 2026.",
    )
    .unwrap();
    ok(d.run_cli(&[
        "complaints",
        "answer",
        &ticket,
        "--message-file",
        answer_file.to_str().unwrap(),
        "--by",
        "Yetty",
    ]));

    let answer = d.wait_for_mail(&lab, "wati@example.test", 2).remove(1);
    assert!(
        text_body(&answer).contains("Imunisasi diganti hari Sabtu")
            && text_body(&answer).contains("TIDAK PUAS")
    );
    assert_eq!(
        header(&answer, "In-Reply-To").as_deref(),
        Some("w1@example.test")
    );

    // The complainant answers from her mail program, quoting our answer.
    let ack_id = header(&ack, "Message-ID").unwrap();
    let answer_id = header(&answer, "Message-ID").unwrap();
    let reply = format!(
        "From: Wati <wati@example.test>\r\nTo: {PUSKESMAS}\r\nSubject: Re: Bidan tidak datang [{ticket}]\r\nMessage-ID: <w2@example.test>\r\n\
         In-Reply-To: <{answer_id}>\r\nReferences: <w1@example.test> <{ack_id}> <{answer_id}>\r\n\r\nTIDAK PUAS. Anak saya belum diimunisasi.\r\n\r\n> Balas PUAS atau TIDAK PUAS\r\n"
    );
    deliver(&lab, "wati@example.test", reply.as_bytes());

    let referral = d.wait_for_mail(&lab, "dinkes@example.test", 1).remove(0);
    let text = text_body(&referral);
    for part in [
        ticket.as_str(),
        "Jadwal imunisasi di posyandu batal",
        "Jadwal posyandu diumumkan",
        "Imunisasi diganti hari Sabtu",
        "TIDAK PUAS. Anak saya",
        "kia_imunisasi",
    ] {
        assert!(text.contains(part), "referral lacks {part:?}:\n{text}");
    }
    // And the complainant is told.
    let notice = d.wait_for_mail(&lab, "wati@example.test", 3).remove(2);
    assert!(text_body(&notice).contains("Dinas Kesehatan"));
    assert_eq!(d.complaints()[0].status, Status::Referred);

    let show =
        String::from_utf8_lossy(&d.run_cli(&["complaints", "show", &ticket, "--json"]).stdout)
            .into_owned();
    let show: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(show["unit"], "kia_imunisasi");
    assert!(show["events"].as_array().unwrap().len() >= 10);
    assert!(d.stop());
}

#[test]
fn smtp_outage_loses_nothing_and_the_acknowledgement_follows_recovery() {
    let lab = Lab::start();
    let mut d = Daemon::new(&lab);
    let good = format!("port = {}\nsecurity = \"starttls\"", lab.submission_port);
    let dead = format!(
        "port = {}\nsecurity = \"starttls\"",
        support::daemon::closed_port()
    );
    d.edit_config(&good, &dead);
    d.start(&[]);
    deliver(
        &lab,
        "tono@example.test",
        &complaint(
            "tono@example.test",
            "Tono",
            "t1@example.test",
            "Lab tutup",
            "Laboratorium tutup jam 10 pagi.",
        ),
    );
    d.wait_until("the failed send is recorded for a retry", WAIT, || {
        d.complaints().len() == 1 && d.log().contains("sending failed, will retry")
    });
    assert_eq!(
        d.store().outbox_counts().unwrap(),
        vec![("pending".to_string(), 1)]
    );
    let check = String::from_utf8_lossy(&d.run_cli(&["check"]).stdout).into_owned();
    assert!(check.contains("GAGAL SMTP"), "{check}");
    assert!(d.stop());

    // SMTP is back (the config points at the working server again): the queued
    // acknowledgement goes out once its retry time comes (30 s after the first attempt).
    d.edit_config(&dead, &good);
    d.start(&[]);
    let acks = lab.wait_for_messages("tono@example.test", 1, Duration::from_secs(60));
    assert_eq!(acks.len(), 1);
    d.wait_until("the complaint is acknowledged", WAIT, || {
        d.complaints()[0].ack_sent_at.is_some()
    });
    assert!(d.stop());
}

#[test]
fn the_digest_job_mails_the_team_once_a_day_however_often_it_fires() {
    let lab = Lab::start();
    let mut d = Daemon::with(
        &lab,
        Options {
            // Fires every second: the daily key must still let one digest through.
            extra: "[recipients]\ntim_pengaduan = [\"tim@example.test\"]\n[schedule]\ndigest = \"* * * * * *\"\n",
            ..Options::default()
        },
    );
    d.start(&[]);
    let digests = d.wait_for_mail(&lab, "tim@example.test", 1);
    assert!(
        text_body(&digests[0]).contains("RINGKASAN HARIAN PENGADUAN"),
        "{}",
        text_body(&digests[0])
    );
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        lab.messages("tim@example.test").len(),
        1,
        "one digest per day"
    );
    assert!(d.stop());
    // A restart the same day sends nothing more.
    d.start(&[]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(lab.messages("tim@example.test").len(), 1);
    assert!(d.stop());
}
