//! The public announcement board (papan pengumuman), over HTTP from the crate's server on a
//! real SQLite file: complaints that came by email and by telephone are registered, closed
//! and published with the real binary (`ingest`, `complaints record/review/answer/close/
//! publish`) and from the dashboard, and `/papan` — fetched without a login — holds none of
//! their personal data. Screenshots of the board at 390 and 1366 px and of the printable
//! page go to `target/screenshots/`.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use fantoccini::Locator;
use support::browser::Browser;
use support::web::Site;

const PW: &str = "petugas-rahasia-1";

fn pengaduan(site: &Site, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pengaduan"))
        .arg("--config")
        .arg(&site.config)
        .args(args)
        .output()
        .unwrap()
}

fn ok(site: &Site, args: &[&str]) -> String {
    succeeded(pengaduan(site, args))
}

/// A command that failed, saying `why` on stderr.
fn refused(out: Output, why: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains(why), "{err}");
}

fn succeeded(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `complaints publish TICKET` with the two text files, `--by rina` and `extra`.
fn publish(site: &Site, ticket: &str, summary: &str, followup: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "complaints",
        "publish",
        ticket,
        "--summary-file",
        summary,
        "--followup-file",
        followup,
        "--by",
        "rina",
    ];
    args.extend_from_slice(extra);
    pengaduan(site, &args)
}

fn file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const MAIL_1: &str = "From: Wulandari Prasetyaningsih <wulan.prasetya@gmail.com>\r
To: Puskesmas Kademangan <puskesmas@example.test>\r
Subject: Obat racikan anak tertukar di apotek\r
Date: Mon, 23 Nov 2026 08:12:00 +0700\r
Message-ID: <papan-1@gmail.com>\r
MIME-Version: 1.0\r
Content-Type: text/plain; charset=utf-8\r
Content-Transfer-Encoding: 8bit\r
\r
Selamat pagi bapak dan ibu petugas.\r
\r
Kemarin sore puyer untuk anak kami ternyata berisi resep pasien lain.\r
Kami baru sadar setelah membaca etiketnya di rumah. Untung belum diminumkan!\r
Tolong hubungi saya di 0812-3456-7890 atau lewat WhatsApp.\r
\r
Wulandari Prasetyaningsih\r
Jl. Kenanga No. 7 RT 02/RW 04, Desa Sumberanyar\r
";

const MAIL_2: &str = "From: \"Bambang Sutrisno\" <b.sutrisno77@yahoo.co.id>\r
To: puskesmas@example.test\r
Subject: Toilet ruang tunggu rusak berminggu-minggu\r
Date: Mon, 23 Nov 2026 09:40:00 +0700\r
Message-ID: <papan-2@yahoo.co.id>\r
MIME-Version: 1.0\r
Content-Type: text/plain; charset=utf-8\r
\r
Pintu toilet pria di ruang tunggu tidak bisa dikunci sejak awal bulan.\r
Lantainya licin dan ibu saya hampir terpeleset kemarin.\r
Nomor saya +62 813-9876-5432.\r
\r
Salam hangat, Bambang\r
";

/// A telephone complaint: name, address and phone as staff wrote them in the register.
const PHONE_NAME: &str = "Ibu Karsiyem Wiryodiharjo";
const PHONE_ADDRESS: &str = "Dusun Krajan RT 05/RW 01, Desa Tegalmijin";
const PHONE_NUMBER: &str = "0852-3311-4477";
const PHONE_TEXT: &str = "Bidan desa tidak datang pada jadwal posyandu hari Selasa. Kami menunggu dua jam bersama dua puluh balita.";

