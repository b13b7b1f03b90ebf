//! Satu pengaduan (`/pengaduan/{ticket}`) and its forms over the real server and a real
//! SQLite file: the case file as text, the review, the answer previewed as the exact
//! email and then queued, and each refusal of the application layer as 404, 409 or 422,
//! 403 for a role that may not act, 403 without the CSRF token.

mod support;

use pengaduan::domain::Status;
use support::web::Site;

const PW: &str = "kata-sandi-rina-123";

fn site() -> Site {
    let site = Site::start();
    site.add_user("rina", "petugas", PW);
    site.add_user("kepala", "kepala", PW);
    site.ingest_samples();
    site
}

fn status(site: &Site, ticket: &str) -> Status {
    site.store()
        .complaint(&ticket.parse().unwrap())
        .unwrap()
        .unwrap()
        .status
}

#[test]
fn review_preview_and_send_the_answer_from_the_page() {
    let site = site();
    let mut c = site.login("rina", PW);
    let page = c.get("/pengaduan/ADU-2026-0001");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Antrean pendaftaran terlalu lama"));
    assert!(page.body.contains("Siti Aminah"));
    assert!(page.body.contains("Masuk dari"), "the thread is shown");
    let csrf = support::web::csrf_in(&page.body).unwrap();

    // Answering before the review: the procedure's order, as 409 with the reason.
    let early = c.post(
        "/pengaduan/ADU-2026-0001/jawab",
        &[("csrf", &csrf), ("text", "Jawaban"), ("send", "1")],
    );
    assert_eq!(early.status, 409, "{}", early.body);
    assert!(early.body.contains("catat dulu hasil telaah"));
    let empty = c.post(
        "/pengaduan/ADU-2026-0001/telaah",
        &[("csrf", &csrf), ("plan", "  ")],
    );
    assert_eq!(empty.status, 422, "{}", empty.body);

    let plan = "Loket pendaftaran pagi ditambah satu petugas mulai Senin.";
    let r = c.post(
        "/pengaduan/ADU-2026-0001/telaah",
        &[("csrf", &csrf), ("plan", plan)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(status(&site, "ADU-2026-0001"), Status::Reviewed);

    let text = "Mulai Senin loket pendaftaran pagi dilayani dua petugas.";
    let preview = c.post(
        "/pengaduan/ADU-2026-0001/jawab",
        &[("csrf", &csrf), ("text", text)],
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("Kepada: siti"), "{}", preview.body);
    assert!(preview.body.contains("Kirim jawaban ini"));
    assert!(
        preview.body.contains("PUAS"),
        "the mail as composed: {}",
        preview.body
    );
    assert_eq!(
        status(&site, "ADU-2026-0001"),
        Status::Reviewed,
        "a preview sends nothing"
    );

    let sent = c.post(
        "/pengaduan/ADU-2026-0001/jawab",
        &[("csrf", &csrf), ("text", text), ("send", "1")],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(status(&site, "ADU-2026-0001"), Status::Answered);
    let after = c.get("/pengaduan/ADU-2026-0001");
    assert!(after.body.contains(text));
    assert!(
        after.body.contains("rina"),
        "the audit trail names the account"
    );
}

#[test]
fn roles_csrf_and_unknown_tickets() {
    let site = site();
    let mut kepala = site.login("kepala", PW);
    let csrf = kepala.csrf("/pengaduan/ADU-2026-0002");
    // A kepala records the review but does not answer or close.
    let r = kepala.post(
        "/pengaduan/ADU-2026-0002/telaah",
        &[("csrf", &csrf), ("plan", "Kursi ruang tunggu ditambah.")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = kepala.post(
        "/pengaduan/ADU-2026-0002/jawab",
        &[("csrf", &csrf), ("text", "x"), ("send", "1")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        kepala
            .post("/pengaduan/ADU-2026-0002/tutup", &[("csrf", &csrf)])
            .status,
        403
    );

    let mut rina = site.login("rina", PW);
    for path in [
        "/pengaduan/ADU-2026-0002/telaah",
        "/pengaduan/ADU-2026-0002/jawab",
        "/pengaduan/ADU-2026-0002/tutup",
    ] {
        assert_eq!(
            rina.post(path, &[("plan", "x"), ("text", "x")]).status,
            403,
            "{path}"
        );
    }
    assert_eq!(status(&site, "ADU-2026-0002"), Status::Reviewed);
    assert_eq!(rina.get("/pengaduan/ADU-2026-0999").status, 404);
    assert_eq!(rina.get("/pengaduan/bukan-tiket").status, 404);
}

#[test]
fn a_telephone_complaint_entered_by_form_is_in_the_cli_register() {
    let site = site();
    let mut c = site.login("rina", PW);
    let csrf = c.csrf("/catat");
    let bad = c.post(
        "/catat",
        &[("csrf", &csrf), ("channel", "telepon"), ("text", "  ")],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    let r = c.post(
        "/catat",
        &[
            ("csrf", &csrf),
            ("channel", "telepon"),
            ("name", "Pak Darmo"),
            ("address", "Dusun Krajan RT 02"),
            ("phone", "0812-3456-7890"),
            ("text", "Apotek tutup sebelum jam layanan berakhir."),
            ("received", "2026-11-23T08:15"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pengaduan"))
        .arg("--config")
        .arg(&site.config)
        .args(["complaints", "list", "--all", "--json"])
        .output()
        .unwrap();
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(list.contains("Pak Darmo"), "{list}");
    assert!(list.contains("\"channel\": \"telepon\""), "{list}");
    // A kepala reads but does not enter complaints.
    let mut kepala = site.login("kepala", PW);
    assert_eq!(kepala.get("/catat").status, 403);
}

/// Issue 13: a complaint from SP4N-LAPOR! is entered with its report number, which the
/// complaint page shows next to the channel; the form refuses LAPOR! without a number and a
/// number on another channel (422, the typed text kept).
#[test]
fn a_lapor_complaint_entered_by_form_shows_its_report_number() {
    let site = site();
    let mut c = site.login("rina", PW);
    let form = c.get("/catat");
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains(r#"<option value="lapor">SP4N-LAPOR!</option>"#),
        "{}",
        form.body
    );
    assert!(
        form.body.contains("Nomor laporan SP4N-LAPOR!"),
        "{}",
        form.body
    );
    assert!(
        form.body.contains(r#"name="lapor_number""#),
        "{}",
        form.body
    );
    let csrf = c.csrf("/catat");
    let text = "Petugas loket KIA tidak ada di tempat pada jam layanan.";
    let before = site.store().count_complaints().unwrap();
    for (channel, number, why) in [
        ("lapor", "", "perlu nomor laporannya"),
        ("lapor", "LAPOR-19", "tidak dikenali"),
        (
            "telepon",
            "1916449",
            "hanya untuk pengaduan dari saluran SP4N-LAPOR!",
        ),
    ] {
        let r = c.post(
            "/catat",
            &[
                ("csrf", &csrf),
                ("channel", channel),
                ("lapor_number", number),
                ("text", text),
            ],
        );
        assert_eq!(r.status, 422, "{channel} {number:?}: {}", r.body);
        assert!(r.body.contains(why), "{channel} {number:?}: {}", r.body);
        assert!(r.body.contains(text), "the text is kept: {}", r.body);
    }
    assert_eq!(site.store().count_complaints().unwrap(), before);
    let r = c.post(
        "/catat",
        &[
            ("csrf", &csrf),
            ("channel", "lapor"),
            ("lapor_number", "#1916449"),
            ("name", "Bu Lestari"),
            ("text", text),
            ("received", "2026-11-23T10:00"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.location.expect("redirect to the complaint");
    let page = c.get(&location);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Nomor LAPOR!: 1916449"), "{}", page.body);
    assert!(page.body.contains("SP4N-LAPOR!"), "{}", page.body);
    let ticket = location.trim_start_matches("/pengaduan/");
    let row = site
        .store()
        .complaint(&ticket.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(row.channel, pengaduan::domain::Channel::Lapor);
    assert_eq!(row.lapor_number.as_deref(), Some("1916449"));
    // The register page finds it by its LAPOR! number (a follow-up from the portal names it).
    let found = c.get("/?q=1916449");
    assert!(found.body.contains(&location), "{}", found.body);
    assert_eq!(
        found.body.matches("href=\"/pengaduan/").count(),
        1,
        "{}",
        found.body
    );
    // Other complaints show no LAPOR! number.
    let other = c.get("/");
    let first = other
        .body
        .split("/pengaduan/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|t| *t != ticket)
        .expect("an ingested sample on the list")
        .to_string();
    let page = c.get(&format!("/pengaduan/{first}"));
    assert!(!page.body.contains("Nomor LAPOR!"), "{}", page.body);
}

/// Script in the subject, the sender's name, the text and the HTML part reaches the page
/// only as escaped text (the browser-level check of issue 13 is not written yet).
#[test]
fn hostile_mail_is_shown_as_escaped_text() {
    let site = site();
    let config = pengaduan::config::Config::load(&site.config).unwrap();
    let pipeline = pengaduan::app::load_pipeline(&config).unwrap();
    let raw = "From: \"<script>document.title='x'</script>\" <jahat@example.test>\r\n\
        To: puskesmas@example.test\r\nSubject: <img src=x onerror=\"document.title='x'\">\r\n\
        Message-ID: <jahat@example.test>\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\r\nObat habis <script>alert(1)</script>\r\n--b\r\n\
        Content-Type: text/html; charset=utf-8\r\n\r\n<p>Obat habis</p><a href=\"javascript:alert(1)\">klik</a><script>alert(2)</script>\r\n--b--\r\n";
    let mut store = site.store();
    let outcome = support::offline::arrive(&pipeline, &mut store, raw.as_bytes(), site.clock_now());
    let pengaduan::app::ingest::Outcome::New { ticket, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let mut c = site.login("rina", PW);
    for path in ["/".to_string(), format!("/pengaduan/{ticket}")] {
        let page = c.get(&path);
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("<script>document"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(!page.body.contains("<script>alert"), "{path}");
        assert!(!page.body.contains("href=\"javascript:"), "{path}");
        assert!(
            page.body.contains("&lt;img src=x onerror="),
            "{path}: escaped, not dropped"
        );
    }
}
