//! Script in a complaint mail never runs on the dashboard (issue 13): mail whose Subject,
//! sender name, text part, HTML part and an HTML attachment carry script payloads is
//! registered through the real pipeline, and the list and the complaint pages are opened in
//! a real headless Chromium. The page's title is unchanged, no element of the payload is
//! in the DOM, no link has a `javascript:` address, and the payload is shown as text.

mod support;

use std::time::Duration;

use support::browser::Browser;
use support::web::Site;

const PW: &str = "petugas-rahasia-1";
const TITLE_JS: &str = "document.title='pwned'";

/// A multipart mail with `part` as an HTML attachment named `name`.
fn with_attachment(n: u32, name: &str, part: &str) -> String {
    format!(
        "From: Warga <warga{n}@example.test>\r\nTo: puskesmas@example.test\r\n\
         Subject: Foto ruang tunggu {n}\r\nMessage-ID: <xss-att-{n}@example.test>\r\n\
         Date: Mon, 23 Nov 2026 08:1{n}:00 +0700\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
         --outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRuang tunggu penuh, lihat lampiran.\r\n\
         --outer\r\nContent-Type: text/html; charset=utf-8; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n{part}\r\n--outer--\r\n"
    )
}

/// Every payload in every place a mail can carry one, and whether the mail is registered
/// (an HTML attachment holding a script is held for a person as suspect instead).
fn hostile_mails() -> Vec<(String, bool)> {
    let script = format!("<script>{TITLE_JS}</script>");
    let img = format!("<img src=x onerror=\"{TITLE_JS}\">");
    let link = format!("<a href=\"javascript:{TITLE_JS}\">klik di sini</a>");
    let svg = format!("<svg onload=\"{TITLE_JS}\"></svg>");
    let all = format!("{script} {img} {link} {svg}");
    let mixed = format!(
        "From: \"<svg onload={TITLE_JS}>\" <jahat@example.test>\r\n\
         To: puskesmas@example.test\r\nSubject: {script} {img}\r\n\
         Message-ID: <xss-1@example.test>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0700\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=inner\r\n\r\n\
         --inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nObat habis. {all}\r\n\
         --inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Obat habis.</p>{all}\
         <iframe src=\"javascript:{TITLE_JS}\"></iframe><p onclick=\"{TITLE_JS}\">x</p>\r\n\
         --inner--\r\n"
    );
    // HTML only: what the page shows is the HTML reduced to text on arrival.
    let html_only = format!(
        "From: \"<script>{TITLE_JS}</script>\" <jahat2@example.test>\r\n\
         To: puskesmas@example.test\r\nSubject: {svg} {link}\r\n\
         Message-ID: <xss-2@example.test>\r\nDate: Mon, 23 Nov 2026 08:05:00 +0700\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Antrean lama.</p>{all}<p>&lt;script&gt;{TITLE_JS}&lt;/script&gt;</p>\r\n"
    );
    // Markup without <script>, javascript: or onload= passes the phishing check: the
    // complaint is registered with its attachment, whose HTML must not reach the page.
    let quiet = with_attachment(
        1,
        &format!("<img src=x onerror={TITLE_JS}>.html"),
        &format!(
            "<html><body><h1 id=lampiran-jahat>Lampiran</h1>{img}\
             <details open ontoggle=\"{TITLE_JS}\">x</details></body></html>"
        ),
    );
    let loud = with_attachment(
        2,
        "formulir.html",
        &format!("<html><body><h1 id=lampiran-jahat>Lampiran</h1>{all}</body></html>"),
    );
    vec![
        (mixed, true),
        (html_only, true),
        (quiet, true),
        (loud, false),
    ]
}

/// What the page would hold had any payload become an element or a link.
const DOM_CHECK: &str = r#"
    const bad = document.querySelectorAll(
        'script, img, svg, iframe, object, embed, details[ontoggle], #lampiran-jahat, ' +
        '[onerror], [onload], [onclick], [ontoggle]');
    const js = Array.from(document.querySelectorAll('[href], [src], [action], [formaction]'))
        .filter(e => /^\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src')
            || e.getAttribute('action') || e.getAttribute('formaction') || ''));
    return [bad.length, js.length, document.title, document.body.innerText];
"#;

