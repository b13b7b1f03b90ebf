//! The clock lives at the edge (DESIGN invariant 6): decisions take `now` as a value.

use chrono::{DateTime, SecondsFormat, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Timestamps are stored as RFC 3339 UTC text with milliseconds, a fixed width so that
/// SQLite compares them correctly as strings.
pub fn to_db(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn from_db(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// For people and JSON: RFC 3339 in WIB (+07:00), the time staff live in.
pub fn to_wib_rfc3339(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::calendar::WIB)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Serde: a time as [`to_wib_rfc3339`] gives it, for rows that reach JSON and templates
/// (`#[serde(serialize_with = "crate::clock::serialize_wib")]`).
pub fn serialize_wib<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_wib_rfc3339(*t))
}

/// Serde: [`serialize_wib`] for a time that may be missing (`null`).
pub fn serialize_wib_opt<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize_wib(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn db_format_round_trips_and_sorts() {
        let a = Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap();
        let b = a + chrono::Duration::milliseconds(5);
        assert_eq!(from_db(&to_db(a)), Some(a));
        assert!(to_db(a) < to_db(b));
        assert_eq!(to_db(a), "2026-03-12T03:00:00.000Z");
        assert_eq!(to_wib_rfc3339(a), "2026-03-12T10:00:00+07:00");
    }

    #[test]
    fn serde_helpers_write_wib() {
        #[derive(serde::Serialize)]
        struct Row {
            #[serde(serialize_with = "serialize_wib")]
            at: DateTime<Utc>,
            #[serde(serialize_with = "serialize_wib_opt")]
            done: Option<DateTime<Utc>>,
            #[serde(serialize_with = "serialize_wib_opt")]
            never: Option<DateTime<Utc>>,
        }
        let a = Utc.with_ymd_and_hms(2026, 3, 12, 20, 30, 0).unwrap();
        let json = serde_json::to_string(&Row {
            at: a,
            done: Some(a),
            never: None,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"at":"2026-03-13T03:30:00+07:00","done":"2026-03-13T03:30:00+07:00","never":null}"#
        );
    }
}
