//! Issue 13, Catat pengaduan from SP4N-LAPOR! in a real headless Chromium: the form with
//! its report-number field, the refusal without a number, and the complaint page showing
//! the number next to the channel, at 390 px and 1366 px (`target/screenshots/`).

mod support;

use fantoccini::Locator;
use support::browser::Browser;
use support::web::Site;

const PW: &str = "petugas-rahasia-1";

#[test]
fn a_lapor_complaint_is_entered_in_the_browser_and_shows_its_number() {
    let site = Site::start();
    site.add_user("rina", "petugas", PW);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = Browser::start().await;
        b.log_in(&site.url, "rina", PW).await;
        b.client.goto(&format!("{}/catat", site.url)).await.unwrap();
        let choose_lapor = || async {
            b.client
                .find(Locator::Css("select[name='channel'] option[value='lapor']"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        };
        choose_lapor().await;
        let form = b
            .client
            .form(Locator::Css("form[action='/catat']"))
            .await
            .unwrap();
        form.set_by_name("text", "Petugas loket KIA tidak ada pada jam layanan.")
            .await
            .unwrap();
        form.set_by_name("name", "Bu Lestari").await.unwrap();
        // Without the number: the form comes back with the reason, the text kept.
        form.submit().await.unwrap();
        let error = b
            .client
            .wait()
            .for_element(Locator::Css("p.error"))
            .await
            .unwrap();
        let why = error.text().await.unwrap();
        assert!(why.contains("perlu nomor laporannya"), "{why}");
        for width in [390, 1366] {
            b.screenshot("catat-lapor-tanpa-nomor", width).await;
        }
        let form = b
            .client
            .form(Locator::Css("form[action='/catat']"))
            .await
            .unwrap();
        form.set_by_name("lapor_number", "#1916449").await.unwrap();
        for width in [390, 1366] {
            b.screenshot("catat-lapor", width).await;
        }
        form.submit().await.unwrap();
        b.client
            .wait()
            .for_url(
                &format!("{}/pengaduan/ADU-2026-0001", site.url)
                    .parse()
                    .unwrap(),
            )
            .await
            .unwrap();
        let facts = b
            .client
            .wait()
            .for_element(Locator::Css("dl.facts"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(facts.contains("SP4N-LAPOR!"), "{facts}");
        assert!(facts.contains("Nomor LAPOR!: 1916449"), "{facts}");
        for width in [390, 1366] {
            b.screenshot("pengaduan-lapor", width).await;
        }
        b.close().await;
    });
}
