//! The staff dashboard on a real SQLite file, served over real TCP on loopback by the
//! crate's own router, with a clock the test drives. Accounts are made with the real
//! binary (`pengaduan users add`, password on stdin), as an operator would.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use pengaduan::clock::Clock;
use pengaduan::config::Config;
use pengaduan::store::{SharedStore, Store};
use pengaduan::web::WebApp;
use tokio::sync::watch;

pub struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    pub fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

/// Monday 2026-11-23 09:00 WIB.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
}

pub struct Site {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub url: String,
    pub clock: Arc<TestClock>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Site {
    pub fn start() -> Site {
        Site::with("")
    }

    /// `web` is appended to the `[web]` section (e.g. `session_idle_minutes = 30`).
    pub fn with(web: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let root = env!("CARGO_MANIFEST_DIR");
        let config = dir.path().join("pengaduan.toml");
        std::fs::write(
            &config,
            format!(
                "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"puskesmas@example.test\"\n\
                 [storage]\ndatabase = \"{db}\"\n[calendar]\nholidays = [\"{root}/config/libur-nasional-2026.toml\"]\n\
                 [templates]\ndir = \"{root}/templates\"\n[web]\nlisten = \"127.0.0.1:0\"\n{web}\n",
                db = dir.path().join("p.db").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let cfg = Config::load(&config).unwrap();
        // Migrated here, before the server and any `users` command open it: two processes
        // migrating one new file at once collide (Store::open reads the version outside
        // its transaction).
        drop(Store::open(&cfg.storage.database).unwrap());
        let clock = Arc::new(TestClock(Mutex::new(start_time())));
        let (stop, stopped) = watch::channel(false);
        let (tx, rx) = std::sync::mpsc::channel();
        let app_clock: Arc<dyn Clock> = clock.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let settings = cfg.web.clone().unwrap();
                let listener = pengaduan::web::bind(&settings).await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let store = SharedStore::new(Store::open(&cfg.storage.database).unwrap());
                let app = WebApp::new(&cfg, settings, store, app_clock).unwrap();
                pengaduan::web::serve(listener, Arc::new(app), stopped)
                    .await
                    .unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Site {
            dir,
            config,
            url: format!("http://{addr}"),
            clock,
            stop,
            thread: Some(thread),
        }
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("p.db")
    }

    pub fn store(&self) -> Store {
        Store::open(&self.db()).unwrap()
    }

    /// `pengaduan users ARGS` with `stdin` piped in.
    pub fn users(&self, args: &[&str], stdin: &str) -> Output {
        users(&self.config, args, stdin)
    }

    pub fn add_user(&self, name: &str, role: &str, password: &str) {
        let out = self.users(&["add", name, "--role", role], &format!("{password}\n"));
        assert!(out.status.success(), "users add {name}: {out:?}");
    }

    /// The bundled sample mail (`samples/inbox/`) arrives now, through the real pipeline.
    pub fn ingest_samples(&self) {
        let config = Config::load(&self.config).unwrap();
        let pipeline = pengaduan::app::load_pipeline(&config).unwrap();
        let mut store = self.store();
        let mut files: Vec<_> =
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/inbox"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
        files.sort();
        for f in files {
            let raw = std::fs::read(&f).unwrap();
            super::offline::arrive(&pipeline, &mut store, &raw, self.clock.now());
        }
    }

    /// Records a successful mailbox read now, as the watcher does.
    pub fn mailbox_read(&self) {
        self.store()
            .set_health(
                pengaduan::store::health::keys::IMAP_OK,
                "",
                self.clock.now(),
            )
            .unwrap();
    }

    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// A client logged in as `name`.
    pub fn login(&self, name: &str, password: &str) -> Client {
        let mut c = self.client();
        let r = c.login(name, password);
        assert_eq!(r.status, 303, "login {name}: {}", r.body);
        c
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn users(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pengaduan"))
        .arg("--config")
        .arg(config)
        .arg("users")
        .args(args)
        .env("USER", "operator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A refused command may exit before reading its input.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A browser without a browser: keeps cookies, follows no redirect.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    pub cookies: Vec<(String, String)>,
    /// Headers sent with every request (e.g. X-Forwarded-For).
    pub extra: Vec<(String, String)>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            base: base.to_string(),
            agent,
            cookies: Vec::new(),
            extra: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn take(&mut self, mut r: ureq::http::Response<ureq::Body>) -> Reply {
        let headers: Vec<(String, String)> = r
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        for (_, set) in headers.iter().filter(|(k, _)| k == "set-cookie") {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !set.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        Reply {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string()),
            headers,
            body: r
                .body_mut()
                .read_to_string()
                .unwrap_or_else(|e| format!("(body unreadable: {e})")),
        }
    }

    pub fn get(&mut self, path: &str) -> Reply {
        let mut req = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header());
        for (k, v) in &self.extra {
            req = req.header(k, v);
        }
        let r = req.call().unwrap();
        self.take(r)
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header());
        for (k, v) in &self.extra {
            req = req.header(k, v);
        }
        let r = req.send_form(form.iter().copied()).unwrap();
        self.take(r)
    }

    /// The CSRF token of the page at `path` (its first form's hidden field).
    pub fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path);
        csrf_in(&page.body).unwrap_or_else(|| panic!("no csrf field on {path}: {}", page.body))
    }

    /// Opens the login page, then posts the form as a browser would.
    pub fn login(&mut self, name: &str, password: &str) -> Reply {
        let csrf = self.csrf("/login");
        self.post(
            "/login",
            &[("csrf", &csrf), ("name", name), ("password", password)],
        )
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[at..at + 64].to_string())
}
