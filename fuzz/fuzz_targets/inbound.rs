//! Any bytes as an inbound mail, through the whole decision path of `Pipeline::examine`:
//! parse, classify, guess kind and unit, find phone numbers, compute deadlines and render
//! the acknowledgement. Nothing may panic (or hang: libFuzzer's -timeout reports it), and
//! a rendered acknowledgement must keep a clean header block (no injected fields).
#![no_main]

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use pengaduan::app::Pipeline;
use pengaduan::config::Config;

#[path = "../../tests/support/outgoing.rs"]
#[allow(dead_code)]
mod outgoing;

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let text = format!(
            "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
             [storage]\ndatabase = \"/nonexistent/fuzz.db\"\n\
             [calendar]\nholidays = [\"{root}/config/libur-nasional-2026.toml\"]\n\
             [templates]\ndir = \"{root}/templates\"\n"
        );
        let config = Config::parse(&text, Path::new("fuzz.toml")).expect("fuzz config");
        pengaduan::app::load_pipeline(&config).expect("fuzz pipeline")
    })
}

fuzz_target!(
    init: {
        // libfuzzer-sys aborts on every panic, even one caught inside the code under test;
        // `parse` catches mail-parser's debug assertions on purpose and flags the mail. So
        // the hook only remembers the message, and a panic that escapes `examine` is
        // reported and aborts below.
        std::panic::set_hook(Box::new(|info| {
            LAST_PANIC.with(|l| *l.borrow_mut() = Some(info.to_string()));
        }));
        pipeline();
    },
    |raw: &[u8]| {
        let at = Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| pipeline().examine(raw, at, at)));
        let e = match outcome {
            Ok(e) => e,
            Err(_) => {
                let why = LAST_PANIC.with(|l| l.borrow_mut().take()).unwrap_or_default();
                eprintln!("examine panicked: {why}");
                std::process::abort();
            }
        };
        match &e.ack {
            Some(Ok(mail)) => {
                if let Err(why) = outgoing::check_headers(&mail.raw) {
                    eprintln!("acknowledgement header block broken: {why}");
                    std::process::abort();
                }
            }
            // An address our parser accepts but lettre refuses (found by this target:
            // undecodable bytes in the local part) is the one expected failure: `ingest`
            // registers the complaint and records `ack_failed` for staff. Anything else
            // (a template error, a builder error) is a bug.
            Some(Err(why)) if !format!("{why:#}").contains("cannot be used as a mail address") => {
                eprintln!("acknowledgement not composed: {why:#}");
                std::process::abort();
            }
            Some(Err(_)) => {}
            None => {}
        }
    }
);
