//! The mail lab: a real Dovecot (IMAP, IMAPS with IDLE, LMTP) and a real Postfix (SMTP)
//! on loopback, configured per test in a short temporary directory. Facts behind the
//! choices made here: shared/MAILLAB.md. Needs root and the Debian packages installed by
//! `scripts/install-test-deps.sh`.
//!
//! Mail shape:
//! - every address `@example.test` is a mailbox (created on first delivery or login) and
//!   logs in to IMAP and SMTP AUTH with [`Lab::PASSWORD`];
//! - mail to any other domain lands in `catchall@example.test` (headers unchanged);
//! - Postfix never relays anywhere (`default_transport = error:`) and does no DNS.
//!
//! Listeners (all ports chosen per lab):
//! - `smtp_inbound_port` (127.0.0.1): plain SMTP, no AUTH, any recipient: "the internet";
//! - `submission_port` (127.0.0.1): STARTTLS required, then AUTH required (like 587);
//! - `smtps_port` (127.0.0.1): implicit TLS, AUTH required (like 465);
//! - `imaps_port` (127.0.0.1): implicit TLS IMAP;
//! - `imap_port` (**127.0.0.2**): plain IMAP offering STARTTLS; LOGIN is refused
//!   (`LOGINDISABLED`) until STARTTLS, because the client is not on the same address.
//!
//! The server certificate is issued by a per-lab CA (`ca_file`) for `localhost`,
//! `127.0.0.1` and `127.0.0.2`.
//!
//! Stored messages are CRLF (`mail_save_crlf = yes`), the same bytes an IMAP client
//! fetches: [`Lab::messages`] returns a message injected with bare LF line ends with CRLF.
//! Delivered mail carries the headers Postfix and Dovecot add (`Return-Path`,
//! `Delivered-To`, `Received`) above the original header.
//!
//! Every method blocks (std only). In a `#[tokio::test]` whose code under test runs on
//! the same runtime, call `wait_for_messages` from `spawn_blocking` or use
//! `flavor = "multi_thread"`, or the blocked thread starves the daemon.
//!
//! Lab-specific tuning worth knowing: Dovecot's auth penalty is disabled (a failed login
//! does not delay later ones), `auth_failure_delay = 0`, Postfix retries deferred mail
//! after 2–4 s. Logs: `DIR/log/{dovecot,postfix}.log`; `LAB_KEEP=1` keeps `DIR`.
//! If the test process dies without dropping the Lab (killed, Ctrl-C, a Lab in a
//! static), a watchdog stops both servers and removes `DIR` (see `spawn_watchdog`).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long start-up may take before it is treated as a failure.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to exit after SIGTERM before it gets SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Read/write timeout of the SMTP client in [`Lab::deliver`].
const IO_TIMEOUT: Duration = Duration::from_secs(30);
const SIGTERM: i32 = 15;
const SIGKILL: i32 = 9;

unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
    fn geteuid() -> u32;
}

/// A running Dovecot + Postfix pair. Dropping it stops both and removes `dir`
/// (kept when the environment has `LAB_KEEP=1`).
pub struct Lab {
    /// The lab directory, e.g. `/tmp/lab-k3x9q2`: configs, `tls/`, `log/`, `mail/`.
    pub dir: PathBuf,
    /// Plain IMAP with STARTTLS, on 127.0.0.2.
    pub imap_port: u16,
    /// Implicit-TLS IMAP, on 127.0.0.1.
    pub imaps_port: u16,
    /// Plain SMTP without AUTH that accepts any recipient, on 127.0.0.1.
    pub smtp_inbound_port: u16,
    /// SMTP submission: STARTTLS, then AUTH, on 127.0.0.1.
    pub submission_port: u16,
    /// SMTP submission over implicit TLS, AUTH required, on 127.0.0.1.
    pub smtps_port: u16,
    /// PEM file of the lab's CA: the only trust anchor a client needs.
    pub ca_file: PathBuf,
    name: String,
    bins: Bins,
    mail_uid: u32,
    mail_gid: u32,
    dovecot: Mutex<Option<Child>>,
    postfix: Mutex<Option<Child>>,
    /// See `spawn_watchdog`.
    watchdog: Mutex<Option<Child>>,
}

#[derive(Clone)]
struct Bins {
    dovecot: PathBuf,
    doveadm: PathBuf,
    postfix: PathBuf,
    master: PathBuf,
    openssl: PathBuf,
}

struct Ports {
    imap: u16,
    imaps: u16,
    smtp_inbound: u16,
    submission: u16,
    smtps: u16,
}

impl Lab {
    /// The password of every lab user, for IMAP LOGIN and SMTP AUTH.
    pub const PASSWORD: &'static str = "labpass-Rahasia9";
    /// The mailbox that receives mail for every domain other than example.test.
    pub const CATCHALL: &'static str = "catchall@example.test";

