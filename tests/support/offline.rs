//! A pipeline and a store on a real SQLite file, with no mail servers: for tests of the
//! procedure, digests and notices that drive the clock by hand.

use std::path::Path;

use chrono::{DateTime, Utc};
use pengaduan::app::ingest::{Arrival, Outcome};
use pengaduan::app::load_pipeline;
use pengaduan::app::Pipeline;
use pengaduan::config::Config;
use pengaduan::store::{MailboxPosition, Store};

/// The 2026 holiday list and the shipped templates; `extra` is appended TOML
/// (recipients, schedule, …). The database is `dir/p.db`.
pub fn pipeline(dir: &Path, extra: &str) -> (Pipeline, Store) {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = format!(
        "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
         [storage]\ndatabase = \"{db}\"\n[calendar]\nholidays = [\"{root}/config/libur-nasional-2026.toml\"]\n\
         [templates]\ndir = \"{root}/templates\"\n{extra}",
        db = dir.join("p.db").display()
    );
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    let pipeline = load_pipeline(&config).unwrap();
    let store = Store::open(&config.storage.database).unwrap();
    (pipeline, store)
}

/// Live mail arriving at `at` (not historical), ingested at `at`.
pub fn arrive(p: &Pipeline, s: &mut Store, raw: &[u8], at: DateTime<Utc>) -> Outcome {
    p.ingest(
        s,
        &Arrival {
            raw,
            position: MailboxPosition::default(),
            received_at: at,
            historical: false,
        },
        at,
    )
    .unwrap()
}