/// Every form a person writes an Indonesian number in, from its E.164 form.
fn phone_forms(e164: &str) -> Vec<String> {
    let nsn = e164.trim_start_matches("+62");
    let national = format!("0{nsn}");
    let grouped = |s: &str, sep: &str| {
        let (a, rest) = s.split_at(4);
        let (b, c) = rest.split_at(4.min(rest.len()));
        format!("{a}{sep}{b}{sep}{c}")
    };
    vec![
        e164.to_string(),
        format!("62{nsn}"),
        format!("+62 {nsn}"),
        national.clone(),
        grouped(&national, "-"),
        grouped(&national, " "),
        grouped(&national, "."),
        nsn.to_string(),
    ]
}

/// The sentences of a text: lines joined, split after `.`, `!` or `?` followed by a space.
fn sentences(text: &str) -> Vec<String> {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = joined.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if ".!?".contains(c) && chars.peek().is_none_or(|n| *n == ' ') {
            out.push(current.trim().to_string());
            current.clear();
        }
    }
    out.push(current.trim().to_string());
    out.retain(|s| !s.is_empty());
    out
}

/// Rows of `sql`, each column by name, as text (NULL: none).
fn text_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<(String, Option<String>)>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let names: Vec<String> = stmt.column_names().iter().map(|n| n.to_string()).collect();
    stmt.query_map([], |r| {
        Ok(names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), r.get::<_, Option<String>>(i).unwrap()))
            .collect())
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// Every value a complaint and its messages hold that could identify a person, read from
/// the database itself: the name in full and by its parts, phones in every written form,
/// each sentence of the texts, and the other fields whole.
fn personal_values(db: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut values: Vec<(String, String)> = Vec::new();
    let rows = text_rows(
        &conn,
        "SELECT ticket, substr(ticket, 5) AS ticket_number, complainant_name, complainant_email,
                complainant_address, phones, subject, body FROM complaints
         UNION ALL
         SELECT message_id, NULL, from_name, from_email, NULL, '[]', subject, body_text FROM messages",
    );
    for row in rows {
        for (column, value) in row {
            let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let mut push =
                |what: &str, v: &str| values.push((format!("{column} ({what})"), v.to_string()));
            match column.as_str() {
                "phones" => {
                    let phones: Vec<String> = serde_json::from_str(&value).unwrap();
                    for form in phones.iter().flat_map(|p| phone_forms(p)) {
                        push("phone", &form);
                    }
                }
                "body" => {
                    for s in sentences(&value) {
                        push("sentence", &s);
                    }
                }
                "complainant_name" => {
                    for part in value.split_whitespace() {
                        if part.len() >= 4 && !["Ibu", "Bapak"].contains(&part) {
                            push("name part", part);
                        }
                    }
                    push("whole", &value);
                }
                _ => push("whole", &value),
            }
        }
    }
    values
}

fn html_text(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .to_lowercase()
}

/// Registers two mails and a telephone complaint with the real binary and closes each as
/// satisfied; returns their tickets (mail 1, mail 2, telephone).
fn three_closed_cases(site: &Site) -> [String; 3] {
    let dir = site.dir.path();
    let out = ok(
        site,
        &[
            "ingest",
            &file(dir, "1.eml", MAIL_1),
            &file(dir, "2.eml", MAIL_2),
        ],
    );
    assert!(out.contains("ADU-2026-0002"), "{out}");
    let recorded = ok(
        site,
        &[
            "complaints",
            "record",
            "--channel",
            "telepon",
            "--name",
            PHONE_NAME,
            "--address",
            PHONE_ADDRESS,
            "--phone",
            PHONE_NUMBER,
            "--text",
            PHONE_TEXT,
            "--by",
            "rina",
        ],
    );
    assert!(recorded.contains("ADU-2026-0003"), "{recorded}");
    let answer = file(
        dir,
        "answer.txt",
        "Terima kasih atas laporannya; sudah kami tindak lanjuti.",
    );
    let tickets = ["ADU-2026-0001", "ADU-2026-0002", "ADU-2026-0003"].map(String::from);
    for t in &tickets {
        ok(
            site,
            &[
                "complaints",
                "review",
                t,
                "--plan",
                "rapat unit",
                "--by",
                "rina",
            ],
        );
        ok(
            site,
            &[
                "complaints",
                "answer",
                t,
                "--message-file",
                &answer,
                "--by",
                "rina",
            ],
        );
        ok(
            site,
            &[
                "complaints",
                "close",
                t,
                "--outcome",
                "puas",
                "--via",
                "telepon",
                "--by",
                "rina",
            ],
        );
    }
    tickets
}

