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
    /// The dashboard's own origin, as a browser sends it in `Origin`: `web.public_url` if
    /// set, else `url`.
    pub origin: String,
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
        let public_url = cfg.web.as_ref().and_then(|w| w.public_url.clone());
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
            origin: public_url.unwrap_or_else(|| format!("http://{addr}")),
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
        let mut c = Client::new(&self.url);
        c.origin = Some(self.origin.clone());
        c
    }

    /// A client whose connections come from `from` (another 127.0.0.x: Linux routes all of
    /// 127.0.0.0/8 to loopback), as a second computer would.
    pub fn client_from(&self, from: &str) -> Client {
        let mut c = self.client();
        c.from = Some(from.parse().unwrap());
        c
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
    /// The `Origin` sent with every POST, as a browser does (`None`: no Origin header).
    /// `Client::new` sets the base URL; `Site::client` the site's own origin.
    pub origin: Option<String>,
    /// The local address to connect from (`Site::client_from`); `None`: the system's choice.
    pub from: Option<std::net::IpAddr>,
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
            origin: Some(base.to_string()),
            from: None,
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
        if let Some(from) = self.from {
            return self.raw(from, "GET", path, None);
        }
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
        if let Some(from) = self.from {
            return self.raw(from, "POST", path, Some(&form_encoded(form)));
        }
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header());
        for (k, v) in &self.extra {
            req = req.header(k, v);
        }
        if let Some(origin) = &self.origin {
            req = req.header("Origin", origin);
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

impl Client {
    /// One HTTP/1.1 request on a connection bound to `from` (ureq cannot choose its local
    /// address), with the same cookies, headers and Origin as `get`/`post`.
    fn raw(
        &mut self,
        from: std::net::IpAddr,
        method: &str,
        path: &str,
        form: Option<&str>,
    ) -> Reply {
        use std::io::{Read, Write};
        let host = self.base.trim_start_matches("http://").to_string();
        let to: std::net::SocketAddr = host.parse().expect("a site on an IP address and port");
        let mut stream = connect_from(from, to);
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        if !self.cookies.is_empty() {
            head.push_str(&format!("Cookie: {}\r\n", self.cookie_header()));
        }
        for (k, v) in &self.extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(body) = form {
            if let Some(origin) = &self.origin {
                head.push_str(&format!("Origin: {origin}\r\n"));
            }
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(form.unwrap_or(""));
        stream.write_all(head.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head");
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut body = raw[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
        {
            body = dechunk(&body);
        }
        for (_, set) in headers.iter().filter(|(k, _)| k == "set-cookie") {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !set.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        Reply {
            status,
            location: headers
                .iter()
                .find(|(k, _)| k == "location")
                .map(|(_, v)| v.clone()),
            body: String::from_utf8(body).unwrap_or_else(|e| format!("(body unreadable: {e})")),
            headers,
        }
    }
}

/// A blocking TCP connection to `to` from the local address `from` (port chosen by the
/// system): tokio's `TcpSocket` binds before it connects; std's `TcpStream` cannot.
fn connect_from(from: std::net::IpAddr, to: std::net::SocketAddr) -> std::net::TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    rt.block_on(async {
        let socket = match from {
            std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
            std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
        }
        .unwrap();
        socket.bind(std::net::SocketAddr::new(from, 0)).unwrap();
        let stream = socket.connect(to).await.unwrap().into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        stream
    })
}

/// `application/x-www-form-urlencoded`, as a browser writes a form.
fn form_encoded(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    form.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The body of a `Transfer-Encoding: chunked` response.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&raw[..eol]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
    out
}
