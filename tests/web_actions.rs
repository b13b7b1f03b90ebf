//! The complaint page's further actions and the flagged-mail page over the real server
//! and a real SQLite file: unit and kind, the referral to the Dinas Kesehatan, an unclear
//! satisfaction reply decided by a person, accepting a suspect mail, each with the account
//! in the audit log; refusals (no CSRF token, a role that may not act, the wrong state);
//! attachments served only as downloads with safe names and their exact bytes; the
//! complainant's other complaints; the whole thread, in and out.

mod support;

use chrono::Duration;
use pengaduan::app::ingest::Outcome;
use pengaduan::app::Pipeline;
use pengaduan::domain::Ticket;
use support::web::{Client, Site};

const PW: &str = "kata-sandi-rina-123";

fn site() -> Site {
    let site = Site::with("\n[recipients]\ndinas_kesehatan = [\"dinkes@example.test\"]\n");
    site.add_user("rina", "petugas", PW);
    site.add_user("kepala", "kepala", PW);
    site
}

fn pipeline(site: &Site) -> Pipeline {
    let config = pengaduan::config::Config::load(&site.config).unwrap();
    pengaduan::app::load_pipeline(&config).unwrap()
}

/// A mail from `from` arrives `after` the site's clock; gives its ticket if it made one.
fn arrive(site: &Site, raw: &str, after: Duration) -> Outcome {
    let p = pipeline(site);
    let mut store = site.store();
    support::offline::arrive(&p, &mut store, raw.as_bytes(), site.clock_now() + after)
}

fn complaint(site: &Site, id: &str, from: &str, subject: &str, body: &str) -> Ticket {
    let raw = format!(
        "From: {from}\r\nTo: puskesmas@example.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Date: Mon, 23 Nov 2026 08:00:00 +0700\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    match arrive(site, &raw, Duration::zero()) {
        Outcome::New { ticket, .. } => ticket,
        other => panic!("{other:?}"),
    }
}

fn row(site: &Site, t: &Ticket) -> pengaduan::store::ComplaintRow {
    site.store().complaint(t).unwrap().unwrap()
}

fn events(site: &Site, t: &Ticket) -> Vec<pengaduan::store::EventRow> {
    pengaduan::app::views::complaint_detail(&site.store(), t)
        .unwrap()
        .events
}

fn has_event(site: &Site, t: &Ticket, kind: &str, actor: &str) -> bool {
    events(site, t)
        .iter()
        .any(|e| e.kind == kind && e.actor == actor)
}

