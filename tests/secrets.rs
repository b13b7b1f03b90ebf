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
