//! Issue 13 end to end: the real `pengaduan run` with `[web]` against the real mail lab
//! (Dovecot + Postfix on loopback), driven by a real headless Chromium. A complainant
//! mails a complaint; a petugas made with `pengaduan users add` logs in, opens it from the
//! list, records the review, previews the answer as the exact email and sends it; the
//! answer arrives in the complainant's mailbox through the outbox. A telephone complaint
//! entered through /catat is then in `pengaduan complaints list`. The list and the
//! complaint page are photographed at 390 px and 1366 px (target/screenshots/e2e-*).

mod support;

use std::time::Duration;

use fantoccini::Locator;
use support::browser::Browser;
use support::daemon::{complaint, header, output, text_body, Daemon, PUSKESMAS};
use support::lab::Lab;

const PW: &str = "petugas-rahasia-1";
const WAIT: Duration = Duration::from_secs(60);
const PLAN: &str = "Loket pendaftaran pagi ditambah satu petugas mulai Senin.";
const ANSWER: &str = "Mulai Senin, 30 November 2026, loket pendaftaran pagi dilayani dua petugas.";

/// Line ends as a browser shows them, no trailing blanks: to compare shown and sent text.
fn lines(s: &str) -> String {
    s.replace("\r\n", "\n")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

async fn type_into(b: &Browser, css: &str, text: &str) {
    let field = b.wait_css(css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(b: &Browser, css: &str) {
    b.wait_css(css).await.click().await.unwrap();
}

#[test]
fn a_mailed_complaint_is_answered_from_the_browser_and_the_answer_arrives() {
    let lab = Lab::start();
    let (mut d, url) = Daemon::with_web(&lab);
    d.add_user("rina", "petugas", PW);
    d.start(&[]);

    // The complainant mails the puskesmas; the daemon registers it and acknowledges it.
    lab.deliver(
        "siti@example.test",
        &[PUSKESMAS],
        &complaint(
            "siti@example.test",
            "Siti Aminah",
            "e2e-1@example.test",
            "Antrean pendaftaran terlalu lama",
            "Saya menunggu tiga jam di loket pendaftaran pada hari Senin.",
        ),
    );
    let ack = lab
        .wait_for_messages("siti@example.test", 1, WAIT)
        .remove(0);
    let rows = d.complaints();
    assert_eq!(rows.len(), 1, "one complaint registered");
    let ticket = rows[0].ticket.to_string();
    assert!(
        header(&ack, "Subject").unwrap().contains(&ticket),
        "the acknowledgement names the ticket"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let (preview_subject, preview_text) = rt.block_on(async {
        let b = Browser::start().await;
        b.client.set_window_size(1366, 768).await.unwrap();
        b.client.goto(&format!("{url}/")).await.unwrap();
        b.wait_path("/login").await;
        type_into(&b, "#name", "rina").await;
        type_into(&b, "#password", PW).await;
        click(&b, "form[action='/login'] button").await;
        b.wait_path("/").await;
        let row = b.wait_css("table.register tbody tr").await;
        let text = row.text().await.unwrap();
        assert!(
            text.contains(&ticket) && text.contains("Antrean pendaftaran terlalu lama"),
            "{text}"
        );
        for width in [390, 1366] {
            b.screenshot("e2e-daftar", width).await;
        }

        // Opened from the list.
        click(&b, &format!("a[href='/pengaduan/{ticket}']")).await;
        b.wait_path(&format!("/pengaduan/{ticket}")).await;
        let facts = b.wait_css("dl.facts").await.text().await.unwrap();
        assert!(facts.contains("Siti Aminah"), "{facts}");
        for width in [390, 1366] {
            b.screenshot("e2e-pengaduan", width).await;
        }

        // The review plan. The answer form appears once the review is recorded.
        type_into(&b, "textarea[name='plan']", PLAN).await;
        click(
            &b,
            &format!("form[action='/pengaduan/{ticket}/telaah'] button"),
        )
        .await;
        let jawab = format!("form[action='/pengaduan/{ticket}/jawab']");
        b.wait_css(&format!("{jawab} textarea[name='text']")).await;
        assert!(b
            .js("return document.body.innerText")
            .await
            .as_str()
            .unwrap()
            .contains(PLAN));

        // The answer, previewed as the email that will be sent.
        type_into(&b, &format!("{jawab} textarea[name='text']"), ANSWER).await;
        click(&b, &format!("{jawab} > button[type='submit']")).await;
        let preview = b.wait_css("section.preview").await;
        let shown = preview.text().await.unwrap();
        assert!(shown.contains("Kepada: siti@example.test"), "{shown}");
        let subject = b
            .wait_css("section.preview > strong")
            .await
            .text()
            .await
            .unwrap();
        let body = b
            .wait_css("section.preview pre.mailtext")
            .await
            .text()
            .await
            .unwrap();
        assert!(subject.contains(&ticket), "{subject}");
        assert!(body.contains(ANSWER), "{body}");
        assert!(body.contains("PUAS"), "the reply instructions: {body}");
        b.client.set_window_size(390, 844).await.unwrap();
        b.js("document.querySelector('section.preview').scrollIntoView(); return 0")
            .await;
        b.screenshot("e2e-pratinjau", 390).await;

        click(&b, "section.preview button[name='send']").await;
        b.wait_css("h1 .badge.s-answered").await;
        let page = b.js("return document.body.innerText").await;
        assert!(page.as_str().unwrap().contains(ANSWER));
        b.close().await;
        (subject, body)
    });

    // The outbox delivers the answer into the complainant's own mailbox, in her thread.
    let answer = d.wait_for_mail(&lab, "siti@example.test", 2).remove(1);
    let subject = header(&answer, "Subject").unwrap();
    assert!(subject.contains(&ticket), "{subject}");
    assert_eq!(
        subject, preview_subject,
        "the preview showed the subject sent"
    );
    assert_eq!(
        lines(&text_body(&answer)),
        lines(&preview_text),
        "the preview showed the text sent"
    );
    assert!(text_body(&answer).contains(ANSWER));
    assert_eq!(
        header(&answer, "In-Reply-To").as_deref(),
        Some("e2e-1@example.test")
    );
    assert_eq!(d.complaints()[0].status.as_str(), "answered");

    // A telephone complaint entered through /catat is in the register the CLI prints.
    rt.block_on(async {
        let b = Browser::start().await;
        b.log_in(&url, "rina", PW).await;
        b.client
            .wait()
            .for_element(Locator::LinkText("Catat pengaduan"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.wait_path("/catat").await;
        click(&b, "select[name='channel'] option[value='telepon']").await;
        type_into(&b, "input[name='name']", "Pak Darmo").await;
        type_into(&b, "input[name='address']", "Dusun Krajan RT 02").await;
        type_into(&b, "input[name='phone']", "0812-3456-7890").await;
        type_into(
            &b,
            "textarea[name='text']",
            "Apotek tutup sebelum jam layanan berakhir.",
        )
        .await;
        click(&b, "form[action='/catat'] button[type='submit']").await;
        // The new complaint's own page: wait for its facts, then read its ticket.
        b.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::XPath(
                "//dl[contains(@class,'facts')]//dd[contains(., 'Pak Darmo')]",
            ))
            .await
            .unwrap();
        let path = b.client.current_url().await.unwrap().path().to_string();
        assert!(path.starts_with("/pengaduan/ADU-"), "{path}");
        b.close().await;
    });
    let out = d.run_cli(&["complaints", "list", "--all", "--json"]);
    assert!(out.status.success(), "{}", output(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entered = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["complainant_name"] == "Pak Darmo")
        .unwrap_or_else(|| panic!("Pak Darmo is not in the register: {list:#}"));
    assert_eq!(entered["channel"], "telepon", "{entered:#}");
    assert!(d.stop(), "clean exit on SIGTERM\n{}", d.log());
}