const SUMMARY_1: &str =
    "Obat racikan untuk seorang anak tertukar dengan resep lain saat penyerahan di apotek.";
const FOLLOWUP_1: &str = "Setiap racikan kini diperiksa dua petugas dan etiket dibacakan kepada keluarga saat penyerahan.";
const SUMMARY_3: &str = "Jadwal kunjungan bidan ke posyandu salah satu desa tidak ditepati.";
const FOLLOWUP_3: &str =
    "Jadwal bidan desa diumumkan di balai desa setiap bulan dan ada bidan pengganti.";
const SUMMARY_2: &str = "Kunci toilet di ruang tunggu rusak dan lantainya licin.";
const FOLLOWUP_2: &str = "Kunci sudah diganti, lantai diberi keset anti-licin dan diperiksa petugas kebersihan tiap jam.";

#[test]
fn the_board_is_public_and_holds_no_personal_data() {
    let site = Site::start();
    site.add_user("rina", "petugas", PW);
    site.add_user("admin", "admin", "admin-rahasia-1");
    let [t1, t2, t3] = three_closed_cases(&site);
    let dir = site.dir.path();

    // CLI: the preview shows the entry and publishes nothing.
    let (s1, f1) = (
        file(dir, "s1.txt", SUMMARY_1),
        file(dir, "f1.txt", FOLLOWUP_1),
    );
    let preview = succeeded(publish(&site, &t1, &s1, &f1, &["--preview"]));
    assert!(
        preview.contains("PRATINJAU") && preview.contains(SUMMARY_1) && preview.contains("Farmasi"),
        "{preview}"
    );
    assert!(
        !site.client().get("/papan").body.contains(SUMMARY_1),
        "a preview publishes nothing"
    );
    let published = succeeded(publish(&site, &t1, &s1, &f1, &[]));
    assert!(
        published.contains("diumumkan di papan pengumuman"),
        "{published}"
    );
    let (s3, f3) = (
        file(dir, "s3.txt", SUMMARY_3),
        file(dir, "f3.txt", FOLLOWUP_3),
    );
    succeeded(publish(&site, &t3, &s3, &f3, &[]));

    // CLI refusals: personal data in the text, an open case.
    let named = file(
        dir,
        "named.txt",
        "Bu Karsiyem menunggu bidan desa yang tidak datang.",
    );
    refused(publish(&site, &t3, &named, &f3, &[]), "memuat nama pengadu");
    let quoted = file(
        dir,
        "quoted.txt",
        "Kemarin sore puyer untuk anak kami ternyata berisi resep pasien lain.",
    );
    refused(
        publish(&site, &t1, &quoted, &f1, &[]),
        "disalin dari tulisan pengadu",
    );
    ok(
        &site,
        &[
            "complaints",
            "record",
            "--channel",
            "langsung",
            "--text",
            "Parkir motor sempit sekali.",
            "--by",
            "rina",
        ],
    );
    refused(
        publish(&site, "ADU-2026-0004", &s3, &f3, &[]),
        "hanya pengaduan yang sudah selesai",
    );

    // The dashboard: a petugas previews and publishes; without the CSRF token nothing.
    let mut rina = site.login("rina", PW);
    // A case closed as satisfied offers publishing on its own page (step 7a).
    let case = rina.get(&format!("/pengaduan/{t1}"));
    assert_eq!(case.status, 200);
    assert!(
        case.body.contains("href=\"/papan/kelola\"") && case.body.contains("Umumkan hasil"),
        "{}",
        case.body
    );
    let page = rina.get("/papan/kelola");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&t2) && page.body.contains("sudah diumumkan"),
        "{}",
        page.body
    );
    let csrf = support::web::csrf_in(&page.body).unwrap();
    let form = [
        ("ticket", t2.as_str()),
        ("summary", SUMMARY_2),
        ("followup", FOLLOWUP_2),
    ];
    let mut with_csrf = form.to_vec();
    with_csrf.push(("csrf", &csrf));
    let shown = rina.post("/papan/kelola/pratinjau", &with_csrf);
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(
        shown.body.contains("papan-entry") && shown.body.contains(SUMMARY_2),
        "{}",
        shown.body
    );
    assert_eq!(
        rina.post("/papan/kelola/umumkan", &form).status,
        403,
        "no CSRF token"
    );
    assert!(!site.client().get("/papan").body.contains(SUMMARY_2));
    let leak = [
        ("ticket", t2.as_str()),
        ("summary", "Pak Bambang tersandung di toilet yang rusak."),
        ("followup", FOLLOWUP_2),
        ("csrf", &csrf),
    ];
    let refused = rina.post("/papan/kelola/pratinjau", &leak);
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("memuat nama pengadu"),
        "{}",
        refused.body
    );
    let done = rina.post("/papan/kelola/umumkan", &with_csrf);
    assert_eq!(done.status, 303, "{}", done.body);
    // Every role reads the management page; only the complaint handlers act.
    let mut admin = site.login("admin", "admin-rahasia-1");
    assert_eq!(admin.get("/papan/kelola").status, 200);
    let admin_csrf = admin.csrf("/papan/kelola");
    let mut as_admin = form.to_vec();
    as_admin.push(("csrf", &admin_csrf));
    assert_eq!(admin.post("/papan/kelola/umumkan", &as_admin).status, 403);

    // The board, fetched with no session at all.
    let board = site.client().get("/papan");
    assert_eq!(board.status, 200);
    for text in [
        SUMMARY_1, FOLLOWUP_1, SUMMARY_2, FOLLOWUP_2, SUMMARY_3, FOLLOWUP_3,
    ] {
        assert!(board.body.contains(text), "{text} missing from the board");
    }
    assert!(
        board.body.contains("November 2026") && board.body.contains("Farmasi"),
        "{}",
        board.body
    );
    let print = site.client().get("/papan/cetak");
    assert_eq!(print.status, 200);
    assert!(print.body.contains("papan-print") && print.body.contains(SUMMARY_3));
    let values = personal_values(&site.db());
    // The queries found the data the cases were made with (the check is not vacuous).
    for must in [
        "Wulandari Prasetyaningsih",
        "b.sutrisno77@yahoo.co.id",
        PHONE_ADDRESS,
        "0852-3311-4477",
        "081234567890",
        "+6281398765432",
        "Kemarin sore puyer untuk anak kami ternyata berisi resep pasien lain.",
        "ADU-2026-0003",
    ] {
        assert!(
            values.iter().any(|(_, v)| v == must),
            "{must} not among {values:?}"
        );
    }
    for page in [&board.body, &print.body] {
        let text = html_text(page);
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        for (what, value) in &values {
            assert!(
                !text.contains(&value.to_lowercase()),
                "{what} {value:?} is on the board"
            );
            let value_digits: String = value.chars().filter(char::is_ascii_digit).collect();
            if what.ends_with("(phone)") && value_digits.len() >= 9 {
                assert!(
                    !digits.contains(&value_digits[value_digits.len() - 9..]),
                    "{what} {value:?}"
                );
            }
        }
    }

    // Unpublishing takes it off the board; both actions are in the audit log.
    let gone = rina.post(
        "/papan/kelola/cabut",
        &[("ticket", t1.as_str()), ("csrf", &csrf)],
    );
    assert_eq!(gone.status, 303, "{}", gone.body);
    let after = site.client().get("/papan").body;
    assert!(!after.contains(SUMMARY_1) && after.contains(SUMMARY_2));
    let again = rina.post(
        "/papan/kelola/cabut",
        &[("ticket", t1.as_str()), ("csrf", &csrf)],
    );
    assert_eq!(again.status, 409);
    let out = ok(&site, &["complaints", "unpublish", &t3, "--by", "rina"]);
    assert!(out.contains("dicabut"), "{out}");
    let events: Vec<(String, String, String)> = {
        let db = rusqlite::Connection::open(site.db()).unwrap();
        let mut stmt = db
            .prepare("SELECT c.ticket, e.actor, e.kind FROM events e JOIN complaints c ON c.id = e.complaint_id WHERE e.kind LIKE 'board_%' ORDER BY e.id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let events: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        events,
        [
            (t1.as_str(), "rina", "board_published"),
            (t3.as_str(), "rina", "board_published"),
            (t2.as_str(), "rina", "board_published"),
            (t1.as_str(), "rina", "board_unpublished"),
            (t3.as_str(), "rina", "board_unpublished"),
        ]
    );
}

