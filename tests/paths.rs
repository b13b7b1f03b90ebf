//! Paths and secrets (issue 12, item 7): the real binary, started from another working
//! directory with a config whose paths are relative to its own folder, with no holiday file
//! and no templates folder beside it (the built-in ones are used), and with no password in
//! the environment although the config has [imap] and [smtp]: the offline commands work,
//! and `run` names the missing password.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::daemon::{complaint, Daemon, PUSKESMAS};
use support::lab::Lab;

const IMAP_ENV: &str = "PENGADUAN_IMAP_PASSWORD";
const SMTP_ENV: &str = "PENGADUAN_SMTP_PASSWORD";

/// `dir/pengaduan.toml` with relative paths only, [imap] and [smtp] with password_env, and
/// `extra` appended.
fn write_config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("pengaduan.toml");
    std::fs::write(
        &path,
        format!(
            "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
             [imap]\nhost = \"imap.gmail.com\"\nport = 993\nsecurity = \"tls\"\n\
             username = \"kademangan.puskesmas@gmail.com\"\npassword_env = \"{IMAP_ENV}\"\n\
             [smtp]\nhost = \"smtp.gmail.com\"\nport = 587\nsecurity = \"starttls\"\n\
             username = \"kademangan.puskesmas@gmail.com\"\npassword_env = \"{SMTP_ENV}\"\n\
             [storage]\ndatabase = \"data/pengaduan.db\"\n{extra}"
        ),
    )
    .unwrap();
    path
}

