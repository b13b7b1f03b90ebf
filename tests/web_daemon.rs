//! The real `pengaduan run` against the mail lab with `[web]` configured: the dashboard is
//! served beside the watcher and the outbox, reports the real mailbox's health, and stops
//! with the daemon on SIGTERM.

mod support;

use std::io::Write;
use std::process::Stdio;

use support::daemon::{Daemon, Options};
use support::lab::Lab;
use support::web::Client;

#[test]
fn run_serves_the_dashboard_and_stops_it_on_sigterm() {
    let lab = Lab::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let web: &'static str =
        Box::leak(format!("[web]\nlisten = \"127.0.0.1:{port}\"\n").into_boxed_str());
    let mut d = Daemon::with(
        &lab,
        Options {
            extra: web,
            ..Options::default()
        },
    );
    let mut add = d
        .command(&["users", "add", "admin", "--role", "admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"admin-rahasia-1\n")
        .unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");

    d.start(&[]);
    let url = format!("http://127.0.0.1:{port}");
    let mut c = Client::new(&url);
    let health = c.get("/healthz");
    assert_eq!(health.status, 200, "{}", health.body);
    assert!(health.body.contains("\"status\":\"ok\""), "{}", health.body);
    assert_eq!(c.get("/").status, 303);
    assert_eq!(c.login("admin", "admin-rahasia-1").status, 303);
    assert_eq!(c.get("/akun").status, 200);

    assert!(d.stop(), "clean exit on SIGTERM\n{}", d.log());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the web server stopped with the daemon"
    );
    assert!(d.log().contains("web dashboard listening"), "{}", d.log());
}