    /// Starts Dovecot and Postfix in a fresh directory and waits until every port
    /// accepts connections. Panics with a message naming the missing binary or the
    /// failed step, with the tail of the server logs.
    pub fn start() -> Lab {
        if unsafe { geteuid() } != 0 {
            panic!("mail lab: must run as root (Dovecot and Postfix masters need it)");
        }
        let bins = Bins::find();
        let (dir, name) = make_lab_dir();
        let mut watchdog = Some(spawn_watchdog(&dir));
        let (mail_uid, mail_gid) = lookup_user("mail").unwrap_or((8, 8));

        let mut last_error = String::new();
        for _attempt in 0..3 {
            let ports = pick_ports();
            let lab = Lab {
                ca_file: dir.join("ca.pem"),
                dir: dir.clone(),
                imap_port: ports.imap,
                imaps_port: ports.imaps,
                smtp_inbound_port: ports.smtp_inbound,
                submission_port: ports.submission,
                smtps_port: ports.smtps,
                name: name.clone(),
                bins: bins.clone(),
                mail_uid,
                mail_gid,
                dovecot: Mutex::new(None),
                postfix: Mutex::new(None),
                watchdog: Mutex::new(watchdog.take()),
            };
            if !lab.ca_file.exists() {
                lab.make_certificates();
            }
            lab.write_dovecot_conf();
            lab.write_postfix_conf();
            lab.postfix_check();
            lab.spawn_dovecot();
            lab.spawn_postfix();
            match lab.wait_ready() {
                Ok(()) => return lab,
                Err(e) => {
                    let clash = lab.logs_tail().contains("in use");
                    last_error = format!("{e}\n{}", lab.logs_tail());
                    watchdog = lab.watchdog.lock().unwrap().take();
                    lab.stop_servers();
                    std::mem::forget(lab); // keep the directory for the next attempt / the panic
                    if !clash {
                        break;
                    }
                }
            }
        }
        if let Some(mut w) = watchdog {
            // Keep the directory (and its logs) of a lab that failed to start.
            let _ = w.kill();
            let _ = w.wait();
        }
        panic!(
            "mail lab: servers did not come up in {}: {last_error}",
            dir.display()
        );
    }

