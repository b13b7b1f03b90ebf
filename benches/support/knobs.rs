//! What every bench reads the same way: sizes from the environment, dates in WIB.
#![allow(dead_code)] // each bench uses what it needs

use chrono::{DateTime, TimeZone, Utc};
use pengaduan::calendar::WIB;

/// `key` as a number, or `default` when unset or not a number.
pub fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Midnight WIB of that day.
pub fn wib(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    WIB.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap().to_utc()
}