/// Reviewed and answered through the page's own forms.
fn answer(c: &mut Client, t: &Ticket, csrf: &str) {
    let path = format!("/pengaduan/{t}");
    let r = c.post(
        &format!("{path}/telaah"),
        &[("csrf", csrf), ("plan", "Stok obat dipesan ulang.")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = c.post(
        &format!("{path}/jawab"),
        &[
            ("csrf", csrf),
            ("text", "Obat sudah tersedia lagi."),
            ("send", "1"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
}

fn unclear_reply(site: &Site, id: &str, t: &Ticket, text: &str) {
    let raw = format!(
        "From: Siti <siti@example.test>\r\nTo: puskesmas@example.test\r\nSubject: Re: Obat habis [{t}]\r\n\
         Message-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    );
    arrive(site, &raw, Duration::hours(1));
}

#[test]
fn unit_and_kind_are_set_from_the_page_by_the_account() {
    let site = site();
    let t = complaint(
        &site,
        "a@x",
        "Siti <siti@example.test>",
        "Antrean lama",
        "Saya menunggu dua jam.",
    );
    let mut c = site.login("rina", PW);
    let page = c.get(&format!("/pengaduan/{t}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .body
        .contains(&format!("action=\"/pengaduan/{t}/unit\"")));
    assert!(page.body.contains("<option value=\"farmasi\""));
    assert!(
        !page.body.contains("/rujuk\""),
        "no referral before the answer"
    );
    assert!(!page.body.contains("/balasan\""), "no reply waits");
    let csrf = support::web::csrf_in(&page.body).unwrap();

    let r = c.post(
        &format!("/pengaduan/{t}/unit"),
        &[("csrf", &csrf), ("unit", "farmasi"), ("kind", "saran")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let after = row(&site, &t);
    assert_eq!(after.unit.as_deref(), Some("farmasi"));
    assert_eq!(after.kind.as_str(), "saran");
    assert!(has_event(&site, &t, "assigned", "rina"));
    assert!(has_event(&site, &t, "kind_set", "rina"));

    // The same selects again change nothing and write nothing.
    let before = events(&site, &t).len();
    let r = c.post(
        &format!("/pengaduan/{t}/unit"),
        &[("csrf", &csrf), ("unit", "farmasi"), ("kind", "saran")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(events(&site, &t).len(), before);

    let bad = c.post(
        &format!("/pengaduan/{t}/unit"),
        &[("csrf", &csrf), ("unit", "dapur"), ("kind", "")],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("tidak dikenal"), "{}", bad.body);
    let bad = c.post(
        &format!("/pengaduan/{t}/unit"),
        &[("csrf", &csrf), ("unit", ""), ("kind", "keluhan")],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);

    // Closed (praise and suggestions close without an answer): nothing to assign.
    let r = c.post(&format!("/pengaduan/{t}/tutup"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        row(&site, &t).status.as_str(),
        "closed_without_answer",
        "nobody said they were satisfied"
    );
    let page = c.get(&format!("/pengaduan/{t}"));
    assert!(!page.body.contains("/unit\""), "closed: no assign form");
    let late = c.post(
        &format!("/pengaduan/{t}/unit"),
        &[("csrf", &csrf), ("unit", "pendaftaran"), ("kind", "")],
    );
    assert_eq!(late.status, 409, "{}", late.body);
    assert!(late.body.contains("tidak diubah lagi"), "{}", late.body);
    assert!(late.body.contains("role=\"alert\""), "the page says why");
}

#[test]
fn a_referral_goes_to_the_dinas_only_after_the_answer() {
    let site = site();
    let t = complaint(
        &site,
        "b@x",
        "Siti <siti@example.test>",
        "Obat habis",
        "Obat hipertensi kosong.",
    );
    let mut c = site.login("rina", PW);
    let path = format!("/pengaduan/{t}");
    let csrf = c.csrf(&path);
    let early = c.post(
        &format!("{path}/rujuk"),
        &[("csrf", &csrf), ("reason", "Tidak puas")],
    );
    assert_eq!(early.status, 409, "{}", early.body);
    assert!(
        early
            .body
            .contains("hanya untuk pengaduan yang sudah dijawab"),
        "{}",
        early.body
    );
    assert_eq!(row(&site, &t).status.as_str(), "received");

    answer(&mut c, &t, &csrf);
    let page = c.get(&path);
    assert!(page.body.contains(&format!("action=\"{path}/rujuk\"")));
    let empty = c.post(
        &format!("{path}/rujuk"),
        &[("csrf", &csrf), ("reason", " ")],
    );
    assert_eq!(empty.status, 422, "{}", empty.body);
    let reason = "Pengadu menelepon: tidak puas, obat belum ada.";
    let r = c.post(
        &format!("{path}/rujuk"),
        &[("csrf", &csrf), ("reason", reason)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(row(&site, &t).status.as_str(), "referred");
    let ev = events(&site, &t);
    assert!(ev
        .iter()
        .any(|e| e.kind == "status:referred" && e.actor == "rina" && e.detail == reason));
    assert!(ev.iter().any(|e| e.kind == "referral_queued"));
    // The referral shows in the thread as a mail out, with its text.
    let page = c.get(&path);
    assert!(
        page.body
            .contains("Keluar (rujukan ke Dinas Kesehatan) kepada dinkes@example.test"),
        "{}",
        page.body
    );
    let again = c.post(
        &format!("{path}/rujuk"),
        &[("csrf", &csrf), ("reason", reason)],
    );
    assert_eq!(again.status, 409, "{}", again.body);
}

#[test]
fn an_unclear_reply_is_shown_and_decided_by_a_person() {
    let site = site();
    let mut c = site.login("rina", PW);
    let mut tickets = Vec::new();
    for id in ["c@x", "d@x"] {
        let t = complaint(
            &site,
            id,
            "Siti <siti@example.test>",
            "Obat habis",
            "Obat hipertensi kosong.",
        );
        let csrf = c.csrf(&format!("/pengaduan/{t}"));
        answer(&mut c, &t, &csrf);
        unclear_reply(&site, &format!("r-{id}"), &t, "Kapan dokternya datang?");
        assert_eq!(
            row(&site, &t).status.as_str(),
            "answered",
            "an unclear reply waits"
        );
        tickets.push(t);
    }
    let (puas, tidak) = (&tickets[0], &tickets[1]);
    let path = format!("/pengaduan/{puas}");
    let page = c.get(&path);
    assert!(page.body.contains("Balasan pengadu perlu diputuskan"));
    assert!(page.body.contains("Kapan dokternya datang?"));
    assert!(page.body.contains("value=\"tidak_puas\""));
    let csrf = support::web::csrf_in(&page.body).unwrap();

    let bad = c.post(
        &format!("{path}/balasan"),
        &[("csrf", &csrf), ("keputusan", "entah")],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    let r = c.post(
        &format!("{path}/balasan"),
        &[("csrf", &csrf), ("keputusan", "puas")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let done = row(&site, puas);
    assert_eq!(done.status.as_str(), "closed_satisfied");
    assert_eq!(done.attention, None);
    assert!(has_event(&site, puas, "status:closed_satisfied", "rina"));
    assert_eq!(
        done.satisfaction_heard.map(|h| h.as_str()),
        Some("surel"),
        "the complainant wrote it; staff only read it"
    );
    let page = c.get(&path);
    assert!(!page.body.contains("/balasan\""), "nothing waits any more");
    assert!(
        page.body.contains("Pengadu puas (lewat surel)"),
        "{}",
        page.body
    );
    let again = c.post(
        &format!("{path}/balasan"),
        &[("csrf", &csrf), ("keputusan", "puas")],
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("sudah selesai"), "{}", again.body);

    let r = c.post(
        &format!("/pengaduan/{tidak}/balasan"),
        &[("csrf", &csrf), ("keputusan", "tidak_puas")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(row(&site, tidak).status.as_str(), "referred");
    assert!(has_event(&site, tidak, "status:referred", "rina"));
}

#[test]
fn forms_without_csrf_or_by_a_reading_role_are_refused() {
    let site = site();
    let t = complaint(
        &site,
        "e@x",
        "Siti <siti@example.test>",
        "Obat habis",
        "Obat hipertensi kosong.",
    );
    let unit = row(&site, &t).unit;
    let mut rina = site.login("rina", PW);
    let forms: [(String, Vec<(&str, &str)>); 5] = [
        (
            format!("/pengaduan/{t}/unit"),
            vec![("unit", "pendaftaran"), ("kind", "")],
        ),
        (format!("/pengaduan/{t}/rujuk"), vec![("reason", "x")]),
        (
            format!("/pengaduan/{t}/balasan"),
            vec![("keputusan", "puas")],
        ),
        ("/ditandai/terima".to_string(), vec![("message_id", "e@x")]),
        (
            format!("/pengaduan/{t}/tutup"),
            vec![("tanggapan", "puas"), ("cara", "telepon")],
        ),
    ];
    for (path, form) in &forms {
        let r = rina.post(path, form);
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert!(r.body.contains("kedaluwarsa"), "{path}");
    }
    assert_eq!(row(&site, &t).unit, unit);
    assert!(!events(&site, &t).iter().any(|e| e.actor == "rina"));

    let mut kepala = site.login("kepala", PW);
    let page = kepala.get(&format!("/pengaduan/{t}"));
    assert_eq!(page.status, 200, "every role reads");
    assert!(
        !page.body.contains("/unit\""),
        "no forms a kepala cannot use"
    );
    let csrf = support::web::csrf_in(&page.body).unwrap();
    for (path, form) in &forms {
        let mut form = form.clone();
        form.push(("csrf", &csrf));
        assert_eq!(kepala.post(path, &form).status, 403, "{path}");
    }
    assert_eq!(kepala.get("/ditandai").status, 200);
    assert_eq!(row(&site, &t).unit, unit);
}

fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Status, headers and body bytes of a GET with the client's cookies.
fn download(site: &Site, c: &Client, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let cookie = c
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut r = agent
        .get(format!("{}{path}", site.url))
        .header("Cookie", cookie)
        .call()
        .unwrap();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    (
        r.status().as_u16(),
        headers,
        r.body_mut().read_to_vec().unwrap(),
    )
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The `href` of each attachment link on the page, in order.
fn attachment_links(html: &str) -> Vec<String> {
    html.match_indices("href=\"/lampiran/")
        .map(|(i, _)| {
            let rest = &html[i + 6..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn attachments_download_with_safe_names_and_exact_bytes() {
    let site = site();
    let photo: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let html = "<html><body><h1>Bukti</h1><img src=x onerror=alert(1)></body></html>";
    let raw = format!(
        "From: Siti <siti@example.test>\r\nTo: puskesmas@example.test\r\nSubject: Foto antrean\r\n\
         Message-ID: <lampiran@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFoto antrean pagi ini terlampir.\r\n\
         --b\r\nContent-Type: image/jpeg; name=foto.jpg\r\nContent-Disposition: attachment; filename=foto.jpg\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{photo}\r\n\
         --b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"../../x\\\".html\"\r\n\r\n{html}\r\n\
         --b\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename*=UTF-8''Surat%20keterangan%20%C3%B1%20%E6%97%A5.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--b--\r\n",
        photo = base64(&photo),
        pdf = base64(b"%PDF-1.4 surat"),
    );
    let t = match arrive(&site, &raw, Duration::zero()) {
        Outcome::New { ticket, .. } => ticket,
        other => panic!("{other:?}"),
    };
    let mut c = site.login("rina", PW);
    let page = c.get(&format!("/pengaduan/{t}"));
    assert!(page.body.contains("foto.jpg"), "{}", page.body);
    assert!(
        page.body.contains("3 KB · image&#x2f;jpeg"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Surat keterangan ñ 日.pdf"),
        "{}",
        page.body
    );
    let links = attachment_links(&page.body);
    assert_eq!(links.len(), 3, "{links:?}");

    let (status, h, bytes) = download(&site, &c, &links[0]);
    assert_eq!(status, 200);
    assert_eq!(bytes, photo, "the exact bytes");
    assert_eq!(header(&h, "content-type"), "application/octet-stream");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&h, "content-disposition"),
        "attachment; filename=\"foto.jpg\"; filename*=UTF-8''foto.jpg"
    );

    // HTML with a script: a download, never a page of our origin; the name loses its path
    // and its quote.
    let (status, h, bytes) = download(&site, &c, &links[1]);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "application/octet-stream");
    let cd = header(&h, "content-disposition");
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(
        !cd.contains('/') && !cd.contains("..") && !cd.contains('\\'),
        "{cd}"
    );
    assert_eq!(
        cd,
        "attachment; filename=\"x.html\"; filename*=UTF-8''x.html"
    );
    assert_eq!(String::from_utf8(bytes).unwrap().trim_end(), html);

    let (_, h, bytes) = download(&site, &c, &links[2]);
    assert_eq!(bytes, b"%PDF-1.4 surat");
    assert_eq!(
        header(&h, "content-disposition"),
        "attachment; filename=\"Surat keterangan _ _.pdf\"; \
         filename*=UTF-8''Surat%20keterangan%20%C3%B1%20%E6%97%A5.pdf"
    );

    // Anonymous: the login page; no such attachment: 404 with a page.
    let anon = site.client();
    let (status, h, _) = download(&site, &anon, &links[0]);
    assert_eq!((status, header(&h, "location")), (303, "/login"));
    let missing = links[0].replace("/0", "/7");
    let (status, _, body) = download(&site, &c, &missing);
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("tidak ditemukan"));
    assert_eq!(download(&site, &c, "/lampiran/x/0").0, 404);

    // After retention deleted the raw mail: shown as removed, not as broken links.
    let mut store = site.store();
    let id = store.complaint(&t).unwrap().unwrap().id;
    let tx = store.transaction().unwrap();
    tx.purge_raw(id, site.clock_now()).unwrap();
    tx.commit().unwrap();
    let page = c.get(&format!("/pengaduan/{t}"));
    assert!(attachment_links(&page.body).is_empty(), "{}", page.body);
    assert!(page.body.contains("sudah dihapus"), "{}", page.body);
    let (status, _, body) = download(&site, &c, &links[0]);
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("masa simpannya lewat"));
}

#[test]
fn the_complainants_other_complaints_are_listed() {
    let site = site();
    let first = complaint(
        &site,
        "f1@x",
        "Siti <siti@example.test>",
        "Antrean lama",
        "Hubungi saya di 0812-3456-7890.",
    );
    let same_mail = complaint(
        &site,
        "f2@x",
        "Siti <SITI@example.test>",
        "Toilet kotor",
        "Toilet kotor.",
    );
    let same_phone = complaint(
        &site,
        "f3@x",
        "Budi <budi@example.test>",
        "Obat habis",
        "Saya suami Siti, nomor 0812 3456 7890.",
    );
    let other = complaint(
        &site,
        "f4@x",
        "Ani <ani@example.test>",
        "Parkir",
        "Parkir sempit.",
    );
    let mut c = site.login("rina", PW);
    let page = c.get(&format!("/pengaduan/{first}"));
    let at = page
        .body
        .find("Pengaduan lain dari pengadu ini (2)")
        .unwrap_or_else(|| panic!("{}", page.body));
    let section = &page.body[at..at + page.body[at..].find("</details>").unwrap()];
    assert!(
        section.contains(&format!("/pengaduan/{same_mail}")),
        "{section}"
    );
    assert!(
        section.contains(&format!("/pengaduan/{same_phone}")),
        "{section}"
    );
    assert!(section.contains("Toilet kotor"), "{section}");
    assert!(!section.contains(&other.to_string()), "{section}");
    assert!(
        !section.contains(&format!("/pengaduan/{first}\"")),
        "{section}"
    );
    let alone = c.get(&format!("/pengaduan/{other}"));
    assert!(!alone.body.contains("Pengaduan lain dari pengadu ini"));
}

#[test]
fn the_thread_shows_every_mail_in_and_out_with_its_text() {
    let site = site();
    let raw =
        "From: Siti <siti@example.test>\r\nTo: puskesmas@example.test\r\nSubject: Obat habis\r\n\
        Message-ID: <html@x>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <p>Obat <b>hipertensi</b> kosong.</p><script>alert(1)</script>\r\n";
    let t = match arrive(&site, raw, Duration::zero()) {
        Outcome::New { ticket, .. } => ticket,
        other => panic!("{other:?}"),
    };
    let mut c = site.login("rina", PW);
    let csrf = c.csrf(&format!("/pengaduan/{t}"));
    answer(&mut c, &t, &csrf);
    let page = c.get(&format!("/pengaduan/{t}"));
    let thread = &page.body[page.body.find("Surel masuk dan keluar").unwrap()
        ..page.body.find("Telaah dan rencana").unwrap()];
    assert!(thread.contains("hipertensi"), "{thread}");
    assert!(
        !thread.contains("<b>") && !thread.contains("<script>alert"),
        "{thread}"
    );
    assert!(
        thread.contains("Keluar (tanda terima) kepada siti@example.test"),
        "{thread}"
    );
    assert!(
        thread.contains("Keluar (jawaban) kepada siti@example.test"),
        "{thread}"
    );
    assert!(
        thread.contains("Obat sudah tersedia lagi."),
        "the answer mail's text: {thread}"
    );
    assert!(
        thread.contains(&t.to_string()),
        "the acknowledgement's text"
    );
    assert!(thread.contains("menunggu dikirim"), "{thread}");
}

#[test]
fn a_suspect_mail_is_accepted_from_the_flagged_page() {
    let site = site();
    let raw = "From: Admin <admin@kemenkes.go.id.info>\r\nTo: puskesmas@example.test\r\n\
        Subject: Keluhan pelayanan\r\nMessage-ID: <curiga@x>\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\r\nPelayanan poli gigi lambat.\r\n--b\r\n\
        Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=bukti.pdf\r\n\r\n\
        %PDF-1.4\r\n--b--\r\n";
    let out = arrive(&site, raw, Duration::zero());
    assert!(!matches!(out, Outcome::New { .. }), "{out:?}");
    let mut c = site.login("rina", PW);
    // A suspect message's attachments are not offered for download while it is suspect.
    let id: i64 = rusqlite::Connection::open(site.db())
        .unwrap()
        .query_row(
            "SELECT id FROM messages WHERE message_id = 'curiga@x'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let attachment = format!("/lampiran/{id}/0");
    assert_eq!(download(&site, &c, &attachment).0, 404);
    let page = c.get("/ditandai");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Keluhan pelayanan"));
    assert!(page.body.contains("meniru domain pemerintah"), "the reason");
    assert!(
        page.body.contains("Pelayanan poli gigi lambat."),
        "its text"
    );
    assert!(page.body.contains("Terima sebagai pengaduan"));
    assert!(
        page.body.contains("href=\"/ditandai\""),
        "in the staff menu"
    );
    let csrf = support::web::csrf_in(&page.body).unwrap();

    let missing = c.post(
        "/ditandai/terima",
        &[("csrf", &csrf), ("message_id", "tidak-ada@x")],
    );
    assert_eq!(missing.status, 404, "{}", missing.body);
    let r = c.post(
        "/ditandai/terima",
        &[("csrf", &csrf), ("message_id", "curiga@x")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location.unwrap();
    let t: Ticket = to.trim_start_matches("/pengaduan/").parse().unwrap();
    assert_eq!(row(&site, &t).subject, "Keluhan pelayanan");
    assert!(has_event(&site, &t, "accepted", "rina"));
    assert!(has_event(&site, &t, "received", "rina"));
    // Now a complaint's mail: its attachment is listed and downloads.
    let page = c.get(&to);
    assert_eq!(
        attachment_links(&page.body),
        std::slice::from_ref(&attachment)
    );
    let (status, _, bytes) = download(&site, &c, &attachment);
    assert_eq!((status, bytes.as_slice()), (200, &b"%PDF-1.4"[..]));

    // Accepted, it is an ordinary complaint and leaves the list, as in `pengaduan flagged`.
    let page = c.get("/ditandai");
    assert!(!page.body.contains("Keluhan pelayanan"), "{}", page.body);
    assert!(!page.body.contains("Terima sebagai pengaduan"), "decided");
    // A flagged message that registered a complaint links to it.
    let relay = "To: puskesmas@example.test\r\nSubject: Tanpa pengirim\r\nMessage-ID: <tanpa@x>\r\n\
        MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAntrean apotek lama sekali.\r\n";
    let out = arrive(&site, relay, Duration::zero());
    let page = c.get("/ditandai");
    if let Outcome::New { ticket, .. } = &out {
        assert!(
            page.body.contains(&format!("href=\"/pengaduan/{ticket}\"")),
            "{}",
            page.body
        );
    } else {
        panic!("{out:?}");
    }
    let again = c.post(
        "/ditandai/terima",
        &[("csrf", &csrf), ("message_id", "curiga@x")],
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("sudah tercatat"), "{}", again.body);
}

/// The page with every new part at once (a reply to decide, attachments, the folded
/// tools, other complaints) in a real Chromium at 390 and 1366 px, the "Puas" button
/// pressed in the browser, and the flagged-mail page.
#[test]
fn the_complaint_page_with_its_actions_in_a_browser() {
    use fantoccini::Locator;
    let site = site();
    let raw = format!(
        "From: Siti Aminah <siti@example.test>\r\nTo: puskesmas@example.test\r\nSubject: Obat hipertensi habis\r\n\
         Message-ID: <foto@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSudah dua minggu obat hipertensi kosong di apotek. \
         Foto resep dan antrean terlampir. Hubungi 0812-3456-7890.\r\n\
         --b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=foto-resep-dokter-puskesmas-kademangan.jpg\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        base64(&[7u8; 40_000])
    );
    let t = match arrive(&site, &raw, Duration::zero()) {
        Outcome::New { ticket, .. } => ticket,
        other => panic!("{other:?}"),
    };
    complaint(
        &site,
        "lama@x",
        "Siti Aminah <siti@example.test>",
        "Antrean pendaftaran lama",
        "Antrean lama.",
    );
    let mut c = site.login("rina", PW);
    let csrf = c.csrf(&format!("/pengaduan/{t}"));
    answer(&mut c, &t, &csrf);
    unclear_reply(
        &site,
        "ragu@x",
        &t,
        "Terima kasih, tapi kemarin saya datang lagi dan obatnya masih belum ada.",
    );
    let raw = "From: Admin <admin@kemenkes.go.id.info>\r\nTo: puskesmas@example.test\r\n\
        Subject: Pemberitahuan akreditasi\r\nMessage-ID: <curiga@x>\r\n\r\nSegera isi formulir.\r\n";
    arrive(&site, raw, Duration::zero());

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = support::browser::Browser::start().await;
        b.log_in(&site.url, "rina", PW).await;
        b.client
            .goto(&format!("{}/pengaduan/{t}", site.url))
            .await
            .unwrap();
        for width in [390, 1366] {
            b.screenshot("pengaduan-aksi", width).await;
        }
        // The folded tools open; the page below them.
        for summary in b
            .client
            .find_all(Locator::Css("details.tool summary"))
            .await
            .unwrap()
        {
            summary.click().await.unwrap();
        }
        b.client
            .execute("document.querySelector('.tools').scrollIntoView()", vec![])
            .await
            .unwrap();
        for width in [390, 1366] {
            b.screenshot("pengaduan-aksi-alat", width).await;
        }
        b.client
            .execute(
                "document.querySelector('ul.attachments').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        b.screenshot("pengaduan-aksi-lampiran", 390).await;
        b.client
            .execute(
                "document.querySelector('form[action$=\"/rujuk\"]').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        b.screenshot("pengaduan-aksi-rujuk", 390).await;

        b.client
            .find(Locator::Css("button[value='puas']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let badge = b
            .client
            .wait()
            .for_element(Locator::Css("h1 .badge.s-closed_satisfied"))
            .await
            .unwrap();
        assert_eq!(badge.text().await.unwrap(), "selesai (puas)");

        b.client
            .find(Locator::LinkText("Surel ditandai"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.client
            .wait()
            .for_element(Locator::Css("ul.flagged"))
            .await
            .unwrap();
        for summary in b
            .client
            .find_all(Locator::Css("ul.flagged summary"))
            .await
            .unwrap()
        {
            summary.click().await.unwrap();
        }
        for width in [390, 1366] {
            b.screenshot("ditandai", width).await;
        }
        b.client
            .find(Locator::LinkText("Surel otomatis"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.client
            .wait()
            .for_element(Locator::Css(
                "nav.tabs a[aria-current='page'][href='/ditandai?otomatis=1']",
            ))
            .await
            .unwrap();
        b.screenshot("ditandai-otomatis", 390).await;
        b.close().await;
    });
    assert!(has_event(&site, &t, "status:closed_satisfied", "rina"));
}

/// An answered complaint closes from its page with one of three buttons (Puas, Tidak puas,
/// Tidak ada tanggapan) and how the answer was heard; each records the outcome with the
/// account, through the same `close` as the command line. No reply is only possible
/// once the answer has reached the complainant.
#[test]
fn the_three_outcome_buttons_close_an_answered_complaint() {
    let site = site();
    let mut c = site.login("rina", PW);
    let mut tickets = Vec::new();
    for (id, from) in [
        ("p@x", "Siti <siti@example.test>"),
        ("q@x", "Budi <budi@example.test>"),
        ("r@x", "Ani <ani@example.test>"),
    ] {
        let t = complaint(&site, id, from, "Obat habis", "Obat hipertensi kosong.");
        let csrf = c.csrf(&format!("/pengaduan/{t}"));
        answer(&mut c, &t, &csrf);
        tickets.push(t);
    }
    let [puas, tidak, diam] = [tickets[0], tickets[1], tickets[2]];
    let path = |t: &Ticket| format!("/pengaduan/{t}");
    let page = c.get(&path(&puas));
    for part in [
        "value=\"puas\"",
        "value=\"tidak-puas\"",
        "value=\"tanpa-tanggapan\"",
        "name=\"cara\"",
        "<option value=\"telepon\">",
        "<option value=\"langsung\">",
        "belum dihitung sebagai dijawab",
    ] {
        assert!(page.body.contains(part), "{part}: {}", page.body);
    }
    let csrf = support::web::csrf_in(&page.body).unwrap();
    let close = |c: &mut Client, t: &Ticket, form: &[(&str, &str)]| {
        let mut form = form.to_vec();
        form.push(("csrf", &csrf));
        c.post(&format!("{}/tutup", path(t)), &form)
    };

    // The outcome is required, and must be one of the three.
    let r = close(&mut c, &puas, &[("cara", "telepon")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("tanggapan pengadu"), "{}", r.body);
    let r = close(
        &mut c,
        &puas,
        &[("tanggapan", "senang"), ("cara", "telepon")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = close(&mut c, &puas, &[("tanggapan", "puas"), ("cara", "surel")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(row(&site, &puas).status.as_str(), "answered");

    let r = close(&mut c, &puas, &[("tanggapan", "puas"), ("cara", "telepon")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let done = row(&site, &puas);
    assert_eq!(
        (
            done.status.as_str(),
            done.satisfaction_heard.map(|h| h.as_str())
        ),
        ("closed_satisfied", Some("telepon"))
    );
    assert!(has_event(&site, &puas, "status:closed_satisfied", "rina"));
    let page = c.get(&path(&puas));
    assert!(
        page.body.contains("dicatat petugas: telepon"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("value=\"tanpa-tanggapan\""), "closed");

    let r = close(
        &mut c,
        &tidak,
        &[("tanggapan", "tidak-puas"), ("cara", "langsung")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let done = row(&site, &tidak);
    assert_eq!(
        (
            done.status.as_str(),
            done.satisfaction_heard.map(|h| h.as_str())
        ),
        ("referred", Some("langsung"))
    );
    assert!(has_event(&site, &tidak, "status:referred", "rina"));
    assert!(events(&site, &tidak)
        .iter()
        .any(|e| e.kind == "referral_queued"));

    // The answer still waits in the outbox: the complainant cannot have kept silent.
    let r = close(
        &mut c,
        &diam,
        &[("tanggapan", "tanpa-tanggapan"), ("cara", "telepon")],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("belum terkirim"), "{}", r.body);
    // The SMTP server takes every queued mail.
    let mut store = site.store();
    let later = site.clock_now() + Duration::hours(1);
    while let Some(mail) = store
        .claim_due_mail(later, later + Duration::minutes(5))
        .unwrap()
    {
        store.mark_sent(&mail, later).unwrap();
    }
    assert_eq!(row(&site, &diam).answer_sent_at, Some(later));
    let r = close(
        &mut c,
        &diam,
        &[("tanggapan", "tanpa-tanggapan"), ("cara", "telepon")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let done = row(&site, &diam);
    assert_eq!(
        (done.status.as_str(), done.satisfaction_heard),
        ("closed_without_reply", None)
    );
    assert!(has_event(
        &site,
        &diam,
        "status:closed_without_reply",
        "rina"
    ));
}

/// Issue 18, invariant 12: machine mail is listed on the *Surel otomatis* tab, newest
/// first with its reason, and one a person wrote is accepted from there in one step.
#[test]
fn machine_mail_is_listed_on_its_tab_and_accepted_in_one_step() {
    let site = site();
    for (id, subject, minutes) in [
        ("bulan@x", "Buletin bulan ini", 0),
        ("keluhan@x", "Keluhan loket", 5),
    ] {
        let raw = format!(
            "From: Warga <warga@example.test>\r\nTo: puskesmas@example.test\r\n\
             Auto-Submitted: auto-generated\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\r\n\
             Antrean di loket pendaftaran lama sekali.\r\n"
        );
        let out = arrive(&site, &raw, Duration::minutes(minutes));
        assert!(matches!(out, Outcome::Machine { .. }), "{out:?}");
    }
    let mut c = site.login("rina", PW);
    assert!(
        !c.get("/ditandai").body.contains("Keluhan loket"),
        "not flagged"
    );
    let page = c.get("/ditandai?otomatis=1");
    assert_eq!(page.status, 200, "{}", page.body);
    let (newest, older) = (
        page.body.find("Keluhan loket").unwrap(),
        page.body.find("Buletin bulan ini").unwrap(),
    );
    assert!(newest < older, "newest first");
    assert!(page.body.contains("Alasan: "), "{}", page.body);
    let csrf = support::web::csrf_in(&page.body).unwrap();
    let r = c.post(
        "/ditandai/terima",
        &[
            ("csrf", &csrf),
            ("message_id", "keluhan@x"),
            ("otomatis", "1"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let t: Ticket = r
        .location
        .unwrap()
        .trim_start_matches("/pengaduan/")
        .parse()
        .unwrap();
    assert_eq!(row(&site, &t).subject, "Keluhan loket");
    assert!(has_event(&site, &t, "accepted", "rina"));
    // Accepted, it is the complaint's own message and leaves the machine list.
    let page = c.get("/ditandai?otomatis=1");
    assert!(!page.body.contains("Keluhan loket"), "{}", page.body);
    assert!(page.body.contains("Buletin bulan ini"));
}
