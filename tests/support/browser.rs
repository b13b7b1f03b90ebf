//! A real headless Chromium driven over WebDriver: Debian's `chromedriver` on a free
//! loopback port, `fantoccini` as the client (plain http to the driver, so no TLS crate).
//! Screenshots go to `target/screenshots/NAME-WIDTH.png`.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    pub async fn start() -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: run scripts/install-test-deps.sh (chromium, chromium-driver)"
        );
        let port = free_port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start chromedriver");
        // Wait until it listens (it is a separate process; no fixed sleep).
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || driver.try_wait().unwrap().is_some() {
                let _ = driver.kill();
                panic!("chromedriver did not start listening on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        // As root Chromium refuses to start without --no-sandbox; the others keep a
        // container run quiet and self-contained (no /dev/shm, no network of its own).
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": CHROMIUM, "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("cannot open a Chromium session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Resizes the window to `width` (a phone's height for narrow widths, a laptop's
    /// otherwise) and writes what it shows to `target/screenshots/NAME-WIDTH.png`.
    pub async fn screenshot(&self, name: &str, width: u32) -> PathBuf {
        let height = if width < 600 { 844 } else { 768 };
        self.client.set_window_size(width, height).await.unwrap();
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}-{width}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Waits (up to 30 s) until the browser shows a page at `path` (the URL's path,
    /// query ignored): after a click or a submit, before asserting on the next page.
    pub async fn wait_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let now = self.client.current_url().await.unwrap();
            if now.path() == path {
                // The URL changes when the new page starts loading; wait until it is parsed.
                self.client
                    .wait()
                    .for_element(fantoccini::Locator::Css("body"))
                    .await
                    .unwrap();
                return;
            }
            if Instant::now() > deadline {
                panic!("the browser stayed at {now}, waiting for {path}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 30 s) for an element matching the CSS selector and returns it.
    pub async fn wait_css(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?} appeared: {e}"))
    }

    /// Logs in at `url` (the site's base) as `name` and waits for the staff menu, so the
    /// next navigation cannot cancel the login's answer.
    pub async fn log_in(&self, url: &str, name: &str, password: &str) {
        self.client.goto(&format!("{url}/login")).await.unwrap();
        let field = self.wait_css("#name").await;
        field.clear().await.unwrap();
        field.send_keys(name).await.unwrap();
        self.wait_css("#password")
            .await
            .send_keys(password)
            .await
            .unwrap();
        self.wait_css("form[action='/login'] button")
            .await
            .click()
            .await
            .unwrap();
        self.wait_css("header nav").await;
    }

    /// Runs `script` in the page and returns its value as JSON.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