    /// Sends one message "from the internet" to `smtp_inbound_port`, speaking SMTP
    /// over a plain TcpStream. Line ends are normalised to CRLF and lines starting with
    /// a dot are dot-stuffed. Panics unless every step is accepted (250 after DATA).
    /// An empty `mail_from` sends the null sender `<>`.
    pub fn deliver(&self, mail_from: &str, rcpt_to: &[&str], raw: &[u8]) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.smtp_inbound_port));
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("mail lab: cannot connect to SMTP {addr}: {e}"));
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut w = stream.try_clone().unwrap();
        let mut r = BufReader::new(stream);
        let mut step = |cmd: Option<Vec<u8>>, want: &[u16]| {
            let shown = match &cmd {
                None => "(greeting)".to_string(),
                Some(c) if c.len() > 200 => "(message body)".to_string(),
                Some(c) => String::from_utf8_lossy(c).into_owned(),
            };
            if let Some(c) = &cmd {
                w.write_all(c)
                    .unwrap_or_else(|e| self.smtp_fail(&shown, &e.to_string()));
            }
            let (code, text) = read_smtp_reply(&mut r);
            if !want.contains(&code) {
                self.smtp_fail(&shown, &text);
            }
        };
        let line = |s: String| Some(s.into_bytes());
        step(None, &[220]);
        step(line("EHLO lab-client.example\r\n".into()), &[250]);
        step(line(format!("MAIL FROM:<{mail_from}>\r\n")), &[250]);
        for rcpt in rcpt_to {
            step(line(format!("RCPT TO:<{rcpt}>\r\n")), &[250, 251]);
        }
        step(line("DATA\r\n".into()), &[354]);
        let mut data = dot_stuff(raw);
        data.extend_from_slice(b".\r\n");
        step(Some(data), &[250]);
        step(line("QUIT\r\n".into()), &[221]);
        let _ = w.shutdown(Shutdown::Both);
    }

    /// Saves a message straight into `user`'s INBOX with `doveadm save` (no SMTP).
    pub fn inject(&self, user: &str, raw: &[u8]) {
        let user = user.to_lowercase();
        let mut child = Command::new(&self.bins.doveadm)
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .args(["save", "-u", &user, "-m", "INBOX"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("mail lab: cannot run {}: {e}", self.bins.doveadm.display())
            });
        child.stdin.take().unwrap().write_all(raw).unwrap();
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            panic!(
                "mail lab: doveadm save -u {user} failed ({}): {}{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.logs_tail()
            );
        }
    }

    /// The raw bytes (CRLF) of every message in `user`'s INBOX, in UID order; empty for
    /// a user who has no mail yet. Reads the Maildir directly, so it works while
    /// Dovecot is stopped.
    pub fn messages(&self, user: &str) -> Vec<Vec<u8>> {
        // The filesystem changes under us while Dovecot moves new/ to cur/ or renames
        // files for flags: retry a few times on a vanished file.
        for _ in 0..50 {
            if let Some(found) = self.read_inbox(user) {
                return found;
            }
            sleep(Duration::from_millis(10));
        }
        panic!("mail lab: INBOX of {user} kept changing while being read");
    }

    /// Polls until `user`'s INBOX holds at least `n` messages and returns them all.
    /// Panics after `timeout` with what it found and the tail of the Postfix log.
    pub fn wait_for_messages(&self, user: &str, n: usize, timeout: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.messages(user);
            if found.len() >= n {
                return found;
            }
            if Instant::now() >= deadline {
                let summary: Vec<String> = found.iter().map(|m| summary_line(m)).collect();
                panic!(
                    "mail lab: {user} has {} message(s) after {timeout:?}, wanted {n}:\n  {}\n--- postfix log (tail) ---\n{}\n--- dovecot log (tail) ---\n{}",
                    found.len(),
                    summary.join("\n  "),
                    tail(&self.postfix_log(), 30),
                    tail(&self.dovecot_log(), 15),
                );
            }
            sleep(Duration::from_millis(25));
        }
    }

    /// Stops Dovecot (SIGTERM to the process group of the master this lab started) and
    /// waits until all its processes are gone, so the ports are free.
    /// Mail and ports stay; Postfix keeps accepting and queues until `start_imap`.
    ///
    /// First waits (up to 10 s) until Postfix's queue is empty: Dovecot writes a message
    /// file before it answers 250 over LMTP, so a message already visible to
    /// `messages()` may still be in flight, and stopping then makes Postfix deliver it
    /// a second time after `start_imap`.
    pub fn stop_imap(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.postfix_queue_busy() && Instant::now() < deadline {
            sleep(Duration::from_millis(10));
        }
        if let Some(child) = self.dovecot.lock().unwrap().take() {
            stop_child(child, "dovecot");
        }
    }

    /// Starts Dovecot again on the same ports with the same mail, and waits until it
    /// accepts connections. Does nothing if it is running.
    pub fn start_imap(&self) {
        if self.dovecot.lock().unwrap().is_some() {
            return;
        }
        self.spawn_dovecot();
        let deadline = Instant::now() + START_TIMEOUT;
        if let Err(e) = self.wait_dovecot_ready(deadline) {
            panic!(
                "mail lab: dovecot did not restart: {e}\n{}",
                self.logs_tail()
            );
        }
        // Mail deferred while Dovecot was down is retried by Postfix's queue manager
        // within 2–3 s (minimal_backoff_time = 2s).
    }

    /// Everything Postfix logged so far (its `maillog_file`).
    pub fn postfix_log(&self) -> String {
        read_lossy(&self.dir.join("log/postfix.log"))
    }

    /// The Dovecot log so far.
    pub fn dovecot_log(&self) -> String {
        read_lossy(&self.dir.join("log/dovecot.log"))
    }

    // ---- set-up -------------------------------------------------------------------

    fn make_certificates(&self) {
        let tls = self.dir.join("tls");
        fs::create_dir_all(&tls).unwrap();
        fs::set_permissions(&tls, fs::Permissions::from_mode(0o700)).unwrap();
        let cnf = tls.join("openssl.cnf");
        fs::write(
            &cnf,
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n\
                 [ca_ext]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n\
                 subjectKeyIdentifier = hash\n\
                 [leaf_ext]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\n\
                 extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost,IP:127.0.0.1,IP:127.0.0.2\n\
                 subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid,issuer\n",
        )
        .unwrap();
        let serial = format!("0x{:016x}", unique_u64());
        let ca_subj = format!(
            "/O=Pengaduan mail lab/CN=Lab CA {} {:x}",
            self.name,
            unique_u64()
        );
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        self.openssl(
            &tls,
            "make the CA",
            &[
                &["req", "-config", "openssl.cnf", "-x509", "-new"][..],
                &ec[..],
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "30",
                    "-subj",
                    &ca_subj,
                    "-extensions",
                    "ca_ext",
                    "-set_serial",
                    &serial,
                ][..],
            ]
            .concat(),
        );
        self.openssl(
            &tls,
            "make the server key and request",
            &[
                &["req", "-config", "openssl.cnf", "-new"][..],
                &ec[..],
                &[
                    "-keyout",
                    "key.pem",
                    "-out",
                    "leaf.csr",
                    "-subj",
                    "/CN=localhost",
                ][..],
            ]
            .concat(),
        );
        let serial = format!("0x{:016x}", unique_u64());
        self.openssl(
            &tls,
            "sign the server certificate",
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                &serial,
                "-days",
                "30",
                "-extfile",
                "openssl.cnf",
                "-extensions",
                "leaf_ext",
                "-out",
                "leaf.pem",
            ],
        );
        let mut chain = fs::read(tls.join("leaf.pem")).unwrap();
        chain.extend(fs::read(tls.join("ca.pem")).unwrap());
        fs::write(tls.join("chain.pem"), chain).unwrap();
        // The CA file is public: let any test user read it even though tls/ is 0700.
        fs::copy(tls.join("ca.pem"), self.dir.join("ca.pem")).unwrap();
    }

    fn openssl(&self, cwd: &Path, what: &str, args: &[&str]) {
        let out = Command::new(&self.bins.openssl)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("mail lab: cannot run {}: {e}", self.bins.openssl.display())
            });
        if !out.status.success() {
            panic!(
                "mail lab: openssl failed to {what} ({}): openssl {}\n{}",
                out.status,
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn write_dovecot_conf(&self) {
        let d = self.dir.display();
        let dh = if Path::new("/usr/share/dovecot/dh.pem").exists() {
            "ssl_dh = </usr/share/dovecot/dh.pem\n"
        } else {
            ""
        };
        let conf = format!(
            r#"# generated by tests/support/lab.rs
instance_name = {name}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/log/dovecot.log
info_log_path = {d}/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
login_greeting = Dovecot {name} ready.
ssl = yes
ssl_cert = <{d}/tls/chain.pem
ssl_key = <{d}/tls/key.pem
ssl_min_protocol = TLSv1.2
{dh}disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_username_format = %Lu
auth_failure_delay = 0
first_valid_uid = {uid}
first_valid_gid = {gid}
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
mail_save_crlf = yes
passdb {{
  driver = static
  args = password={pw} nodelay=yes
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%Lu allow_all_users=yes
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \Junk
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.2
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
# A test lab keeps nothing worth an fsync: without it, delivery does not queue behind the
# writeback of a fresh build on a slow disk (CI saw LMTP deliveries take over 20 s).
mail_fsync = never
protocol imap {{
  mail_max_userip_connections = 200
}}
protocol lmtp {{
  postmaster_address = postmaster@example.test
}}
"#,
            name = self.name,
            pw = Self::PASSWORD,
            uid = self.mail_uid,
            gid = self.mail_gid,
            imap = self.imap_port,
            imaps = self.imaps_port,
        );
        fs::write(self.dir.join("dovecot.conf"), conf).unwrap();
    }

    fn write_postfix_conf(&self) {
        let d = self.dir.display();
        let pf = self.dir.join("postfix");
        fs::create_dir_all(&pf).unwrap();
        let main = format!(
            r#"# generated by tests/support/lab.rs
compatibility_level = 3.6
queue_directory = {d}/pq
data_directory = {d}/pd
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix
maillog_file = {d}/log/postfix.log
maillog_file_prefixes = {d}/log
myhostname = {name}.example.test
mydomain = example.test
myorigin = $mydomain
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
biff = no
smtpd_banner = $myhostname ESMTP {name}
virtual_mailbox_domains = example.test
virtual_mailbox_maps = regexp:{d}/postfix/mailboxes.regexp
virtual_alias_domains =
virtual_alias_maps = regexp:{d}/postfix/catchall.regexp
virtual_transport = lmtp:unix:{d}/run/lmtp
default_transport = error:the mail lab relays nowhere
relay_transport = error:the mail lab relays nowhere
local_transport = error:the mail lab has no local delivery
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtpd_error_sleep_time = 0
in_flow_delay = 0
# Fast retries after stop_imap. Not below 2s: with a 1s backoff the deferred-queue scan
# can pick a message up while the LMTP agent still holds its lock, and Postfix then parks
# it in incoming/ for a fixed 60s ("skipped, still being delivered").
queue_run_delay = 1s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
transport_retry_time = 1s
message_size_limit = 52428800
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_sasl_type = dovecot
smtpd_sasl_path = {d}/run/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_tls_cert_file = {d}/tls/chain.pem
smtpd_tls_key_file = {d}/tls/key.pem
smtpd_tls_security_level = none
smtpd_tls_auth_only = yes
smtpd_tls_session_cache_database =
"#,
            name = self.name
        );
        fs::write(pf.join("main.cf"), main).unwrap();
        // Any address of example.test is a mailbox; every other domain goes to the catch-all.
        fs::write(pf.join("mailboxes.regexp"), "/@example\\.test$/ OK\n").unwrap();
        fs::write(
            pf.join("catchall.regexp"),
            format!("!/@example\\.test$/ {}\n", Self::CATCHALL),
        )
        .unwrap();
        let auth = "  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n";
        // chroot "n" everywhere. The inbound listener comes last: its banner proves
        // that the master has bound every listener before it (see wait_postfix_ready).
        let master = format!(
            "# generated by tests/support/lab.rs
127.0.0.1:{smtps} inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
{auth}127.0.0.1:{submission} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
{auth}127.0.0.1:{inbound} inet n - n - - smtpd
  -o syslog_name=postfix/inbound
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
proxywrite unix - - n -    1 proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
lmtp      unix  - - n -    - lmtp
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
",
            smtps = self.smtps_port,
            submission = self.submission_port,
            inbound = self.smtp_inbound_port,
        );
        fs::write(pf.join("master.cf"), master).unwrap();
        // Postfix re-reads (and stalls ~2 s on) config files changed in the last seconds.
        let past = SystemTime::now() - Duration::from_secs(10);
        for entry in fs::read_dir(&pf).unwrap() {
            let f = fs::File::options()
                .write(true)
                .open(entry.unwrap().path())
                .unwrap();
            f.set_modified(past).unwrap();
        }
    }

    /// `postfix check` creates the queue tree with the right owners (first run only).
    fn postfix_check(&self) {
        if self.dir.join("pq/active").exists() {
            return;
        }
        let out = Command::new(&self.bins.postfix)
            .arg("-c")
            .arg(self.dir.join("postfix"))
            .arg("check")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("mail lab: cannot run {}: {e}", self.bins.postfix.display())
            });
        if !out.status.success() {
            panic!(
                "mail lab: `postfix -c {}/postfix check` failed ({}): {}{}",
                self.dir.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn spawn_dovecot(&self) {
        // Foreground (-F) so this lab owns the master as a child process; stdio goes to
        // a file, never to the test's pipes.
        let child = Command::new(&self.bins.dovecot)
            .arg("-F")
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log_file(&self.dir.join("log/dovecot.stderr")))
            .stderr(log_file(&self.dir.join("log/dovecot.stderr")))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("mail lab: cannot run {}: {e}", self.bins.dovecot.display())
            });
        *self.dovecot.lock().unwrap() = Some(child);
    }

    fn spawn_postfix(&self) {
        let conf = self.dir.join("postfix");
        let child = Command::new(&self.bins.master)
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .env("MAIL_CONFIG", &conf)
            .current_dir(&self.dir)
            // Own group: on SIGTERM the master signals its process group.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log_file(&self.dir.join("log/postfix.stderr")))
            .stderr(log_file(&self.dir.join("log/postfix.stderr")))
            .spawn()
            .unwrap_or_else(|e| panic!("mail lab: cannot run {}: {e}", self.bins.master.display()));
        *self.postfix.lock().unwrap() = Some(child);
    }

    fn wait_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        self.wait_dovecot_ready(deadline)?;
        self.wait_postfix_ready(deadline)
    }

    /// Ready when the plain IMAP listener greets with this lab's name: Dovecot binds
    /// every listener (or dies) before it starts a login process, so IMAPS is ours too.
    /// (Probing the TLS ports with bare connects would only add handshake errors to
    /// the logs.)
    fn wait_dovecot_ready(&self, deadline: Instant) -> Result<(), String> {
        let greeting = format!("Dovecot {} ready", self.name);
        let penalty_socket = self.dir.join("run/anvil-auth-penalty");
        let penalty_deadline = Instant::now() + Duration::from_secs(2);
        let mut penalty_removed = false;
        loop {
            if let Some(status) = try_wait(&self.dovecot) {
                return Err(format!("dovecot exited during start-up ({status})"));
            }
            // Dovecot's auth penalty delays every login from an IP for 2–15 s after a
            // failed one (even with auth_failure_delay = 0): one wrong-password test would
            // slow every later login in the lab. The auth process disables the penalty
            // when it finds no anvil-auth-penalty socket at its start, and it starts only
            // when the first client arrives: remove the socket (which the master creates
            // with all listeners) before any probe connects.
            if !penalty_removed && Instant::now() < penalty_deadline {
                penalty_removed = fs::remove_file(&penalty_socket).is_ok();
                if !penalty_removed {
                    sleep(Duration::from_millis(5));
                    continue;
                }
            }
            if banner(([127, 0, 0, 2], self.imap_port)).is_some_and(|b| b.contains(&greeting)) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "dovecot did not accept on 127.0.0.2:{} and 127.0.0.1:{}",
                    self.imap_port, self.imaps_port
                ));
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// Ready when the inbound listener greets with this lab's name: the Postfix master
    /// binds every master.cf listener (or dies) before it serves any of them.
    fn wait_postfix_ready(&self, deadline: Instant) -> Result<(), String> {
        let greeting = format!("ESMTP {}", self.name);
        loop {
            if let Some(status) = try_wait(&self.postfix) {
                return Err(format!("postfix master exited during start-up ({status})"));
            }
            if banner(([127, 0, 0, 1], self.smtp_inbound_port))
                .is_some_and(|b| b.contains(&greeting))
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "postfix did not accept on 127.0.0.1:{}/{}/{}",
                    self.smtp_inbound_port, self.submission_port, self.smtps_port
                ));
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// Whether any message is in Postfix's incoming, active or deferred queue.
    fn postfix_queue_busy(&self) -> bool {
        fn has_file(dir: &Path) -> bool {
            fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
                let p = e.path();
                if p.is_dir() {
                    has_file(&p)
                } else {
                    true
                }
            })
        }
        ["incoming", "active", "deferred", "maildrop"]
            .iter()
            .any(|q| has_file(&self.dir.join("pq").join(q)))
    }

    // ---- reading mail -------------------------------------------------------------

    /// None when a file vanished while reading (caller retries).
    fn read_inbox(&self, user: &str) -> Option<Vec<Vec<u8>>> {
        let maildir = self
            .dir
            .join("mail")
            .join(user.to_lowercase())
            .join("Maildir");
        // base name (without ":2,flags") -> path, for cur/ and new/
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        for sub in ["cur", "new"] {
            let rd = match fs::read_dir(maildir.join(sub)) {
                Ok(rd) => rd,
                Err(_) => continue,
            };
            for entry in rd.flatten() {
                let file = entry.file_name().to_string_lossy().into_owned();
                let base = file.split(':').next().unwrap_or("").to_string();
                files.push((base, entry.path()));
            }
        }
        // UID order from dovecot-uidlist ("<uid> [ext...] :<base name>" per line).
        let uidlist = fs::read_to_string(maildir.join("dovecot-uidlist")).unwrap_or_default();
        let mut uid_of = std::collections::HashMap::new();
        for line in uidlist.lines().skip(1) {
            if let (Some(uid), Some(pos)) = (
                line.split(' ').next().and_then(|u| u.parse::<u64>().ok()),
                line.find(" :"),
            ) {
                uid_of.insert(line[pos + 2..].to_string(), uid);
            }
        }
        // Files not yet in the uidlist come last, in name (= arrival time) order.
        files.sort_by(|a, b| {
            let ka = (uid_of.get(&a.0).copied().unwrap_or(u64::MAX), &a.0);
            let kb = (uid_of.get(&b.0).copied().unwrap_or(u64::MAX), &b.0);
            ka.cmp(&kb)
        });
        let mut out = Vec::with_capacity(files.len());
        for (_, path) in files {
            match fs::read(&path) {
                Ok(bytes) => out.push(bytes),
                Err(_) => return None,
            }
        }
        Some(out)
    }

    // ---- stopping -----------------------------------------------------------------

    fn stop_servers(&self) {
        // Signal both first, then wait, so the two shut down in parallel.
        let pf = self.postfix.lock().unwrap().take();
        let dc = self.dovecot.lock().unwrap().take();
        if let Some(c) = &pf {
            signal_stop(c, "postfix");
        }
        if let Some(c) = &dc {
            signal_stop(c, "dovecot");
        }
        if let Some(c) = pf {
            stop_child(c, "postfix");
        }
        if let Some(c) = dc {
            stop_child(c, "dovecot");
        }
    }

    fn logs_tail(&self) -> String {
        let mut s = String::new();
        for (f, n) in [
            ("dovecot.stderr", 10),
            ("dovecot.log", 20),
            ("postfix.stderr", 10),
            ("postfix.log", 30),
        ] {
            let text = read_lossy(&self.dir.join("log").join(f));
            if !text.trim().is_empty() {
                s.push_str(&format!(
                    "--- {}/log/{f} (tail) ---\n{}\n",
                    self.dir.display(),
                    tail(&text, n)
                ));
            }
        }
        s
    }

    fn smtp_fail(&self, cmd: &str, reply: &str) -> ! {
        panic!(
            "mail lab: SMTP to 127.0.0.1:{} refused {:?}: {}\n--- postfix log (tail) ---\n{}",
            self.smtp_inbound_port,
            cmd.trim_end(),
            reply.trim_end(),
            tail(&self.postfix_log(), 20)
        );
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut w) = self.watchdog.lock().unwrap().take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        self.stop_servers();
        if std::env::var("LAB_KEEP").as_deref() == Ok("1") {
            eprintln!("mail lab: LAB_KEEP=1, keeping {}", self.dir.display());
        } else if let Err(e) = fs::remove_dir_all(&self.dir) {
            eprintln!("mail lab: cannot remove {}: {e}", self.dir.display());
        }
    }
}

