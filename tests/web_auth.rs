//! The dashboard's gates, over HTTP against the crate's router on a real SQLite file:
//! every route's access rule, CSRF on every POST, roles, session expiry, the login rate
//! limit, and the `users` commands that make the accounts.

mod support;

use chrono::Duration;
use pengaduan::web::{routes, Access};
use support::web::{csrf_in, Client, Site};

const ADMIN_PW: &str = "admin-rahasia-1";
const PETUGAS_PW: &str = "petugas-rahasia-1";

fn site_with_users() -> Site {
    let site = Site::start();
    site.add_user("admin", "admin", ADMIN_PW);
    site.add_user("siti", "petugas", PETUGAS_PW);
    site
}

/// Every route of `web::routes()`, every method, without a session: staff routes are
/// refused; public ones answer. A route added to the table is covered here by itself.
#[test]
fn anonymous_requests_are_refused_on_every_staff_route() {
    let site = Site::start();
    let table = routes();
    assert!(table.iter().any(|r| r.access == Access::Staff));
    for route in &table {
        for method in &route.methods {
            let mut c = site.client();
            let reply = match method.as_str() {
                "GET" => c.get(route.path),
                "POST" => {
                    // A valid login-form token, so CSRF passes and the session gate decides.
                    let csrf = c.csrf("/login");
                    c.post(route.path, &[("csrf", &csrf), ("name", "x")])
                }
                m => panic!("untested method {m} on {}", route.path),
            };
            let what = format!("{method} {}", route.path);
            match route.access {
                Access::Staff if method == "GET" => {
                    assert_eq!(reply.status, 303, "{what}");
                    assert_eq!(reply.location.as_deref(), Some("/login"), "{what}");
                }
                Access::Staff => assert_eq!(reply.status, 401, "{what}: {}", reply.body),
                Access::Public | Access::Metrics if route.path == "/login" && method == "POST" => {
                    // The login form itself: wrong credentials, not a refusal of the route.
                    assert_eq!(reply.status, 401, "{what}");
                }
                Access::Public => {
                    // /healthz answers 503 on a daemon that never read its mailbox.
                    assert!(
                        matches!(reply.status, 200 | 503),
                        "{what}: {}",
                        reply.status
                    );
                }
                Access::Metrics => assert_eq!(reply.status, 200, "{what} from loopback"),
            }
            assert!(!reply.body.contains("Daftar pengaduan</h1>"), "{what}");
        }
    }
    // Every response carries the security headers, refusals included.
    let r = site.client().get("/");
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
}

#[test]
fn login_sets_a_strict_session_cookie_and_logout_ends_it() {
    let site = site_with_users();
    let mut c = site.client();
    let wrong = c.login("siti", "salah-sekali");
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Nama pengguna atau kata sandi salah."));
    let unknown = c.login("tidakada", "salah-sekali");
    assert_eq!(unknown.status, 401);
    assert!(unknown
        .body
        .contains("Nama pengguna atau kata sandi salah."));

    let ok = c.login("Siti", PETUGAS_PW);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let set = ok
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("pengaduan_sesi="))
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "no https public_url: {set}");
    let home = c.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Daftar pengaduan"));
    assert!(home.body.contains("Keluar (siti)"));

    let csrf = csrf_in(&home.body).unwrap();
    let out = c.post("/keluar", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert_eq!(c.get("/").status, 303, "logged out");

    let events: Vec<(String, String)> = {
        let db = rusqlite::Connection::open(site.db()).unwrap();
        let mut stmt = db
            .prepare("SELECT actor, kind FROM events WHERE complaint_id IS NULL ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|(a, k)| (a.as_str(), k.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("cli:operator", "account_added"),
            ("cli:operator", "account_added"),
            ("siti", "login_failed"),
            ("tidakada", "login_failed"),
            ("siti", "login"),
            ("siti", "logout"),
        ]
    );
}

