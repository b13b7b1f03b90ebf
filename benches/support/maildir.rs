//! Puts thousands of messages into a lab mailbox at disk speed: files written straight
//! into the user's Maildir `cur/`, then one `doveadm mailbox status` so Dovecot indexes
//! them and gives them UIDs, as if they had been delivered earlier. (`Lab::inject` runs
//! one doveadm process per message, ~10 ms each: too slow for 10,000.)

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::lab::Lab;

/// Writes each message (CRLF, as the lab stores mail) into `user`'s INBOX and lets
/// Dovecot index them. Returns the number of bytes written. The arrival time (IMAP
/// INTERNALDATE, the file's mtime) is the time of writing.
pub fn fill(lab: &Lab, user: &str, messages: impl Iterator<Item = Vec<u8>>) -> u64 {
    let mail_root = lab.dir.join("mail");
    let owner = fs::metadata(&mail_root).unwrap();
    let (uid, gid) = (owner.uid(), owner.gid());
    let home = mail_root.join(user.to_lowercase());
    let maildir = home.join("Maildir");
    for d in [&home, &maildir] {
        let _ = fs::create_dir(d);
        std::os::unix::fs::chown(d, Some(uid), Some(gid)).unwrap();
    }
    for sub in ["cur", "new", "tmp"] {
        let d = maildir.join(sub);
        let _ = fs::create_dir(&d);
        std::os::unix::fs::chown(&d, Some(uid), Some(gid)).unwrap();
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut total = 0u64;
    for (i, raw) in messages.enumerate() {
        // Dovecot's own naming: S= is the file size and W= the size with CRLF line
        // ends, equal here; with them Dovecot answers RFC822.SIZE without reading files.
        let name = format!(
            "{now}.M{i}P{}.bench,S={len},W={len}:2,",
            std::process::id(),
            len = raw.len()
        );
        let path = maildir.join("cur").join(name);
        fs::write(&path, &raw).unwrap();
        std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
        total += raw.len() as u64;
    }
    index(lab, user);
    total
}

/// Makes Dovecot scan the Maildir now (UIDs, index), so no client pays for it later.
fn index(lab: &Lab, user: &str) {
    let doveadm = ["/usr/bin/doveadm", "/usr/sbin/doveadm"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("doveadm not found: run scripts/install-test-deps.sh");
    let out = Command::new(doveadm)
        .arg("-c")
        .arg(lab.dir.join("dovecot.conf"))
        .args([
            "mailbox",
            "status",
            "-u",
            &user.to_lowercase(),
            "messages",
            "INBOX",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "doveadm mailbox status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