// ---- helpers ------------------------------------------------------------------------

impl Bins {
    fn find() -> Bins {
        let master = Path::new("/usr/lib/postfix/sbin/master");
        Bins {
            dovecot: find_bin("dovecot", "dovecot-core"),
            doveadm: find_bin("doveadm", "dovecot-core"),
            postfix: find_bin("postfix", "postfix"),
            master: if master.exists() {
                master.to_path_buf()
            } else {
                find_bin("master", "postfix")
            },
            openssl: find_bin("openssl", "openssl"),
        }
    }
}

fn find_bin(name: &str, package: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    let dirs = path.split(':').chain([
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/lib/postfix/sbin",
    ]);
    for dir in dirs.filter(|d| !d.is_empty()) {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "mail lab: `{name}` not found (PATH and /usr/sbin); install the Debian package {package} \
         with scripts/install-test-deps.sh"
    );
}

fn make_lab_dir() -> (PathBuf, String) {
    for _ in 0..100 {
        let n = unique_u64();
        let name: String = (0..6)
            .map(|i| {
                let c = ((n >> (i * 6)) % 36) as u8;
                (if c < 10 { b'0' + c } else { b'a' + c - 10 }) as char
            })
            .collect();
        let name = format!("lab-{name}");
        let dir = Path::new("/tmp").join(&name);
        if fs::create_dir(&dir).is_ok() {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
            for sub in ["log", "pq", "mail"] {
                fs::create_dir(dir.join(sub)).unwrap();
            }
            let (uid, gid) = lookup_user("mail").unwrap_or((8, 8));
            std::os::unix::fs::chown(dir.join("mail"), Some(uid), Some(gid)).unwrap();
            fs::set_permissions(dir.join("mail"), fs::Permissions::from_mode(0o700)).unwrap();
            return (dir, name);
        }
    }
    panic!("mail lab: cannot create a directory /tmp/lab-XXXXXX");
}