#[test]
fn script_in_a_complaint_mail_never_runs_on_the_pages() {
    let site = Site::start();
    site.add_user("rina", "petugas", PW);
    let config = pengaduan::config::Config::load(&site.config).unwrap();
    let pipeline = pengaduan::app::load_pipeline(&config).unwrap();
    let mut store = site.store();
    let mut tickets = Vec::new();
    for (raw, registered) in hostile_mails() {
        let outcome =
            support::offline::arrive(&pipeline, &mut store, raw.as_bytes(), site.clock_now());
        match outcome {
            pengaduan::app::ingest::Outcome::New { ticket, .. } if registered => {
                tickets.push(ticket.to_string())
            }
            pengaduan::app::ingest::Outcome::Suspect { reason } if !registered => {
                assert!(reason.contains("skrip"), "{reason}")
            }
            other => panic!("unexpected outcome (registered: {registered}): {other:?}"),
        }
    }
    assert_eq!(store.count_complaints().unwrap(), 3);
    drop(store);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let downloads = rt.block_on(async {
        let b = Browser::start().await;
        b.log_in(&site.url, "rina", PW).await;

        let mut downloads = Vec::new();
        let mut pages = vec![("/".to_string(), "Daftar pengaduan".to_string())];
        pages.extend(
            tickets
                .iter()
                .map(|t| (format!("/pengaduan/{t}"), t.clone())),
        );
        for (path, title) in pages {
            b.client.goto(&format!("{}{path}", site.url)).await.unwrap();
            b.wait_path(&path).await;
            b.wait_css("main h1").await;
            // An <img onerror> fires after its load fails: give it the time to.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let got = b.js(DOM_CHECK).await;
            let [bad, js, shown_title, text] = got.as_array().unwrap().as_slice() else {
                panic!("{got}")
            };
            assert_eq!(bad, 0, "{path}: a payload became an element");
            assert_eq!(js, 0, "{path}: a javascript: address");
            assert_eq!(
                shown_title.as_str().unwrap(),
                format!("{title} · Puskesmas Kademangan"),
                "{path}"
            );
            let text = text.as_str().unwrap();
            // Shown as text, not dropped: the subject of the first mail is on both pages'
            // kinds (the list, and that complaint's facts).
            if path == "/" || path.ends_with(&tickets[0]) {
                assert!(
                    text.contains(&format!("<script>{TITLE_JS}</script>")),
                    "{path}: the subject is shown as text:\n{text}"
                );
            }
            // The page is still intact after the payloads (nothing closed it early).
            let h1 = b.wait_css("main h1").await.text().await.unwrap();
            assert!(h1.contains(&title), "{path}: {h1}");
            if let Some(links) = b.js(ATTACHMENT_LINKS).await.as_array() {
                downloads.extend(
                    links
                        .iter()
                        .map(|l| (path.clone(), l.as_str().unwrap().to_string())),
                );
            }
            if path == "/" {
                b.screenshot("xss-daftar", 390).await;
            } else if path.ends_with(&tickets[0]) {
                b.screenshot("xss-pengaduan", 390).await;
            }
        }

        // The HTML attachment is offered as a link; following it downloads the file and
        // leaves the page as it was: no navigation into the attachment's HTML.
        assert!(!downloads.is_empty(), "the HTML attachment is listed");
        let (page, href) = &downloads[0];
        b.client.goto(&format!("{}{page}", site.url)).await.unwrap();
        b.wait_path(page).await;
        b.wait_css(&format!("a[href='{href}']"))
            .await
            .click()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(b.client.current_url().await.unwrap().path(), page);
        let title = b.js("return document.title").await;
        assert!(!title.as_str().unwrap().contains("pwned"), "{title}");
        b.close().await;
        downloads
    });

    // What the browser was given for each attachment: a download, never a page.
    let mut c = site.login("rina", PW);
    for (_, href) in &downloads {
        let r = c.get(href);
        assert_eq!(r.status, 200, "{href}");
        assert_eq!(
            r.header("content-type"),
            Some("application/octet-stream"),
            "{href}"
        );
        assert!(
            r.header("content-disposition")
                .unwrap_or("")
                .starts_with("attachment;"),
            "{href}: {:?}",
            r.header("content-disposition")
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
}

/// The attachment links of the page, as their `href`s.
const ATTACHMENT_LINKS: &str =
    "return Array.from(document.querySelectorAll(\"a[href^='/lampiran/']\")).map(a => a.getAttribute('href'))";