/// The binary from `cwd`, with no password variable set.
fn pengaduan_in(cwd: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pengaduan"))
        .current_dir(cwd)
        .env_remove(IMAP_ENV)
        .env_remove(SMTP_ENV)
        .env_remove("PENGADUAN_CONFIG")
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn record(cwd: &Path, config: &Path) -> String {
    let out = pengaduan_in(
        cwd,
        config,
        &[
            "complaints",
            "record",
            "--channel",
            "telepon",
            "--name",
            "Budi",
            "--phone",
            "0812-3456-7890",
            "--text",
            "Antrean di loket pendaftaran lama sekali.",
            "--received",
            "2026-12-10 10:00",
            "--by",
            "petugas",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let all = text(&out);
    all.split(':').next().unwrap().trim().to_string()
}

#[test]
fn offline_commands_work_from_root_without_passwords_holiday_files_or_templates() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");
    let root = Path::new("/");

    let ticket = record(root, &config);
    assert!(ticket.starts_with("ADU-2026-"), "{ticket}");
    // The database is beside the config, not in the working directory.
    assert!(dir.path().join("data/pengaduan.db").is_file());

    let out = pengaduan_in(root, &config, &["complaints", "list", "--all"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("BUKU REGISTER PENGADUAN"),
        "built-in template: {all}"
    );
    assert!(all.contains(&ticket), "{all}");

    let out = pengaduan_in(root, &config, &["complaints", "show", &ticket]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    // The built-in 2026 list (24, 25 Dec) and the built-in 2027 list (1 Jan) were skipped.
    assert!(
        all.contains("Batas jawaban : Senin, 4 Januari 2027"),
        "{all}"
    );
    let out = pengaduan_in(root, &config, &["calendar", "2027"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("dari config/libur-nasional-2027.toml (bawaan program)"),
        "built-in list: {all}"
    );

    for args in [&["flagged"][..], &["digest", "--dry-run"]] {
        let out = pengaduan_in(root, &config, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    assert!(!text(&out).contains("is not set or empty"));

    // `run` needs the passwords, and says which one is missing before anything else.
    let out = pengaduan_in(root, &config, &["run"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains(&format!(
            "imap.password_env names the environment variable {IMAP_ENV}, which is not set or empty"
        )),
        "{all}"
    );
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn a_templates_folder_beside_the_config_overrides_one_template() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");
    std::fs::create_dir_all(dir.path().join("templates/cli")).unwrap();
    std::fs::write(
        dir.path().join("templates/cli/complaints.txt"),
        "REGISTER PUSKESMAS: {{ total }} tercatat\n",
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let ticket = record(elsewhere.path(), &config);

    let out = pengaduan_in(elsewhere.path(), &config, &["complaints", "list", "--all"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "REGISTER PUSKESMAS: 1 tercatat"
    );
    // A template the folder does not hold still comes from the program.
    let out = pengaduan_in(elsewhere.path(), &config, &["complaints", "show", &ticket]);
    assert!(text(&out).contains("Batas jawaban"), "{}", text(&out));

    // The same folder named explicitly, relative to the config file's folder.
    let config = write_config(dir.path(), "[templates]\ndir = \"templates\"\n");
    let out = pengaduan_in(elsewhere.path(), &config, &["complaints", "list", "--all"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "REGISTER PUSKESMAS: 1 tercatat"
    );
}

#[test]
fn a_configured_path_that_does_not_exist_is_named_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();

    let config = write_config(dir.path(), "[templates]\ndir = \"teks\"\n");
    let out = pengaduan_in(cwd.path(), &config, &["complaints", "list"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("templates.dir"), "{all}");
    assert!(
        all.contains(&dir.path().join("teks").display().to_string()),
        "resolved from the config's folder: {all}"
    );

    let config = write_config(
        dir.path(),
        "[calendar]\nholidays = [\"libur-nasional-2027.toml\"]\n",
    );
    let out = pengaduan_in(cwd.path(), &config, &["complaints", "list"]);
    assert!(
        out.status.success(),
        "list needs no calendar: {}",
        text(&out)
    );
    let out = pengaduan_in(cwd.path(), &config, &["digest", "--dry-run"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("calendar.holidays"), "{all}");
    assert!(
        all.contains(
            &dir.path()
                .join("libur-nasional-2027.toml")
                .display()
                .to_string()
        ),
        "{all}"
    );
}

#[test]
fn a_register_left_at_the_old_working_directory_path_is_not_replaced_by_an_empty_one() {
    // Before, `database = "data/pengaduan.db"` in config/pengaduan.toml meant data/ in the
    // working directory; now it means config/data/. Starting from the checkout with the old
    // register in place must not open a new, empty one.
    let checkout = tempfile::tempdir().unwrap();
    let config_dir = checkout.path().join("config");
    std::fs::create_dir(&config_dir).unwrap();
    let old = write_config(checkout.path(), "");
    record(checkout.path(), &old);
    assert!(checkout.path().join("data/pengaduan.db").is_file());

    let config = write_config(&config_dir, "");
    let out = pengaduan_in(checkout.path(), &config, &["complaints", "list"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("storage.database"), "{all}");
    assert!(!config_dir.join("data/pengaduan.db").exists());
}

#[test]
fn the_daemon_runs_from_root_with_the_built_in_calendar_and_templates() {
    let lab = Lab::start();
    let d = Daemon::new(&lab);
    let root = env!("CARGO_MANIFEST_DIR");
    d.edit_config(
        &format!("[calendar]\nholidays = [\"{root}/config/libur-nasional-2026.toml\"]\n"),
        "",
    );
    d.edit_config(&format!("[templates]\ndir = \"{root}/templates\"\n"), "");
    let db = d.db_path().display().to_string();
    d.edit_config(&db, "data/pengaduan.db");

    let log = std::fs::File::create(d.log_path()).unwrap();
    let mut child = d
        .command(&["run"])
        .current_dir("/")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    // The first start begins at the end of the mailbox: deliver once it has been read.
    d.wait_until(
        "the daemon read the mailbox",
        Duration::from_secs(30),
        || {
            d.db_path().is_file()
                && pengaduan::store::Store::open(&d.db_path())
                    .is_ok_and(|s| s.health("imap_ok").is_ok_and(|h| h.is_some()))
        },
    );
    lab.deliver(
        "siti@example.test",
        &[PUSKESMAS],
        &complaint(
            "siti@example.test",
            "Siti",
            "root@example.test",
            "Obat habis",
            "Obat hipertensi kosong.",
        ),
    );
    let acks = lab.wait_for_messages("siti@example.test", 1, Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let ack = String::from_utf8_lossy(&acks[0]).into_owned();
    assert!(ack.contains("ADU-2026-0001"), "{ack}\n{}", d.log());
    assert!(d.db_path().is_file(), "the register is beside the config");
    assert!(
        !d.log().contains("cannot load"),
        "calendar and templates built in: {}",
        d.log()
    );
}