#[test]
fn secure_cookie_when_the_public_url_is_https() {
    let site = Site::with("public_url = \"https://pengaduan.example\"");
    site.add_user("siti", "petugas", PETUGAS_PW);
    let mut c = site.client();
    let ok = c.login("siti", PETUGAS_PW);
    assert!(ok.headers.iter().any(|(k, v)| k == "set-cookie"
        && v.starts_with("pengaduan_sesi=")
        && v.contains("; Secure")));
}

#[test]
fn a_post_without_its_csrf_token_is_refused() {
    let site = site_with_users();
    let mut c = site.login("admin", ADMIN_PW);
    let form = [
        ("name", "budi"),
        ("role", "petugas"),
        ("password", "budi-rahasia-1"),
    ];
    let none = c.post("/akun", &form);
    assert_eq!(none.status, 403, "{}", none.body);
    let mut forged = form.to_vec();
    let other = "0".repeat(64);
    forged.push(("csrf", &other));
    assert_eq!(c.post("/akun", &forged).status, 403);
    // Another session's token does not do either.
    let mut s = site.login("siti", PETUGAS_PW);
    let sitis = s.csrf("/");
    let mut stolen = form.to_vec();
    stolen.push(("csrf", &sitis));
    assert_eq!(c.post("/akun", &stolen).status, 403);
    // Logout too needs it.
    assert_eq!(c.post("/keluar", &[]).status, 403);
    assert_eq!(c.get("/").status, 200, "still logged in");
    // The login form as well: no token, no login.
    let mut anon = Client::new(&site.url);
    let r = anon.post("/login", &[("name", "admin"), ("password", ADMIN_PW)]);
    assert_eq!(r.status, 403);
    assert!(!site.users(&["list"], "").stdout.is_empty());
    let list = String::from_utf8(site.users(&["list"], "").stdout).unwrap();
    assert!(!list.contains("budi"), "{list}");
}