/// A `sh` that blocks reading a pipe whose only writer is this test process. When the
/// process ends without dropping the Lab (a killed or interrupted test run, a Lab kept
/// in a static), the pipe closes and the watchdog stops this lab's two masters — each
/// only if its PID file names a process whose command line names this lab's directory —
/// and removes the directory (kept with LAB_KEEP=1). Drop kills the watchdog first.
/// The servers and the watchdog run in their own process groups so that a Ctrl-C
/// reaches only the test process, and the watchdog then cleans up.
fn spawn_watchdog(dir: &Path) -> Child {
    const SCRIPT: &str = r#"read _ || true
pids=
for f in "$1/run/master.pid" "$1/pq/pid/master.pid"; do
  p=$(cat "$f" 2>/dev/null) || continue
  p=$(echo $p)
  case "$(tr '\000' ' ' < /proc/$p/cmdline 2>/dev/null)" in
    *" $1/"*) kill -TERM "$p" && pids="$pids $p" ;;
  esac
done
i=0
while [ $i -lt 100 ]; do
  alive=
  for p in $pids; do
    [ -d /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status 2>/dev/null && alive=1
  done
  [ -z "$alive" ] && break
  sleep 0.1; i=$((i+1))
done
[ "$2" = keep ] || rm -rf -- "$1"
"#;
    let keep = if std::env::var("LAB_KEEP").as_deref() == Ok("1") {
        "keep"
    } else {
        ""
    };
    Command::new("/bin/sh")
        .args(["-c", SCRIPT, "lab-watchdog"])
        .arg(dir)
        .arg(keep)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(log_file(&dir.join("log/watchdog.stderr")))
        .spawn()
        .unwrap_or_else(|e| panic!("mail lab: cannot run /bin/sh for the watchdog: {e}"))
}

fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[0] == name).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

/// Holds all five listeners at once so they are distinct, then releases them.
fn pick_ports() -> Ports {
    let l = |ip: [u8; 4]| {
        TcpListener::bind(SocketAddr::from((ip, 0))).expect("mail lab: cannot bind a loopback port")
    };
    let ls = [
        l([127, 0, 0, 2]),
        l([127, 0, 0, 1]),
        l([127, 0, 0, 1]),
        l([127, 0, 0, 1]),
        l([127, 0, 0, 1]),
    ];
    let p: Vec<u16> = ls.iter().map(|l| l.local_addr().unwrap().port()).collect();
    Ports {
        imap: p[0],
        imaps: p[1],
        smtp_inbound: p[2],
        submission: p[3],
        smtps: p[4],
    }
}

fn unique_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut x = nanos
        ^ ((std::process::id() as u64) << 40)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn log_file(path: &Path) -> fs::File {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn try_wait(slot: &Mutex<Option<Child>>) -> Option<std::process::ExitStatus> {
    slot.lock()
        .unwrap()
        .as_mut()
        .and_then(|c| c.try_wait().ok().flatten())
}

/// Stops a server (see `signal_stop`), then waits for the master and for every other
/// process of its group, so that the ports are free again when this returns. SIGKILL
/// to the group after STOP_TIMEOUT.
fn stop_child(mut child: Child, what: &str) {
    let pgid = child.id() as i32;
    signal_stop(&child, what);
    let deadline = Instant::now() + STOP_TIMEOUT;
    loop {
        let master_done = !matches!(child.try_wait(), Ok(None));
        if master_done && !group_alive(pgid) {
            return;
        }
        if Instant::now() >= deadline {
            eprintln!("mail lab: {what} (process group {pgid}) ignored SIGTERM, killing it");
            unsafe { kill(-pgid, SIGKILL) };
            let _ = child.wait();
            return;
        }
        sleep(Duration::from_millis(5));
    }
}

/// SIGTERM to Dovecot's whole process group (its own, see spawn_dovecot): every process
/// exits at once, ~10 ms where the master's own shutdown takes ~1 s, and the master still
/// reaps its children. Postfix's master gets SIGTERM alone: it signals its group itself
/// and reaps; signalling the whole group would orphan smtpd zombies.
fn signal_stop(child: &Child, what: &str) {
    let pid = child.id() as i32;
    let target = if what == "dovecot" { -pid } else { pid };
    unsafe { kill(target, SIGTERM) };
}

/// Whether a live (non-zombie) process is in process group `pgid`.
fn group_alive(pgid: i32) -> bool {
    let Ok(rd) = fs::read_dir("/proc") else {
        return false;
    };
    for entry in rd.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // fields: state ppid pgrp …
        if fields.len() > 2 && fields[0] != "Z" && fields[2].parse() == Ok(pgid) {
            return true;
        }
    }
    false
}

