//! The dashboard in a real headless Chromium: logging in, a wrong password, and the pages
//! at a phone's width (390 px) and an office PC's (1366 px), photographed into
//! `target/screenshots/`.

mod support;

use fantoccini::Locator;
use support::browser::Browser;
use support::web::Site;

const PW: &str = "petugas-rahasia-1";

async fn fill_login(b: &Browser, name: &str, password: &str) {
    let field = b.client.find(Locator::Id("name")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(name).await.unwrap();
    b.client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    b.client
        .find(Locator::Css("form[action='/login'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[test]
fn staff_log_in_in_a_browser_and_see_the_register() {
    let site = Site::start();
    site.add_user("siti", "petugas", PW);
    site.ingest_samples();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = Browser::start().await;
        // Anonymous: the register sends the browser to the login page.
        b.client.goto(&format!("{}/", site.url)).await.unwrap();
        assert_eq!(b.client.current_url().await.unwrap().path(), "/login");
        assert_eq!(
            b.client.title().await.unwrap(),
            "Masuk · Puskesmas Kademangan"
        );
        for width in [390, 1366] {
            b.screenshot("login", width).await;
        }

        fill_login(&b, "siti", "salah-sekali").await;
        let error = b.wait_css(".error").await;
        assert_eq!(
            error.text().await.unwrap(),
            "Nama pengguna atau kata sandi salah."
        );
        // The name stays filled in, the password does not.
        let name = b.client.find(Locator::Id("name")).await.unwrap();
        assert_eq!(name.prop("value").await.unwrap().as_deref(), Some("siti"));
        b.screenshot("login-salah", 390).await;

        fill_login(&b, "siti", PW).await;
        b.wait_path("/").await;
        let h1 = b.wait_css("h1").await;
        assert_eq!(h1.text().await.unwrap(), "Daftar pengaduan");
        let rows = b
            .client
            .find_all(Locator::Css("table.register tbody tr"))
            .await
            .unwrap();
        assert_eq!(rows.len(), site.store().count_complaints().unwrap());
        let first = rows[0].text().await.unwrap();
        assert!(first.contains("ADU-2026-"), "{first}");
        for width in [390, 1366] {
            b.screenshot("daftar", width).await;
        }
        // On a phone the first screen shows the counts and the first complaint: the
        // filters other than the search wait, closed, behind "Saring".
        b.screenshot("daftar", 390).await;
        let first_screen = b
            .js("const r = document.querySelector('table.register tbody tr').getBoundingClientRect(); \
                 return [document.querySelector('details.saring').open, r.top, window.innerHeight, \
                 document.documentElement.scrollWidth, window.innerWidth]")
            .await;
        let v: Vec<f64> = first_screen.as_array().unwrap()[1..]
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(first_screen[0], false, "the filters are closed: {first_screen}");
        assert!(v[0] < v[1] * 0.75, "the first complaint is on the first screen: {first_screen}");
        assert!(v[2] <= v[3], "nothing wider than the phone: {first_screen}");
        // A filter in use keeps them open, and the search still finds.
        b.client
            .goto(&format!("{}/?status=received", site.url))
            .await
            .unwrap();
        b.wait_css("details.saring[open] select[name='status']").await;
        b.screenshot("daftar-saring", 390).await;
        b.screenshot("daftar-saring", 1366).await;
        b.client.goto(&format!("{}/", site.url)).await.unwrap();
        b.wait_css("table.register").await;
        b.client.set_window_size(1366, 768).await.unwrap();
        // One complaint, opened from its ticket in the list.
        b.client
            .find(Locator::Css("a[href='/pengaduan/ADU-2026-0001']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.wait_path("/pengaduan/ADU-2026-0001").await;
        b.wait_css("dl.facts").await;
        for width in [390, 1366] {
            b.screenshot("pengaduan", width).await;
        }
        b.client.goto(&format!("{}/", site.url)).await.unwrap();
        // The cookie is not readable from script (HttpOnly).
        let cookies = b
            .client
            .execute("return document.cookie", vec![])
            .await
            .unwrap();
        assert!(
            !cookies.as_str().unwrap().contains("pengaduan_sesi"),
            "{cookies}"
        );

        // Logging out from the header's button ends the session.
        b.client
            .find(Locator::Css("form[action='/keluar'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.wait_path("/login").await;
        b.wait_css("form[action='/login']").await;
        b.client.goto(&format!("{}/", site.url)).await.unwrap();
        assert_eq!(b.client.current_url().await.unwrap().path(), "/login");
        b.close().await;
    });
}

#[test]
fn an_admin_adds_an_account_from_the_browser() {
    let site = Site::start();
    site.add_user("admin", "admin", "admin-rahasia-1");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = Browser::start().await;
        b.client.goto(&format!("{}/login", site.url)).await.unwrap();
        fill_login(&b, "admin", "admin-rahasia-1").await;
        b.wait_path("/").await;
        b.client
            .wait()
            .for_element(Locator::LinkText("Akun"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.wait_path("/akun").await;
        b.wait_css("form[action='/akun']").await;
        let form = b
            .client
            .form(Locator::Css("form[action='/akun']"))
            .await
            .unwrap();
        form.set_by_name("name", "budi").await.unwrap();
        form.set_by_name("password", "budi-rahasia-1")
            .await
            .unwrap();
        b.client
            .find(Locator::Css("#role option[value='kepala']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        form.submit().await.unwrap();
        // The answer is /akun again, so its URL says nothing: wait for the new row.
        b.client
            .wait()
            .at_most(std::time::Duration::from_secs(30))
            .for_element(Locator::XPath(
                "//table[contains(@class,'register')]//td[normalize-space()='budi']",
            ))
            .await
            .unwrap();
        assert_eq!(b.client.current_url().await.unwrap().path(), "/akun");
        let table = b
            .client
            .find(Locator::Css("table.register"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            table.contains("budi") && table.contains("Kepala Puskesmas"),
            "{table}"
        );
        for width in [390, 1366] {
            b.screenshot("akun", width).await;
        }
        b.close().await;
    });
    let list = String::from_utf8(site.users(&["list"], "").stdout).unwrap();
    assert!(list.contains("budi") && list.contains("kepala"), "{list}");
}
