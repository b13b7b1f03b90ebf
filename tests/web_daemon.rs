//! The real `pengaduan run` against the mail lab with `[web]` configured: the dashboard is
//! served beside the watcher and the outbox, reports the real mailbox's health, and stops
//! with the daemon on SIGTERM.

mod support;

use support::daemon::Daemon;
use support::lab::Lab;
use support::web::Client;

#[test]
fn run_serves_the_dashboard_and_stops_it_on_sigterm() {
    let lab = Lab::start();
    let (mut d, url) = Daemon::with_web(&lab);
    d.add_user("admin", "admin", "admin-rahasia-1");

    d.start(&[]);
    let mut c = Client::new(&url);
    let health = c.get("/healthz");
    assert_eq!(health.status, 200, "{}", health.body);
    assert!(health.body.contains("\"status\":\"ok\""), "{}", health.body);
    assert_eq!(c.get("/").status, 303);
    assert_eq!(c.login("admin", "admin-rahasia-1").status, 303);
    assert_eq!(c.get("/akun").status, 200);

    assert!(d.stop(), "clean exit on SIGTERM\n{}", d.log());
    assert!(
        std::net::TcpStream::connect(url.trim_start_matches("http://")).is_err(),
        "the web server stopped with the daemon"
    );
    assert!(d.log().contains("web dashboard listening"), "{}", d.log());
}