#[test]
fn the_board_in_a_browser_on_a_phone_a_pc_and_on_paper() {
    let site = Site::start();
    site.add_user("rina", "petugas", PW);
    let [t1, t2, t3] = three_closed_cases(&site);
    let dir = site.dir.path();
    for (t, s, f) in [
        (&t1, SUMMARY_1, FOLLOWUP_1),
        (&t2, SUMMARY_2, FOLLOWUP_2),
        (&t3, SUMMARY_3, FOLLOWUP_3),
    ] {
        let (s, f) = (file(dir, "s.txt", s), file(dir, "f.txt", f));
        succeeded(publish(&site, t, &s, &f, &[]));
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = Browser::start().await;
        b.client.goto(&format!("{}/papan", site.url)).await.unwrap();
        assert_eq!(
            b.client.current_url().await.unwrap().path(),
            "/papan",
            "no login"
        );
        assert_eq!(
            b.client.title().await.unwrap(),
            "Papan Pengumuman Pengaduan · Puskesmas Kademangan"
        );
        let entries = b
            .client
            .find_all(Locator::Css(".papan-entry"))
            .await
            .unwrap();
        assert_eq!(entries.len(), 3);
        for width in [390, 1366] {
            b.screenshot("papan", width).await;
        }
        // The staff side: the management page and a preview, as a petugas sees them.
        b.log_in(&site.url, "rina", PW).await;
        b.client
            .goto(&format!("{}/papan/kelola", site.url))
            .await
            .unwrap();
        for width in [390, 1366] {
            b.screenshot("papan-kelola", width).await;
        }
        b.client
            .find(Locator::Css("details summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let form = b.client.form(Locator::Css("details form")).await.unwrap();
        form.set_by_name("summary", SUMMARY_1).await.unwrap();
        form.set_by_name("followup", FOLLOWUP_1).await.unwrap();
        form.submit().await.unwrap();
        // submit() returns before the preview page has loaded: wait for it.
        let preview = b
            .client
            .wait()
            .for_element(Locator::Css(".papan-entry"))
            .await
            .unwrap();
        assert!(preview.text().await.unwrap().contains(SUMMARY_1));
        b.screenshot("papan-pratinjau", 390).await;
        b.client
            .goto(&format!("{}/papan/cetak", site.url))
            .await
            .unwrap();
        // A4 at 96 dpi is 794 x 1123 px: the whole sheet, as it will hang in the lobby.
        b.client.set_window_size(794, 1123).await.unwrap();
        let png = b.client.screenshot().await.unwrap();
        let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::write(shots.join("papan-cetak-a4.png"), png).unwrap();
        b.close().await;
    });
}
