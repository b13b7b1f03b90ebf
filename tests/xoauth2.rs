//! Gmail XOAUTH2 login against the real lab: Dovecot's oauth2 passdb checks every token
//! with a local introspection endpoint (RFC 7662 style, `introspection_mode = post`), and
//! Postfix's SMTP AUTH goes through the same Dovecot auth service. A local token endpoint
//! plays Google's `oauth2.googleapis.com/token` (RFC 6749 section 6). The daemon refreshes
//! an access token once, logs in to IMAP with `AUTHENTICATE XOAUTH2` and sends the
//! acknowledgement with `AUTH XOAUTH2`; a revoked refresh token is reported by `check`.

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::daemon::{complaint, output, Daemon, PUSKESMAS};
use support::lab::Lab;

const CLIENT_ID: &str = "pengaduan-lab.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "GOCSPX-lab-secret-7Qx";
const REFRESH_TOKEN: &str = "1//lab-refresh-token-Zk9";

/// The identity provider: `/token` (refresh grant) and `/introspect` (Dovecot's check).
struct Provider {
    port: u16,
    refreshes: AtomicUsize,
    introspections: AtomicUsize,
    revoked: AtomicBool,
    issued: Mutex<HashSet<String>>,
}

impl Provider {
    fn start() -> Arc<Provider> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = Arc::new(Provider {
            port: listener.local_addr().unwrap().port(),
            refreshes: AtomicUsize::new(0),
            introspections: AtomicUsize::new(0),
            revoked: AtomicBool::new(false),
            issued: Mutex::new(HashSet::new()),
        });
        let server = p.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let p = server.clone();
                std::thread::spawn(move || p.serve(stream));
            }
        });
        p
    }

    fn serve(&self, stream: std::net::TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let form: Vec<(String, String)> = String::from_utf8(body)
            .unwrap()
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), decode(v)))
            .collect();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let (status, json) = if request_line.starts_with("POST /token ") {
            let valid = get("grant_type") == Some("refresh_token")
                && get("client_id") == Some(CLIENT_ID)
                && get("client_secret") == Some(CLIENT_SECRET)
                && get("refresh_token") == Some(REFRESH_TOKEN)
                && !self.revoked.load(Ordering::SeqCst);
            if valid {
                let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
                let token = format!("ya29.lab-access-{n}");
                self.issued.lock().unwrap().insert(token.clone());
                (
                    "200 OK",
                    format!(
                        r#"{{"access_token":"{token}","expires_in":3599,"token_type":"Bearer"}}"#
                    ),
                )
            } else {
                (
                    "400 Bad Request",
                    r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#.into(),
                )
            }
        } else if request_line.starts_with("POST /introspect") {
            self.introspections.fetch_add(1, Ordering::SeqCst);
            let active = get("token").is_some_and(|t| self.issued.lock().unwrap().contains(t));
            (
                "200 OK",
                if active {
                    format!(r#"{{"active":"true","email":"{PUSKESMAS}"}}"#)
                } else {
                    r#"{"active":"false"}"#.into()
                },
            )
        } else {
            ("404 Not Found", "{}".into())
        };
        let mut out = stream;
        let _ = write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
            json.len()
        );
    }
}

/// application/x-www-form-urlencoded value.
fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Restarts the lab's Dovecot with XOAUTH2/OAUTHBEARER checked by the provider.
fn enable_oauth(lab: &Lab, provider: &Provider) {
    lab.stop_imap();
    let ext = lab.dir.join("oauth2.conf.ext");
    std::fs::write(
        &ext,
        format!(
            "introspection_mode = post\nintrospection_url = http://127.0.0.1:{}/introspect\n\
             force_introspection = yes\nusername_attribute = email\n\
             active_attribute = active\nactive_value = true\n",
            provider.port
        ),
    )
    .unwrap();
    let path = lab.dir.join("dovecot.conf");
    let conf = std::fs::read_to_string(&path).unwrap();
    assert!(conf.contains("auth_mechanisms = plain login\n") && conf.contains("passdb {"));
    let conf = conf
        .replacen(
            "auth_mechanisms = plain login\n",
            "auth_mechanisms = plain login xoauth2 oauthbearer\n",
            1,
        )
        .replacen(
            "passdb {",
            &format!(
                "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {}\n}}\npassdb {{",
                ext.display()
            ),
            1,
        );
    std::fs::write(&path, conf).unwrap();
    lab.start_imap();
}

fn secret_file(dir: &std::path::Path, name: &str, value: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.display().to_string()
}

#[test]
fn the_daemon_logs_in_with_xoauth2_to_imap_and_smtp() {
    let lab = Lab::start();
    let provider = Provider::start();
    enable_oauth(&lab, &provider);

    let mut d = Daemon::new(&lab);
    let secrets = tempfile::tempdir().unwrap();
    d.edit_config("password_env = \"LAB_IMAP_PASSWORD\"", "auth = \"xoauth2\"");
    d.edit_config("password_env = \"LAB_SMTP_PASSWORD\"", "auth = \"xoauth2\"");
    d.edit_config(
        "[storage]\n",
        &format!(
            "[oauth2]\nclient_id = \"{CLIENT_ID}\"\nclient_secret_file = \"{}\"\n\
             refresh_token_file = \"{}\"\ntoken_url = \"http://127.0.0.1:{}/token\"\n[storage]\n",
            secret_file(secrets.path(), "client-secret", CLIENT_SECRET),
            secret_file(secrets.path(), "refresh-token", REFRESH_TOKEN),
            provider.port
        ),
    );

    // `check`: one refresh serves both logins; Dovecot asked the provider about the token.
    let out = d.run_cli(&["check"]);
    let all = output(&out);
    assert!(
        all.contains("OK    IMAP") && all.contains("OK    SMTP"),
        "{all}\n{}",
        std::fs::read_to_string(lab.dir.join("log/dovecot.log")).unwrap_or_default()
    );
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    assert!(provider.introspections.load(Ordering::SeqCst) >= 2);

    // The daemon: registered and acknowledged through XOAUTH2 logins only (the lab's
    // password would still work, but the config holds none).
    d.start(&[]);
    lab.deliver(
        "dewi@example.test",
        &["puskesmas@example.test"],
        &complaint(
            "dewi@example.test",
            "Dewi",
            "oauth-1@example.test",
            "Toilet rusak",
            "Toilet ruang tunggu rusak sejak minggu lalu.",
        ),
    );
    let acks = lab.wait_for_messages("dewi@example.test", 1, Duration::from_secs(30));
    assert_eq!(acks.len(), 1);
    assert_eq!(d.complaints().len(), 1);
    assert!(d.stop());
    let log = d.log();
    for secret in [CLIENT_SECRET, REFRESH_TOKEN, "ya29.lab-access"] {
        assert!(
            !log.contains(secret) && !all.contains(secret),
            "{secret} leaked"
        );
    }

    // A revoked refresh token: `check` fails and says what to do, without the secrets.
    provider.revoked.store(true, Ordering::SeqCst);
    let out = d.run_cli(&["check"]);
    let all = output(&out);
    assert!(!out.status.success());
    assert!(
        all.contains("GAGAL IMAP") && all.contains("invalid_grant") && all.contains("GAGAL SMTP"),
        "{all}"
    );
    assert!(!all.contains(REFRESH_TOKEN) && !all.contains(CLIENT_SECRET));
}
