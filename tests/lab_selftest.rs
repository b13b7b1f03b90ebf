//! Proves the mail lab itself (tests/support/lab.rs): real Dovecot + Postfix on loopback.
//! Needs root and `scripts/install-test-deps.sh`.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::lab::Lab;

const WAIT: Duration = Duration::from_secs(60);

fn text(msg: &[u8]) -> String {
    String::from_utf8_lossy(msg).into_owned()
}

/// The value of the first header `name` (unfolded only as far as one line).
fn header(msg: &[u8], name: &str) -> Option<String> {
    let t = text(msg);
    let head = t.split("\r\n\r\n").next().unwrap_or("").to_string();
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

fn body(msg: &[u8]) -> String {
    let t = text(msg);
    t.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

#[test]
fn delivers_local_and_catchall_mail() {
    let lab = Lab::start();
    assert!(lab.messages("bob@example.test").is_empty());

    let to_bob = b"From: Warga <warga@gmail.com>\r\nTo: bob@example.test\r\nSubject: keluhan antrian\r\nMessage-ID: <a1@gmail.com>\r\n\r\nAntrian terlalu lama.\r\n.titik di awal baris\r\n..dua titik\r\n";
    lab.deliver("warga@gmail.com", &["bob@example.test"], to_bob);
    let got = lab.wait_for_messages("bob@example.test", 1, WAIT);
    assert_eq!(got.len(), 1);
    assert_eq!(
        header(&got[0], "Subject").as_deref(),
        Some("keluhan antrian")
    );
    assert_eq!(
        header(&got[0], "Message-ID").as_deref(),
        Some("<a1@gmail.com>")
    );
    assert_eq!(
        header(&got[0], "Delivered-To").as_deref(),
        Some("bob@example.test")
    );
    // dot-stuffing round trip: the body arrives exactly as sent
    assert_eq!(
        body(&got[0]),
        "Antrian terlalu lama.\r\n.titik di awal baris\r\n..dua titik\r\n"
    );

    // Mail for the outside world (bare LF line ends here) lands in the catch-all,
    // To: unchanged.
    let to_warga = b"From: Puskesmas <pengaduan@example.test>\nTo: Warga <warga@gmail.com>\nSubject: [PGD-1] diterima\n\nTerima kasih.\n";
    lab.deliver("pengaduan@example.test", &["warga@gmail.com"], to_warga);
    let caught = lab.wait_for_messages(Lab::CATCHALL, 1, WAIT);
    assert_eq!(caught.len(), 1);
    assert_eq!(
        header(&caught[0], "To").as_deref(),
        Some("Warga <warga@gmail.com>")
    );
    assert_eq!(
        header(&caught[0], "Subject").as_deref(),
        Some("[PGD-1] diterima")
    );
    assert_eq!(body(&caught[0]), "Terima kasih.\r\n");
    // Postfix logs the delivery just after Dovecot has written the file.
    let deadline = std::time::Instant::now() + WAIT;
    while !lab.postfix_log().contains("orig_to=<warga@gmail.com>") {
        assert!(
            std::time::Instant::now() < deadline,
            "no orig_to in the log:\n{}",
            lab.postfix_log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // Nothing else moved: bob still has exactly one, warga has no mailbox of its own.
    assert_eq!(lab.messages("bob@example.test").len(), 1);
    assert!(lab.messages("warga@gmail.com").is_empty());

    // One transaction for two recipients, one local and one outside, with a case twist.
    lab.deliver(
        "x@elsewhere.example",
        &["Bob@Example.Test", "someone@yahoo.co.id"],
        b"Subject: both\r\n\r\nhi\r\n",
    );
    let bob = lab.wait_for_messages("bob@example.test", 2, WAIT);
    let caught = lab.wait_for_messages(Lab::CATCHALL, 2, WAIT);
    assert_eq!(header(&bob[1], "Subject").as_deref(), Some("both"));
    assert_eq!(header(&caught[1], "Subject").as_deref(), Some("both"));
}

#[test]
fn inject_keeps_uid_order_and_stores_crlf() {
    let lab = Lab::start();
    for i in 1..=3 {
        lab.inject(
            "alice@example.test",
            format!("Subject: nomor {i}\nTo: alice@example.test\n\nisi {i}\n").as_bytes(),
        );
    }
    let got = lab.messages("alice@example.test");
    assert_eq!(got.len(), 3);
    for (i, m) in got.iter().enumerate() {
        assert_eq!(header(m, "Subject"), Some(format!("nomor {}", i + 1)));
        assert_eq!(body(m), format!("isi {}\r\n", i + 1));
        assert!(
            !text(m).replace("\r\n", "").contains('\n'),
            "bare LF stored: {:?}",
            text(m)
        );
    }
    assert!(lab.messages("carol@example.test").is_empty());
}

#[test]
fn imap_restart_keeps_mail_and_ports() {
    let lab = Lab::start();
    lab.deliver(
        "a@gmail.com",
        &["bob@example.test"],
        b"Subject: before\r\n\r\n1\r\n",
    );
    lab.wait_for_messages("bob@example.test", 1, WAIT);

    lab.stop_imap();
    assert!(
        TcpStream::connect(("127.0.0.1", lab.imaps_port)).is_err(),
        "IMAPS still accepting after stop_imap"
    );
    assert!(
        TcpStream::connect(("127.0.0.2", lab.imap_port)).is_err(),
        "IMAP still accepting after stop_imap"
    );
    // Postfix queues while Dovecot is down…
    lab.deliver(
        "a@gmail.com",
        &["bob@example.test"],
        b"Subject: while down\r\n\r\n2\r\n",
    );
    lab.start_imap();
    // …and delivers once it is back.
    let got = lab.wait_for_messages("bob@example.test", 2, WAIT);
    let subjects: Vec<_> = got.iter().map(|m| header(m, "Subject")).collect();
    assert_eq!(
        subjects,
        [Some("before".to_string()), Some("while down".to_string())],
        "{}",
        text(&got[1])
    );
    let greeting = imap_greeting(lab.imap_port);
    assert!(greeting.starts_with("* OK"), "{greeting}");
    // And IMAP login still works over TLS after the restart.
    let mut c = SClient::imaps(&lab);
    c.send(&format!("a LOGIN bob@example.test {}", Lab::PASSWORD));
    c.expect("a OK");
    c.send("b SELECT INBOX");
    c.expect("* 2 EXISTS");
}

#[test]
fn two_labs_side_by_side() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(Lab::start);
        let b = s.spawn(Lab::start);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_ne!(a.dir, b.dir);
    let pa = [
        a.imap_port,
        a.imaps_port,
        a.smtp_inbound_port,
        a.submission_port,
        a.smtps_port,
    ];
    let pb = [
        b.imap_port,
        b.imaps_port,
        b.smtp_inbound_port,
        b.submission_port,
        b.smtps_port,
    ];
    assert!(pa.iter().all(|p| !pb.contains(p)), "{pa:?} vs {pb:?}");
    assert_ne!(
        std::fs::read(&a.ca_file).unwrap(),
        std::fs::read(&b.ca_file).unwrap()
    );

    a.deliver(
        "x@gmail.com",
        &["bob@example.test"],
        b"Subject: for lab a\r\n\r\na\r\n",
    );
    b.deliver(
        "x@gmail.com",
        &["bob@example.test"],
        b"Subject: for lab b\r\n\r\nb\r\n",
    );
    let ga = a.wait_for_messages("bob@example.test", 1, WAIT);
    let gb = b.wait_for_messages("bob@example.test", 1, WAIT);
    assert_eq!(header(&ga[0], "Subject").as_deref(), Some("for lab a"));
    assert_eq!(header(&gb[0], "Subject").as_deref(), Some("for lab b"));
    assert_eq!(a.messages("bob@example.test").len(), 1);
    assert_eq!(b.messages("bob@example.test").len(), 1);

    let dir = a.dir.clone();
    drop(a);
    assert!(!dir.exists() || std::env::var("LAB_KEEP").as_deref() == Ok("1"));
    // b is unaffected by a's shutdown
    b.deliver(
        "x@gmail.com",
        &["bob@example.test"],
        b"Subject: still here\r\n\r\nb\r\n",
    );
    b.wait_for_messages("bob@example.test", 2, WAIT);
}

/// TLS and AUTH, checked with the openssl CLI against the lab CA (name localhost):
/// IMAPS login and IDLE, plain IMAP refuses LOGIN before STARTTLS, submission needs
/// STARTTLS then AUTH, SMTPS + AUTH.
#[test]
fn tls_auth_and_starttls_policy() {
    let lab = Lab::start();
    let pw = Lab::PASSWORD;

    // IMAPS: chain verifies, LOGIN works, IDLE reports a message delivered meanwhile.
    let mut c = SClient::imaps(&lab);
    c.expect("Verify return code: 0 (ok)");
    c.expect("* OK");
    c.send(&format!("a LOGIN bob@example.test {pw}"));
    c.expect("a OK");
    c.send("b SELECT INBOX");
    c.expect("* 0 EXISTS");
    c.expect("b OK");
    c.send("c IDLE");
    c.expect("+ idling");
    lab.deliver(
        "warga@gmail.com",
        &["bob@example.test"],
        b"Subject: idle\r\n\r\nx\r\n",
    );
    c.expect("* 1 EXISTS");
    c.send("DONE");
    c.expect("c OK");
    c.send("d LOGOUT");
    c.expect("d OK");

    let mut c = SClient::imaps(&lab);
    c.expect("* OK");
    c.send("a LOGIN bob@example.test wrong");
    c.expect("a NO");

    // Plain IMAP (127.0.0.2): STARTTLS offered, LOGIN disabled before it.
    let mut s = TcpStream::connect(("127.0.0.2", lab.imap_port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(
        line.contains("STARTTLS") && line.contains("LOGINDISABLED"),
        "{line}"
    );
    write!(s, "a LOGIN bob@example.test {pw}\r\n").unwrap();
    // Dovecot answers with an untagged "* BAD [ALERT] Plaintext authentication not
    // allowed…" before the tagged refusal.
    loop {
        line.clear();
        assert!(
            r.read_line(&mut line).unwrap() > 0,
            "connection closed before tagged reply"
        );
        if line.starts_with("a ") {
            break;
        }
    }
    assert!(
        line.starts_with("a NO") || line.starts_with("a BAD"),
        "{line}"
    );

    // IMAP STARTTLS, then LOGIN works (certificate names 127.0.0.2 too). Right after a
    // failed login: Dovecot's auth penalty is off in the lab, so this is not delayed.
    let mut c = SClient::start(
        &lab,
        &[
            "-starttls",
            "imap",
            "-connect",
            &format!("127.0.0.2:{}", lab.imap_port),
            "-verify_ip",
            "127.0.0.2",
        ],
    );
    c.expect("Verify return code: 0 (ok)");
    c.send(&format!("a LOGIN bob@example.test {pw}"));
    c.expect("a OK");

    // Submission without TLS: no AUTH offered, MAIL refused.
    let reply = smtp_plain(
        lab.submission_port,
        &["EHLO t\r\n", "MAIL FROM:<bob@example.test>\r\n", "QUIT\r\n"],
    );
    assert!(!reply.contains("AUTH"), "{reply}");
    assert!(reply.contains("530"), "{reply}");

    // Submission: STARTTLS, AUTH PLAIN, send to the outside world -> catch-all.
    let auth = base64(format!("\0carol@example.test\0{pw}").as_bytes());
    let mut c = SClient::start(
        &lab,
        &[
            "-starttls",
            "smtp",
            "-connect",
            &format!("127.0.0.1:{}", lab.submission_port),
        ],
    );
    c.expect("Verify return code: 0 (ok)");
    c.send("EHLO t");
    c.expect("250-AUTH PLAIN LOGIN");
    c.expect("250 ");
    c.send(&format!("AUTH PLAIN {auth}"));
    c.expect("235 2.7.0");
    c.send("MAIL FROM:<carol@example.test>");
    c.expect("250 ");
    c.send("RCPT TO:<warga@gmail.com>");
    c.expect("250 ");
    c.send("DATA");
    c.expect("354 ");
    c.send("From: carol@example.test\nTo: warga@gmail.com\nSubject: via submission\n\nhalo\n.");
    c.expect("250 2.0.0 Ok: queued");
    c.send("QUIT");
    c.expect("221 ");
    let caught = lab.wait_for_messages(Lab::CATCHALL, 1, WAIT);
    assert_eq!(
        header(&caught[0], "Subject").as_deref(),
        Some("via submission")
    );
    assert_eq!(header(&caught[0], "To").as_deref(), Some("warga@gmail.com"));

    // Submission with TLS but no AUTH: recipient refused.
    let mut c = SClient::start(
        &lab,
        &[
            "-starttls",
            "smtp",
            "-connect",
            &format!("127.0.0.1:{}", lab.submission_port),
        ],
    );
    c.send("EHLO t");
    c.expect("250 ");
    c.send("MAIL FROM:<carol@example.test>");
    c.expect("250 ");
    c.send("RCPT TO:<warga@gmail.com>");
    c.expect("554 5.7.1");

    // SMTPS (implicit TLS): a wrong password is refused, the right one accepted.
    let mut c = SClient::start(
        &lab,
        &["-connect", &format!("127.0.0.1:{}", lab.smtps_port)],
    );
    c.expect("Verify return code: 0 (ok)");
    c.expect("220 ");
    c.send("EHLO t");
    c.expect("250 ");
    c.send(&format!(
        "AUTH PLAIN {}",
        base64(b"\0carol@example.test\0nope")
    ));
    c.expect("535 ");
    c.send(&format!("AUTH PLAIN {auth}"));
    c.expect("235 ");
    c.send("MAIL FROM:<carol@example.test>");
    c.expect("250 ");
    c.send("RCPT TO:<dave@example.test>");
    c.expect("250 ");
    c.send("DATA");
    c.expect("354 ");
    c.send("Subject: via smtps\n\nhalo\n.");
    c.expect("250 2.0.0 Ok: queued");
    let got = lab.wait_for_messages("dave@example.test", 1, WAIT);
    assert_eq!(header(&got[0], "Subject").as_deref(), Some("via smtps"));
}

/// An interactive `openssl s_client` that verifies the chain against the lab CA.
struct SClient {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: std::sync::mpsc::Receiver<String>,
    transcript: String,
}

impl SClient {
    fn imaps(lab: &Lab) -> SClient {
        SClient::start(
            lab,
            &[
                "-connect",
                &format!("127.0.0.1:{}", lab.imaps_port),
                "-verify_hostname",
                "localhost",
            ],
        )
    }

    fn start(lab: &Lab, args: &[&str]) -> SClient {
        let mut child = Command::new("openssl")
            .arg("s_client")
            .args(args)
            .arg("-CAfile")
            .arg(&lab.ca_file)
            // -crlf: LF from us becomes CRLF; -ign_eof/-nocommands: lines starting
            // with Q or R are sent, not taken as s_client commands.
            .args(["-verify_return_error", "-crlf", "-ign_eof", "-nocommands"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_client");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        SClient {
            child,
            stdin,
            lines,
            transcript: String::new(),
        }
    }

    fn send(&mut self, text: &str) {
        self.transcript.push_str(&format!(">>> {text}\n"));
        self.stdin
            .write_all(format!("{text}\n").as_bytes())
            .unwrap();
        self.stdin.flush().unwrap();
    }

    /// Reads lines until one contains `needle`; panics with the transcript after WAIT.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.transcript.push_str(&line);
                    self.transcript.push('\n');
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "s_client: no line containing {needle:?} ({e:?}); transcript:\n{}",
                    self.transcript
                ),
            }
        }
    }
}

impl Drop for SClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn imap_greeting(port: u16) -> String {
    let s = TcpStream::connect(("127.0.0.2", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    line
}

fn smtp_plain(port: u16, cmds: &[&str]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut all = String::new();
    let read_reply = |r: &mut BufReader<TcpStream>, all: &mut String| loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        all.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    };
    read_reply(&mut r, &mut all);
    for c in cmds {
        s.write_all(c.as_bytes()).unwrap();
        read_reply(&mut r, &mut all);
    }
    all
}

fn base64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