/// The first line a server sends on connect, or None.
fn banner(addr: impl Into<SocketAddr>) -> Option<String> {
    let s = TcpStream::connect_timeout(&addr.into(), Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    Some(line)
}

/// Reads one (possibly multi-line) SMTP reply: (code, full text).
fn read_smtp_reply(r: &mut impl BufRead) -> (u16, String) {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return (0, format!("{text}(connection closed or timed out)")),
            Ok(_) => {}
        }
        text.push_str(&line);
        let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        if line.as_bytes().get(3) != Some(&b'-') {
            return (code, text);
        }
    }
}

/// CRLF line ends, leading dots doubled, final CRLF guaranteed (terminator not included).
fn dot_stuff(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 50 + 2);
    if raw.is_empty() {
        return out;
    }
    let body = raw.strip_suffix(b"\n").unwrap_or(raw);
    for line in body.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// "Subject: … / To: …" of a message, for failure reports.
fn summary_line(msg: &[u8]) -> String {
    let text = String::from_utf8_lossy(msg);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let pick = |name: &str| {
        head.lines()
            .find(|l| l.len() > name.len() && l[..name.len()].eq_ignore_ascii_case(name))
            .unwrap_or("")
            .trim()
            .to_string()
    };
    format!(
        "{} | {} | {} bytes",
        pick("To:"),
        pick("Subject:"),
        msg.len()
    )
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn f<T: Send + Sync>() {}
    f::<Lab>();
}

// ---- outages and mailbox facts (tests/outage.rs, tests/crash.rs) ------------------------