#[test]
fn a_petugas_cannot_add_users_an_admin_can() {
    let site = site_with_users();
    let mut p = site.login("siti", PETUGAS_PW);
    assert_eq!(p.get("/akun").status, 403);
    let csrf = p.csrf("/");
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "budi"),
        ("role", "admin"),
        ("password", "budi-rahasia-1"),
    ];
    assert_eq!(p.post("/akun", &form).status, 403);
    assert_eq!(
        p.post("/akun/nonaktifkan", &[("csrf", &csrf), ("name", "admin")])
            .status,
        403
    );
    assert!(
        !p.get("/").body.contains("href=\"/akun\""),
        "no link for a petugas"
    );

    let mut a = site.login("admin", ADMIN_PW);
    let csrf = a.csrf("/akun");
    let added = a.post(
        "/akun",
        &[
            ("csrf", &csrf),
            ("name", "budi"),
            ("role", "petugas"),
            ("password", "budi-rahasia-1"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let page = a.get("/akun");
    assert!(page.body.contains("<strong>budi</strong>"), "{}", page.body);
    // The same rules as the CLI, as status codes.
    let again = a.post(
        "/akun",
        &[
            ("csrf", &csrf),
            ("name", "budi"),
            ("role", "petugas"),
            ("password", "budi-rahasia-1"),
        ],
    );
    assert_eq!(again.status, 409);
    assert!(again.body.contains("akun budi sudah ada"));
    let weak = a.post(
        "/akun",
        &[
            ("csrf", &csrf),
            ("name", "ani"),
            ("role", "petugas"),
            ("password", "pendek"),
        ],
    );
    assert_eq!(weak.status, 422);
    let bad_role = a.post(
        "/akun",
        &[
            ("csrf", &csrf),
            ("name", "ani"),
            ("role", "raja"),
            ("password", "ani-rahasia-1"),
        ],
    );
    assert_eq!(bad_role.status, 422);
    // Names are escaped: a hostile name is refused before it reaches a page.
    let hostile = a.post(
        "/akun",
        &[
            ("csrf", &csrf),
            ("name", "<script>x</script>"),
            ("role", "petugas"),
            ("password", "ani-rahasia-1"),
        ],
    );
    assert_eq!(hostile.status, 422);
    assert!(!hostile.body.contains("<script>x"), "{}", hostile.body);

    // Disabling ends the account's sessions at once.
    let mut b = site.login("budi", "budi-rahasia-1");
    assert_eq!(b.get("/").status, 200);
    let off = a.post("/akun/nonaktifkan", &[("csrf", &csrf), ("name", "budi")]);
    assert_eq!(off.status, 303);
    assert_eq!(b.get("/").status, 303, "disabled: session ended");
    assert_eq!(
        Client::new(&site.url)
            .login("budi", "budi-rahasia-1")
            .status,
        401
    );
    assert_eq!(
        a.post("/akun/nonaktifkan", &[("csrf", &csrf), ("name", "budi")])
            .status,
        409
    );
    assert_eq!(
        a.post(
            "/akun/nonaktifkan",
            &[("csrf", &csrf), ("name", "tidakada")]
        )
        .status,
        404
    );
}

#[test]
fn a_session_expires_after_inactivity() {
    let site = Site::with("session_idle_minutes = 30");
    site.add_user("siti", "petugas", PETUGAS_PW);
    let mut c = site.login("siti", PETUGAS_PW);
    // A browser that logged in and never came back (its cookie gone with the browser).
    let _abandoned = site.login("siti", PETUGAS_PW);
    let sessions = || -> i64 {
        rusqlite::Connection::open(site.db())
            .unwrap()
            .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(sessions(), 2);
    // Activity keeps it alive: 25 minutes, a request, 25 more minutes, a request.
    for _ in 0..3 {
        site.clock.advance(Duration::minutes(25));
        assert_eq!(c.get("/").status, 200);
    }
    assert_eq!(sessions(), 1, "the abandoned session is forgotten");
    site.clock.advance(Duration::minutes(30));
    let r = c.get("/");
    assert_eq!(r.status, 303, "idle 30 minutes");
    assert_eq!(r.location.as_deref(), Some("/login"));
    // Gone for good, also when the clock is set back.
    assert_eq!(sessions(), 0);
    site.clock.advance(Duration::minutes(-60));
    assert_eq!(c.get("/").status, 303);
}

#[test]
fn logins_are_rate_limited_per_account_and_per_address() {
    let site = site_with_users();
    let mut c = site.client();
    for _ in 0..5 {
        assert_eq!(c.login("siti", "tebak-tebakan").status, 401);
    }
    // The right password does not help now: refused before it is looked at.
    let limited = c.login("siti", PETUGAS_PW);
    assert_eq!(limited.status, 429);
    assert!(
        limited
            .body
            .contains("Terlalu banyak percobaan masuk yang gagal"),
        "{}",
        limited.body
    );
    assert!(
        limited.body.contains("09.15 WIB"),
        "until the first failure leaves the window: {}",
        limited.body
    );
    // Another account from the same address still works (that limit is 20).
    assert_eq!(Client::new(&site.url).login("admin", ADMIN_PW).status, 303);
    site.clock.advance(Duration::minutes(15));
    assert_eq!(c.login("siti", PETUGAS_PW).status, 303, "window passed");

    // Twenty failures under different names from one address block the address.
    for i in 0..20 {
        let name = format!("tamu{i}");
        assert_eq!(Client::new(&site.url).login(&name, "x-x-x-x-x").status, 401);
    }
    assert_eq!(Client::new(&site.url).login("admin", ADMIN_PW).status, 429);
}

#[test]
fn users_add_reads_the_password_from_stdin_never_from_an_argument() {
    let site = Site::start();
    // As an argument: clap refuses it, so it never reaches the program.
    for args in [
        &["add", "siti", "--role", "petugas", "rahasia-123"][..],
        &[
            "add",
            "siti",
            "--role",
            "petugas",
            "--password",
            "rahasia-123",
        ][..],
    ] {
        let out = site.users(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    }
    let out = site.users(&["add", "siti", "--role", "petugas"], "pendek\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kata sandi terlalu pendek"));
    let out = site.users(&["add", "siti", "--role", "raja"], "rahasia-123\n");
    assert_eq!(out.status.code(), Some(2), "unknown role");
    let list = String::from_utf8(site.users(&["list"], "").stdout).unwrap();
    assert!(list.contains("Belum ada akun"), "{list}");

    let out = site.users(&["add", "Siti", "--role", "petugas"], "rahasia-123\n");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Akun siti (petugas) ditambahkan."));
    let dup = site.users(&["add", "siti", "--role", "admin"], "rahasia-456\n");
    assert_eq!(dup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("akun siti sudah ada"));
    let mut c = site.login("siti", "rahasia-123");
    assert_eq!(c.get("/").status, 200);

    // The stored hash is Argon2id; the password itself is nowhere in the database.
    let raw = std::fs::read(site.db()).unwrap();
    assert!(!raw.windows(11).any(|w| w == b"rahasia-123"));
    let hash: String = rusqlite::Connection::open(site.db())
        .unwrap()
        .query_row("SELECT password_hash FROM accounts", [], |r| r.get(0))
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    // passwd: the old password stops working and open sessions end.
    assert!(site
        .users(&["passwd", "siti"], "rahasia-baru-1\n")
        .status
        .success());
    assert_eq!(c.get("/").status, 303);
    assert_eq!(
        Client::new(&site.url).login("siti", "rahasia-123").status,
        401
    );
    site.login("siti", "rahasia-baru-1");
    assert_eq!(
        site.users(&["passwd", "budi"], "rahasia-baru-1\n")
            .status
            .code(),
        Some(1)
    );

    assert!(site.users(&["disable", "siti"], "").status.success());
    let list = String::from_utf8(site.users(&["list"], "").stdout).unwrap();
    assert!(
        list.contains("siti") && list.contains("nonaktif sejak"),
        "{list}"
    );
    assert_eq!(
        Client::new(&site.url)
            .login("siti", "rahasia-baru-1")
            .status,
        401
    );
}

/// The audit events without a complaint, as (actor, kind, detail), oldest first.
fn account_events(site: &Site) -> Vec<(String, String, String)> {
    let db = rusqlite::Connection::open(site.db()).unwrap();
    let mut stmt = db
        .prepare("SELECT actor, kind, detail FROM events WHERE complaint_id IS NULL ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Wrong passwords hold back the address that sent them, not the name: the right password
/// from a second computer goes in while the first is still throttled.
#[test]
fn a_second_address_logs_in_while_the_first_is_throttled() {
    let site = site_with_users();
    let mut first = site.client_from("127.0.0.1");
    for _ in 0..5 {
        assert_eq!(first.login("siti", "tebak-tebakan").status, 401);
    }
    let slowed = first.login("siti", PETUGAS_PW);
    assert_eq!(slowed.status, 429, "{}", slowed.body);
    assert!(slowed
        .body
        .contains("Terlalu banyak percobaan masuk yang gagal. Coba lagi setelah pukul 09.15 WIB."));

    let mut second = site.client_from("127.0.0.2");
    let ok = second.login("siti", PETUGAS_PW);
    assert_eq!(ok.status, 303, "from 127.0.0.2: {}", ok.body);
    assert_eq!(slowed.header("retry-after"), Some("900"));
    assert_eq!(second.get("/").status, 200);
    // The success elsewhere does not free the first address.
    assert_eq!(first.login("siti", PETUGAS_PW).status, 429);
    let logins: Vec<_> = account_events(&site)
        .into_iter()
        .filter(|(_, k, _)| k == "login")
        .collect();
    assert_eq!(
        logins,
        [("siti".into(), "login".into(), "dari 127.0.0.2".into())]
    );
}

/// A name attacked from many addresses gets a growing delay, never a lock; a browser that
/// logged in before (its device cookie) goes in at once, even from an attacking address;
/// so does a fresh browser at an address the name logged in from before.
#[test]
fn a_name_attacked_from_many_addresses_waits_but_a_known_device_goes_in_at_once() {
    let site = site_with_users();
    // Siti's own browser logged in before, and logged out.
    let mut own = site.client_from("127.0.0.10");
    assert_eq!(own.login("siti", PETUGAS_PW).status, 303);
    let csrf = own.csrf("/");
    assert_eq!(own.post("/keluar", &[("csrf", &csrf)]).status, 303);

    // The attack: five wrong passwords from one address, then one from each of four more,
    // each after the name's delay has passed.
    let mut attacker = site.client_from("127.0.0.2");
    for _ in 0..5 {
        assert_eq!(attacker.login("siti", "tebak-tebakan").status, 401);
    }
    for host in 3..=6 {
        site.clock.advance(Duration::seconds(130));
        let r = site
            .client_from(&format!("127.0.0.{host}"))
            .login("siti", "tebak-tebakan");
        assert_eq!(r.status, 401, "127.0.0.{host}: {}", r.body);
    }
    // A stranger with the right password waits: nine failures from five addresses, so
    // 2 s doubled six times, at most two minutes.
    let mut stranger = site.client_from("127.0.0.20");
    let wait = stranger.login("siti", PETUGAS_PW);
    assert_eq!(wait.status, 429, "{}", wait.body);
    assert!(
        wait.body.contains(
            "Banyak percobaan masuk yang gagal untuk nama ini dari berbagai alamat. Coba lagi \
             dalam 2 menit"
        ),
        "{}",
        wait.body
    );
    assert_eq!(wait.header("retry-after"), Some("120"));
    // Another name from the stranger's address is not held back.
    assert_eq!(
        site.client_from("127.0.0.20")
            .login("admin", ADMIN_PW)
            .status,
        303
    );

    // Siti's browser goes in at once, even from the address with five failures.
    own.from = Some("127.0.0.2".parse().unwrap());
    let ok = own.login("siti", PETUGAS_PW);
    assert_eq!(ok.status, 303, "with the device cookie: {}", ok.body);
    assert_eq!(own.get("/").status, 200);
    let device = own
        .cookies
        .iter()
        .find(|(k, _)| k == "pengaduan_perangkat_siti")
        .map(|(_, v)| v.clone())
        .expect("a device cookie after the login");
    assert!(device.starts_with("siti|"), "{device}");
    // A fresh browser where Siti logged in before skips the name's delay as well.
    let ok = site.client_from("127.0.0.10").login("siti", PETUGAS_PW);
    assert_eq!(ok.status, 303, "from a known address: {}", ok.body);

    // Not a lock: once the delay has passed, the stranger goes in too.
    site.clock.advance(Duration::seconds(120));
    assert_eq!(stranger.login("siti", PETUGAS_PW).status, 303);

    // The device cookie answers for its own failures: five wrong passwords hold it back.
    let mut own = site.client_from("127.0.0.10");
    own.cookies
        .push(("pengaduan_perangkat_siti".into(), device.clone()));
    for _ in 0..5 {
        assert_eq!(own.login("siti", "salah-ketik-1").status, 401);
    }
    let held = own.login("siti", PETUGAS_PW);
    assert_eq!(held.status, 429, "{}", held.body);
    // A made-up or altered device cookie is no device cookie.
    let mut forged = site.client_from("127.0.0.2");
    forged.cookies.push((
        "pengaduan_perangkat_siti".into(),
        device.replace("siti|", "siti|0"),
    ));
    for _ in 0..5 {
        assert_eq!(forged.login("siti", "tebak-tebakan").status, 401);
    }
    assert_eq!(forged.login("siti", PETUGAS_PW).status, 429);
}

/// Every login the throttle refuses is an audit event with the typed name and the address
/// (behind a proxy, the one `X-Forwarded-For` names).
#[test]
fn every_refused_login_is_in_the_audit_log() {
    let site = site_with_users();
    let mut c = site.client_from("127.0.0.3");
    for _ in 0..5 {
        c.login("siti", "tebak-tebakan");
    }
    assert_eq!(c.login("siti", PETUGAS_PW).status, 429);
    assert_eq!(c.login("Siti", "tebak-lagi").status, 429);
    let events = account_events(&site);
    let refused: Vec<_> = events
        .iter()
        .filter(|(_, k, _)| k == "login_refused")
        .collect();
    assert_eq!(refused.len(), 2, "{events:?}");
    for (actor, _, detail) in refused {
        assert_eq!(actor, "siti");
        assert_eq!(
            detail, "dari 127.0.0.3; ditahan (alamat) sampai 2026-11-23 09:15:00 WIB",
            "{detail}"
        );
    }
    assert_eq!(
        events
            .iter()
            .filter(|(a, k, d)| a == "siti" && k == "login_failed" && d == "dari 127.0.0.3")
            .count(),
        5
    );

    // Behind a reverse proxy (public_url set, the peer is loopback) the client is the
    // address the proxy names.
    let site = Site::with("public_url = \"https://pengaduan.example\"");
    site.add_user("siti", "petugas", PETUGAS_PW);
    let mut c = site.client();
    c.extra
        .push(("X-Forwarded-For".into(), "203.0.113.7".into()));
    for _ in 0..6 {
        c.login("siti", "tebak-tebakan");
    }
    let refused: Vec<_> = account_events(&site)
        .into_iter()
        .filter(|(_, k, _)| k == "login_refused")
        .collect();
    assert_eq!(refused.len(), 1);
    assert!(refused[0].2.starts_with("dari 203.0.113.7;"), "{refused:?}");
    // The proxy's other clients are other addresses.
    let mut other = site.client();
    other
        .extra
        .push(("X-Forwarded-For".into(), "198.51.100.4".into()));
    assert_eq!(other.login("siti", PETUGAS_PW).status, 303);
}

/// A POST from another site is refused before the form is looked at, token or not; the
/// login form's token must be one this server made.
#[test]
fn a_post_from_another_origin_or_with_a_made_up_login_token_is_refused() {
    let site = site_with_users();
    let mut a = site.login("admin", ADMIN_PW);
    let csrf = a.csrf("/akun");
    let add = |name: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("name", name.to_string()),
            ("role", "petugas".to_string()),
            ("password", "budi-rahasia-1".to_string()),
        ]
    };
    let post = |c: &mut Client, form: &[(&str, String)]| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.post("/akun", &form)
    };
    for foreign in [
        "http://evil.example",
        "null",
        "http://127.0.0.1.evil.example",
        &site.url.replace("http://", "https://"),
        &format!("{}0", site.url),
    ] {
        a.origin = Some(foreign.to_string());
        let r = post(&mut a, &add("budi"));
        assert_eq!(r.status, 403, "Origin {foreign}: {}", r.body);
        assert!(
            r.body
                .contains("Permintaan ini tidak berasal dari halaman layanan pengaduan ini"),
            "{}",
            r.body
        );
    }
    // Without Origin, the Referer decides; with neither, refused.
    a.origin = None;
    assert_eq!(post(&mut a, &add("budi")).status, 403, "neither header");
    a.extra
        .push(("Referer".into(), "http://evil.example/akun".into()));
    assert_eq!(post(&mut a, &add("budi")).status, 403, "foreign Referer");
    a.extra.clear();
    a.extra
        .push(("Referer".into(), format!("{}/akun?x=1", site.url)));
    assert_eq!(post(&mut a, &add("budi")).status, 303, "own Referer");
    a.extra.clear();
    // With our origin (any case, default port spelled out or not).
    a.origin = Some(site.url.to_uppercase().replace("HTTP://", "http://"));
    assert_eq!(post(&mut a, &add("ani")).status, 303);
    let list = String::from_utf8(site.users(&["list"], "").stdout).unwrap();
    assert!(list.contains("budi") && list.contains("ani"), "{list}");
    // The other refusals before any handler are worded from the same template.
    let big = "x".repeat(70 * 1024);
    let r = a.post("/akun", &[("csrf", &csrf), ("name", &big)]);
    assert_eq!(r.status, 413);
    assert!(r.body.contains("Formulir terlalu besar."), "{}", r.body);
    let mut anon = site.client();
    let token = anon.csrf("/login");
    let r = anon.post("/akun", &[("csrf", &token), ("name", "x")]);
    assert_eq!(r.status, 401);
    assert!(
        r.body.contains("Silakan masuk terlebih dahulu."),
        "{}",
        r.body
    );

    // The login form: an equal pair of cookie and field that this server did not make.
    for made_up in ["0".repeat(64), "ab".repeat(32)] {
        let mut c = site.client();
        c.cookies.push(("pengaduan_masuk".into(), made_up.clone()));
        let r = c.post(
            "/login",
            &[
                ("csrf", &made_up),
                ("name", "admin"),
                ("password", ADMIN_PW),
            ],
        );
        assert_eq!(r.status, 403, "{made_up}: {}", r.body);
        assert!(r.body.contains("kedaluwarsa"), "{}", r.body);
    }
    // A real token with one digit changed.
    let mut c = site.client();
    let real = c.csrf("/login");
    let flipped = format!(
        "{}{}",
        &real[..10],
        if &real[10..11] == "0" { "1" } else { "0" }
    ) + &real[11..];
    c.cookies.retain(|(k, _)| k != "pengaduan_masuk");
    c.cookies.push(("pengaduan_masuk".into(), flipped.clone()));
    let r = c.post(
        "/login",
        &[
            ("csrf", &flipped),
            ("name", "admin"),
            ("password", ADMIN_PW),
        ],
    );
    assert_eq!(r.status, 403);
    // A real token from another origin.
    let mut c = site.client();
    let token = c.csrf("/login");
    c.origin = Some("http://evil.example".into());
    let r = c.post(
        "/login",
        &[("csrf", &token), ("name", "admin"), ("password", ADMIN_PW)],
    );
    assert_eq!(r.status, 403);
    // An old token is refused; the login page then gives a new one.
    let mut c = site.client();
    let old = c.csrf("/login");
    site.clock.advance(Duration::hours(13));
    let r = c.post(
        "/login",
        &[("csrf", &old), ("name", "admin"), ("password", ADMIN_PW)],
    );
    assert_eq!(r.status, 403);
    let fresh = c.csrf("/login");
    assert_ne!(fresh, old);
    assert_eq!(c.login("admin", ADMIN_PW).status, 303);
}

/// With `web.public_url` set, the dashboard's origin is that address, not the Host.
#[test]
fn behind_a_proxy_the_origin_is_the_public_url() {
    let site = Site::with("public_url = \"https://pengaduan.example/\"");
    site.add_user("siti", "petugas", PETUGAS_PW);
    let mut c = site.client();
    c.origin = Some(site.url.clone());
    assert_eq!(c.login("siti", PETUGAS_PW).status, 403, "the Host's origin");
    c.origin = Some("https://pengaduan.example:443".into());
    assert_eq!(c.login("siti", PETUGAS_PW).status, 303);
    // The device cookie is Secure, HttpOnly, SameSite=Strict and long-lived.
    let mut c = site.client();
    let ok = c.login("siti", PETUGAS_PW);
    let set = ok
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("pengaduan_perangkat_siti="))
        .map(|(_, v)| v.clone())
        .unwrap();
    for flag in [
        "; Secure",
        "; HttpOnly",
        "; SameSite=Strict",
        "; Max-Age=15552000",
    ] {
        assert!(set.contains(flag), "{flag}: {set}");
    }
}
