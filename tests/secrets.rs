//! Secrets and access (issue 5, item 4) against the real lab: certificates are always
//! verified, a secret file others can read is warned about by name, and no password
//! reaches the output.

mod support;

use std::os::unix::fs::PermissionsExt;

use support::daemon::{output, Daemon};
use support::lab::Lab;

#[test]
fn certificates_are_always_verified_and_cannot_be_switched_off() {
    let lab = Lab::start();
    let d = Daemon::new(&lab);
    // Without the lab's CA the servers' certificates are from an unknown issuer.
    let ca = format!("ca_file = \"{}\"\n", lab.ca_file.display());
    d.edit_config(&ca, "");
    d.edit_config(&ca, "");
    let out = d.run_cli(&["check"]);
    let all = output(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("GAGAL IMAP") && all.contains("GAGAL SMTP"),
        "{all}"
    );
    assert!(all.contains("certificate"), "the reason is named: {all}");

    // There is no key to accept invalid certificates: the config is refused, by key.
    d.edit_config("[imap]\n", "[imap]\naccept_invalid_certs = true\n");
    let out = d.run_cli(&["check"]);
    let all = output(&out);
    assert!(!out.status.success());
    assert!(all.contains("accept_invalid_certs"), "{all}");
}

#[test]
fn a_password_file_others_can_read_is_named_in_a_warning() {
    let lab = Lab::start();
    let d = Daemon::new(&lab);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("imap.pass");
    std::fs::write(&file, format!("{}\n", Lab::PASSWORD)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    d.edit_config(
        "password_env = \"LAB_IMAP_PASSWORD\"",
        &format!("password_file = \"{}\"", file.display()),
    );
    let warning = format!(
        "{} can be read by other users; run: chmod 600 {}",
        file.display(),
        file.display()
    );
    let out = d.run_cli(&["check"]);
    let all = output(&out);
    assert!(
        all.contains("OK    IMAP"),
        "the file's password works: {all}"
    );
    assert!(all.contains(&warning), "{all}");
    assert!(!all.contains(Lab::PASSWORD), "password leaked: {all}");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let all = output(&d.run_cli(&["check"]));
    assert!(all.contains("OK    IMAP"), "{all}");
    assert!(!all.contains(&warning), "{all}");
}

/// A Gmail app password pasted as Google shows it (`abcd efgh ijkl mnop`) is read once,
/// where the config reads secrets, without its spaces: IMAP and SMTP get the same 16
/// letters. Another server's password (the lab's Dovecot is not Gmail) stays as written.
/// No login: the rule is what is tested, Gmail is never reached.
#[test]
fn a_spaced_gmail_app_password_is_read_without_spaces_for_gmail_only() {
    use pengaduan::config::{Config, Login};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app-password");
    std::fs::write(&file, "abcd efgh ijkl mnop\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    // The environment variable holds it too, as a person would paste it there.
    let var = "PENGADUAN_TEST_SPACED_APP_PASSWORD";
    std::env::set_var(var, "qrst uvwx yzab cdef");
    let config = |imap_host: &str, smtp_host: &str| {
        Config::parse(
            &format!(
                "[puskesmas]\nname = \"P\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
                 [storage]\ndatabase = \"p.db\"\n\
                 [imap]\nhost = \"{imap_host}\"\nport = 993\nsecurity = \"tls\"\n\
                 username = \"kademangan.puskesmas@gmail.com\"\npassword_file = \"{}\"\n\
                 [smtp]\nhost = \"{smtp_host}\"\nport = 587\nsecurity = \"starttls\"\n\
                 username = \"kademangan.puskesmas@gmail.com\"\npassword_env = \"{var}\"\n",
                file.display()
            ),
            &dir.path().join("pengaduan.toml"),
        )
        .unwrap()
    };
    let password = |login: &Login| match login {
        Login::Password(source) => source.read().unwrap().expose().to_string(),
        Login::XOAuth2(_) => panic!("a password login"),
    };
    for (imap_host, smtp_host) in [
        ("imap.gmail.com", "smtp.gmail.com"),
        ("imap.googlemail.com", "smtp.googlemail.com"),
    ] {
        let c = config(imap_host, smtp_host);
        assert_eq!(
            password(&c.imap.as_ref().unwrap().login),
            "abcdefghijklmnop"
        );
        assert_eq!(
            password(&c.smtp.as_ref().unwrap().login),
            "qrstuvwxyzabcdef"
        );
        // `pengaduan check` names both keys in its line about it.
        assert_eq!(
            c.unspaced_app_passwords(),
            vec!["imap.password", "smtp.password"]
        );
    }
    let other = config("mail.example.test", "mail.example.test");
    assert_eq!(
        password(&other.imap.as_ref().unwrap().login),
        "abcd efgh ijkl mnop"
    );
    assert_eq!(
        password(&other.smtp.as_ref().unwrap().login),
        "qrst uvwx yzab cdef"
    );
    assert!(other.unspaced_app_passwords().is_empty());
    // A Gmail host with a password of another shape: as written, nothing said.
    std::fs::write(&file, "kata sandi lama\n").unwrap();
    let c = config("imap.gmail.com", "smtp.gmail.com");
    assert_eq!(password(&c.imap.as_ref().unwrap().login), "kata sandi lama");
    assert_eq!(c.unspaced_app_passwords(), vec!["smtp.password"]);
}