impl Lab {
    /// UIDVALIDITY and UIDNEXT of `user`'s INBOX, as Dovecot reports them
    /// (`doveadm mailbox status`).
    pub fn mailbox_status(&self, user: &str) -> (u32, u32) {
        let out = Command::new(&self.bins.doveadm)
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .args([
                "mailbox",
                "status",
                "-u",
                &user.to_lowercase(),
                "uidvalidity uidnext",
                "INBOX",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("mail lab: cannot run {}: {e}", self.bins.doveadm.display())
            });
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |name: &str| -> u32 {
            text.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| {
                    panic!(
                        "mail lab: doveadm mailbox status gave no {name}: {text}{}",
                        String::from_utf8_lossy(&out.stderr)
                    )
                })
        };
        (field("uidvalidity"), field("uidnext"))
    }

    /// Per-recipient answers of Postfix (`check_recipient_access`, every smtpd service,
    /// submission included): each `(address, action)` is an access(5) action such as
    /// `"DEFER kotak penuh"` (450, a temporary failure) or `"REJECT tidak dikenal"` (554,
    /// permanent). An empty list lifts every rule. Postfix is restarted with the new
    /// rules (its queue is kept), so they hold for every connection made after this
    /// returns; a client that pools connections must open new ones.
    pub fn set_recipient_rules(&self, rules: &[(&str, &str)]) {
        let pf = self.dir.join("postfix");
        let table: String = rules
            .iter()
            .map(|(addr, action)| {
                let escaped = addr.to_lowercase().replace('.', "\\.");
                format!("/^{escaped}$/ {action}\n")
            })
            .collect();
        fs::write(pf.join("recipient_access.regexp"), table).unwrap();
        let main = fs::read_to_string(pf.join("main.cf")).unwrap();
        let wanted = format!(
            "smtpd_recipient_restrictions = check_recipient_access regexp:{}/postfix/recipient_access.regexp\n",
            self.dir.display()
        );
        let main: String = main
            .lines()
            .map(|l| {
                if l.starts_with("smtpd_recipient_restrictions =") {
                    wanted.clone()
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        fs::write(pf.join("main.cf"), main).unwrap();
        // Postfix stalls on config files changed in the last seconds (see write_postfix_conf).
        let past = SystemTime::now() - Duration::from_secs(10);
        for entry in fs::read_dir(&pf).unwrap() {
            let f = fs::File::options()
                .write(true)
                .open(entry.unwrap().path())
                .unwrap();
            f.set_modified(past).unwrap();
        }
        if let Some(child) = self.postfix.lock().unwrap().take() {
            stop_child(child, "postfix");
        }
        self.spawn_postfix();
        if let Err(e) = self.wait_postfix_ready(Instant::now() + START_TIMEOUT) {
            panic!(
                "mail lab: postfix did not restart with new recipient rules: {e}\n{}",
                self.logs_tail()
            );
        }
    }
}

impl Lab {
    /// Waits until Postfix's queues are empty (everything accepted was delivered or
    /// bounced), so mailbox counts are final. Panics after `timeout`.
    pub fn wait_queue_empty(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.postfix_queue_busy() {
            if Instant::now() >= deadline {
                panic!(
                    "mail lab: the Postfix queue is not empty after {timeout:?}\n{}",
                    tail(&self.postfix_log(), 30)
                );
            }
            sleep(Duration::from_millis(25));
        }
    }
}

// ---- Gmail's IMAP answers (tests/gmail_limits.rs) ---------------------------------------

/// A loopback proxy in front of the real Dovecot that answers chosen client commands the
/// way Gmail does (`[OVERQUOTA]`, `[ALERT] Too many simultaneous connections`,
/// `[AUTHENTICATIONFAILED]`) and passes everything else through unchanged. Clients speak
/// plain IMAP to it (`security = "plain"`, `127.0.0.1:port`); it speaks plain IMAP to a
/// Dovecot listener on 127.0.0.1, where Dovecot allows LOGIN without TLS.
pub struct ImapProxy {
    pub port: u16,
    rules: std::sync::Arc<Mutex<Vec<ProxyRule>>>,
}

/// A client command whose line contains `pattern` (case-insensitive, after the tag) gets
/// `replies[0]`, then `replies[1]`, …, the last one for ever; it never reaches Dovecot.
struct ProxyRule {
    pattern: String,
    replies: Vec<String>,
    used: usize,
}

impl ImapProxy {
    /// Replaces the rules: `(pattern, replies)`, each reply an untagged-free response such
    /// as `"NO [OVERQUOTA] Account exceeded command or bandwidth limits. (Failure)"` (the
    /// proxy puts the command's tag in front). An empty list passes everything.
    pub fn set_rules(&self, rules: &[(&str, &[&str])]) {
        *self.rules.lock().unwrap() = rules
            .iter()
            .map(|(pattern, replies)| ProxyRule {
                pattern: pattern.to_uppercase(),
                replies: replies.iter().map(|r| r.to_string()).collect(),
                used: 0,
            })
            .collect();
    }
}

impl Lab {
    /// Starts an [`ImapProxy`] with `rules` (see [`ImapProxy::set_rules`]). The first call
    /// adds the plain 127.0.0.1 listener to Dovecot and restarts it (mail is kept).
    pub fn imap_proxy(&self, rules: &[(&str, &[&str])]) -> ImapProxy {
        let upstream = self.plain_loopback_imap();
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let proxy = ImapProxy {
            port: listener.local_addr().unwrap().port(),
            rules: Default::default(),
        };
        proxy.set_rules(rules);
        let rules = proxy.rules.clone();
        // The thread ends with the test process; each connection ends with its client.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let rules = rules.clone();
                std::thread::spawn(move || proxy_connection(client, upstream, &rules));
            }
        });
        proxy
    }

    /// The port of a plain IMAP listener on 127.0.0.1, added on first use.
    fn plain_loopback_imap(&self) -> u16 {
        let path = self.dir.join("dovecot.conf");
        let conf = fs::read_to_string(&path).unwrap();
        if let Some(port) = conf
            .split("inet_listener imap_proxied {")
            .nth(1)
            .and_then(|rest| rest.split("port = ").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
        {
            return port;
        }
        let port = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = conf.replacen(
            "service imap-login {\n",
            &format!(
                "service imap-login {{\n  inet_listener imap_proxied {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n"
            ),
            1,
        );
        fs::write(&path, conf).unwrap();
        self.stop_imap();
        self.start_imap();
        let deadline = Instant::now() + START_TIMEOUT;
        while banner(([127, 0, 0, 1], port)).is_none() {
            assert!(
                Instant::now() < deadline,
                "mail lab: dovecot does not listen on 127.0.0.1:{port}\n{}",
                self.logs_tail()
            );
            sleep(Duration::from_millis(20));
        }
        port
    }
}

fn proxy_connection(client: TcpStream, upstream: u16, rules: &Mutex<Vec<ProxyRule>>) {
    let Ok(server) = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], upstream))) else {
        return;
    };
    let (to_client, mut from_server) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    // Server to client: unchanged. The proxy's own replies go through the same locked
    // writer, so they never land inside one of the server's writes.
    let replies = std::sync::Arc::new(Mutex::new(client.try_clone().unwrap()));
    let writer = replies.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match std::io::Read::read(&mut from_server, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if writer.lock().unwrap().write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to_client.shutdown(Shutdown::Both);
    });
    let mut to_server = server;
    let mut lines = BufReader::new(client);
    loop {
        let mut line = Vec::new();
        match lines.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).to_uppercase();
        let (tag, command) = text.split_once(' ').unwrap_or(("", ""));
        let made_up = rules
            .lock()
            .unwrap()
            .iter_mut()
            .find(|r| command.contains(&r.pattern))
            .map(|r| {
                let reply = r.replies[r.used.min(r.replies.len() - 1)].clone();
                r.used += 1;
                reply
            });
        let ok = match made_up {
            Some(reply) => {
                let tag = String::from_utf8_lossy(&line[..tag.len()]).into_owned();
                replies
                    .lock()
                    .unwrap()
                    .write_all(format!("{tag} {reply}\r\n").as_bytes())
                    .is_ok()
            }
            None => to_server.write_all(&line).is_ok(),
        };
        if !ok {
            break;
        }
    }
    let _ = to_server.shutdown(Shutdown::Both);
}
