//! The register page (`/`) over the real server and a real SQLite file: deadlines coloured
//! AND named, counts at the top, the filters and the search, the size budget.

mod support;

use chrono::Duration;
use support::web::Site;

fn site() -> Site {
    let site = Site::start();
    site.add_user("rina", "petugas", "kata-sandi-rina-123");
    site.ingest_samples();
    site
}

#[test]
fn deadlines_are_named_and_counted_and_the_filters_narrow_the_list() {
    let site = site();
    let mut c = site.login("rina", "kata-sandi-rina-123");
    let page = c.get("/");
    assert_eq!(page.status, 200);
    // Four new complaints (the fifth sample is Siti's reply), reviewed within 3x24 jam.
    assert!(
        page.body.contains("<strong>4</strong> masih berjalan"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<strong>0</strong> terlambat"));
    assert!(page.body.contains("tepat waktu"));
    assert!(page.body.contains("href=\"/pengaduan/ADU-2026-0001\""));
    assert!(page.body.len() < 60 * 1024, "{} bytes", page.body.len());

    // Two days and 10 hours later the review deadline (Thursday 09:00) is within 24 h.
    site.clock.advance(Duration::hours(58));
    let mut c = site.login("rina", "kata-sandi-rina-123");
    let page = c.get("/");
    assert!(page.body.contains("kurang dari 24 jam"), "{}", page.body);
    assert!(!page.body.contains("tepat waktu</strong>"));

    // A day later every one is past it: overdue in colour and in words.
    site.clock.advance(Duration::hours(24));
    let mut c = site.login("rina", "kata-sandi-rina-123");
    let page = c.get("/");
    assert!(
        page.body.contains("<strong>4</strong> terlambat"),
        "{}",
        page.body
    );
    assert!(page.body.contains("class=\"due u-overdue\""));

    let found = c.get("/?q=bidan");
    assert!(found.body.contains("Terima kasih bidan KIA"));
    assert!(
        !found.body.contains("Antrean pendaftaran"),
        "{}",
        found.body
    );
    let kind = c.get("/?kind=saran");
    assert!(kind.body.contains("Saran untuk ruang tunggu"));
    assert!(!kind.body.contains("Jadwal imunisasi"));
    let none = c.get("/?q=tidak-ada-yang-cocok");
    assert!(none.body.contains("Tidak ada pengaduan yang cocok."));
    // The counts cover the whole register, whatever the filter shows.
    assert!(none.body.contains("<strong>4</strong> terlambat"));
}

#[test]
fn hostile_filter_values_are_escaped() {
    let site = site();
    let mut c = site.login("rina", "kata-sandi-rina-123");
    let page = c.get("/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;"));
}
