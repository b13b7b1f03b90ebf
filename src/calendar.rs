//! Working days in Asia/Jakarta (WIB), for the "14 hari kerja" deadline.
//!
//! Two sources of holidays:
//! - the five fixed-date national holidays (1 Jan, 1 May, 1 Jun, 17 Aug, 25 Dec), holidays
//!   every year by law, are a rule here ([`fixed_holiday`]) and known for any year;
//! - everything that moves (Islamic, Chinese, Hindu, Buddhist and Christian moving feasts)
//!   and cuti bersama is data: Islamic holidays can move after the government's isbat
//!   session and each year's list is published only in the autumn before, so staff edit
//!   TOML files (see `config/libur-nasional-2026.toml`). The official lists in `config/`
//!   are also built into the binary ([`BUILT_IN_LISTS`]); a configured file wins.
//!
//! A year without its list is "partly known": its fixed dates are skipped, its moving
//! holidays are not, and every deadline through it says so ([`deadline_warning`]).
//! Everything here is pure except [`load`], which reads the files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Western Indonesian Time, UTC+07:00.
///
/// Indonesia has not observed daylight saving time since 1964, so a fixed
/// offset is exact for every date the daemon deals with and spares us a
/// time-zone database that would have to be shipped and kept up to date.
pub const WIB: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    // Evaluated at compile time: an out-of-range constant fails the build,
    // it can never panic at run time.
    None => panic!("UTC+07:00 is a valid offset"),
};

/// The same as [`WIB`], for callers that prefer a function.
pub fn wib() -> FixedOffset {
    WIB
}

/// `t` as a WIB wall-clock time. (Formatting the result panics only within
/// seven hours of chrono's maximum date, year 262143; use [`local_date`]
/// where the instant is untrusted input.)
pub fn to_wib(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&WIB)
}

/// The calendar date in WIB at instant `t`; a complaint received at
/// 20:00 UTC already belongs to the next day in Bondowoso.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    // `date_naive()` on the converted value would panic within seven hours
    // of chrono's maximum; the checked form makes this total.
    t.naive_utc()
        .checked_add_offset(WIB)
        .map_or(NaiveDate::MAX, |local| local.date())
}

/// Longest run of consecutive non-working days the deadline search accepts
/// (ten years). Only a calendar without any working weekday can hit it, but
/// without a cap such a calendar would make the search loop for ever.
pub const MAX_SEARCH_DAYS: u32 = 3653;

/// What kind of day off a [`Holiday`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// Libur nasional, set by the joint ministerial decree (SKB).
    National,
    /// Cuti bersama (collective leave), set by the same decree.
    CutiBersama,
    /// A day off decided locally (district or puskesmas).
    Local,
}

impl HolidayKind {
    /// The spelling used in the holiday files.
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayKind::National => "national",
            HolidayKind::CutiBersama => "cuti_bersama",
            HolidayKind::Local => "local",
        }
    }

    /// The Indonesian label shown to complainants and staff.
    pub fn label_id(self) -> &'static str {
        match self {
            HolidayKind::National => "libur nasional",
            HolidayKind::CutiBersama => "cuti bersama",
            HolidayKind::Local => "libur lokal",
        }
    }

    fn from_file_str(s: &str) -> Option<HolidayKind> {
        match s {
            "national" => Some(HolidayKind::National),
            "cuti_bersama" => Some(HolidayKind::CutiBersama),
            "local" => Some(HolidayKind::Local),
            _ => None,
        }
    }
}

impl fmt::Display for HolidayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
    pub kind: HolidayKind,
    /// The date may still move: Idul Fitri and Idul Adha (and their cuti bersama) are
    /// fixed by the Menteri Agama after the sidang isbat (`may_move = true` in the file).
    #[serde(default)]
    pub may_move: bool,
}

/// The months in Bahasa Indonesia, for every date staff and complainants read.
pub const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// The national holidays with a fixed date, (month, day, name): holidays every year by
/// law, whatever the year's decree says about the others.
pub const FIXED_NATIONAL: [(u32, u32, &str); 5] = [
    (1, 1, "Tahun Baru Masehi"),
    (5, 1, "Hari Buruh Internasional"),
    (6, 1, "Hari Lahir Pancasila"),
    (8, 17, "Hari Kemerdekaan Republik Indonesia"),
    (12, 25, "Hari Raya Natal"),
];

/// The fixed-date national holiday on `date`, if it is one (any year).
pub fn fixed_holiday(date: NaiveDate) -> Option<Holiday> {
    fixed_name(date).map(|name| Holiday {
        date,
        name: name.to_string(),
        kind: HolidayKind::National,
        may_move: false,
    })
}

fn fixed_name(date: NaiveDate) -> Option<&'static str> {
    FIXED_NATIONAL
        .iter()
        .find(|(m, d, _)| date.month() == *m && date.day() == *d)
        .map(|(_, _, name)| *name)
}

fn is_fixed_holiday(date: NaiveDate) -> bool {
    fixed_name(date).is_some()
}

/// The official lists in `config/libur-nasional-YYYY.toml` at build time, as (file name,
/// text), embedded by `build.rs`. [`load`] adds each for a year no configured file declares.
pub static BUILT_IN_LISTS: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/built_in_holidays.rs"));

/// The parsed content of one holiday file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayFile {
    /// Where the text came from (usually the path), for messages.
    pub origin: String,
    /// `Some(y)` when the file declares that it covers the whole year `y`.
    pub year: Option<i32>,
    /// The decree the list comes from (`source = "…"`), when the file names it.
    pub source: Option<String>,
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "calendar.working_days is empty: list at least one working weekday \
         (for example Monday to Friday, plus Saturday if the puskesmas opens then)"
    )]
    NoWorkingDays,
    #[error(
        "{}: cannot read holiday file: {io}; fix the path in calendar.holidays (a relative \
         path starts at the config file's folder) or remove it from the list (the official \
         national lists in config/ are built into the program)",
        path.display()
    )]
    Read { path: PathBuf, io: std::io::Error },
    /// A holiday file that cannot be used; `detail` names the entry or key
    /// and says how to fix it.
    #[error("{origin}: {detail}")]
    Invalid { origin: String, detail: String },
    #[error(
        "no working day found within {days} days after {from}; \
         check calendar.working_days and the holiday files"
    )]
    SearchLimit { from: NaiveDate, days: u32 },
    #[error("the date after {from} cannot be represented")]
    OutOfRange { from: NaiveDate },
}

/// A deadline computed by [`Calendar::add_working_days`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The end (23:59:59 WIB) of the last working day of the period.
    pub at: DateTime<Utc>,
    /// Years the count went through for which no list declares `year = Y`:
    /// only weekends, non-working weekdays, the fixed-date national holidays
    /// and local days off were skipped there, so the deadline may be too early
    /// and the caller must say so ([`deadline_warning`]).
    pub uncovered_years: Vec<i32>,
    /// Days off on the way whose date may still move ([`Holiday::may_move`]): if one
    /// moves, so may the deadline ([`movable_warning`]).
    pub movable: Vec<Holiday>,
}

impl Deadline {
    /// [`Deadline::at`] as WIB wall-clock time, for messages.
    pub fn at_wib(&self) -> DateTime<FixedOffset> {
        to_wib(self.at)
    }
}

/// Working weekdays plus the loaded holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Indexed by `Weekday::num_days_from_monday`.
    working: [bool; 7],
    /// One entry per date; when several files name the same date the first
    /// loaded wins, which only matters for the name shown.
    holidays: BTreeMap<NaiveDate, Holiday>,
    /// Where each listed holiday came from (the file's origin), for `pengaduan calendar`.
    origins: BTreeMap<NaiveDate, String>,
    covered_years: BTreeSet<i32>,
    /// `[calendar] cuti_bersama_is_working_day`: the centre opens on cuti bersama.
    cuti_bersama_working: bool,
}

impl Calendar {
    /// Builds a calendar without validating it. With no working weekday at
    /// all the deadline search gives up after [`MAX_SEARCH_DAYS`]; use
    /// [`Calendar::try_new`] for configuration coming from staff.
    pub fn new(working_days: &[Weekday], files: Vec<HolidayFile>) -> Calendar {
        let mut working = [false; 7];
        for day in working_days {
            working[day.num_days_from_monday() as usize] = true;
        }
        let mut holidays = BTreeMap::new();
        let mut origins = BTreeMap::new();
        let mut covered_years = BTreeSet::new();
        for file in files {
            if let Some(year) = file.year {
                covered_years.insert(year);
            }
            for holiday in file.holidays {
                origins
                    .entry(holiday.date)
                    .or_insert_with(|| file.origin.clone());
                holidays.entry(holiday.date).or_insert(holiday);
            }
        }
        Calendar {
            working,
            holidays,
            origins,
            covered_years,
            cuti_bersama_working: false,
        }
    }

    /// With `yes`, cuti bersama count as working days (`[calendar]
    /// cuti_bersama_is_working_day`; many puskesmas keep their services open then).
    pub fn with_cuti_bersama_as_working_days(mut self, yes: bool) -> Calendar {
        self.cuti_bersama_working = yes;
        self
    }

    /// Like [`Calendar::new`], but rejects an empty `calendar.working_days`.
    pub fn try_new(
        working_days: &[Weekday],
        files: Vec<HolidayFile>,
    ) -> Result<Calendar, CalendarError> {
        if working_days.is_empty() {
            return Err(CalendarError::NoWorkingDays);
        }
        Ok(Calendar::new(working_days, files))
    }

    /// Same as the free function [`load`].
    pub fn load(working_days: &[Weekday], paths: &[PathBuf]) -> Result<Calendar, CalendarError> {
        load(working_days, paths)
    }

    /// The configured working weekdays, Monday first.
    pub fn working_weekdays(&self) -> Vec<Weekday> {
        ALL_WEEKDAYS
            .iter()
            .copied()
            .filter(|d| self.working[d.num_days_from_monday() as usize])
            .collect()
    }

    fn is_working_weekday(&self, day: Weekday) -> bool {
        self.working[day.num_days_from_monday() as usize]
    }

    /// A working weekday that is not a day off.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.is_working_weekday(date.weekday()) && !self.is_day_off(date)
    }

    /// A fixed-date national holiday, or a listed holiday (cuti bersama only
    /// when they are not working days here).
    fn is_day_off(&self, date: NaiveDate) -> bool {
        is_fixed_holiday(date) || self.holidays.get(&date).is_some_and(|h| self.closes_on(h))
    }

    fn closes_on(&self, holiday: &Holiday) -> bool {
        !(self.cuti_bersama_working && holiday.kind == HolidayKind::CutiBersama)
    }

    /// The holiday on `date`, whatever weekday it falls on: a listed one, else a
    /// fixed-date national holiday (known for every year).
    pub fn holiday(&self, date: NaiveDate) -> Option<Holiday> {
        self.holidays
            .get(&date)
            .cloned()
            .or_else(|| fixed_holiday(date))
    }

    /// All listed holidays in date order (the fixed-date ones only where a
    /// file lists them).
    pub fn holidays(&self) -> impl Iterator<Item = &Holiday> + '_ {
        self.holidays.values()
    }

    /// The days off of `year` as staff hold them against the official list: every listed
    /// holiday of the year and the fixed-date national holidays no file lists, in date
    /// order, each with where it comes from.
    pub fn year_days_off(&self, year: i32) -> Vec<DayOff> {
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return Vec::new();
        };
        let mut days: Vec<DayOff> = self
            .holidays
            .range(first..=last)
            .map(|(date, h)| DayOff {
                holiday: h.clone(),
                origin: self.origins.get(date).cloned(),
                closed: self.closes_on(h) || is_fixed_holiday(*date),
            })
            .collect();
        for (m, d, _) in FIXED_NATIONAL {
            if let Some(date) = NaiveDate::from_ymd_opt(year, m, d) {
                if !self.holidays.contains_key(&date) {
                    days.extend(fixed_holiday(date).map(|holiday| DayOff {
                        holiday,
                        origin: None,
                        closed: true,
                    }));
                }
            }
        }
        days.sort_by_key(|d| d.holiday.date);
        days
    }

    /// What deadlines depend on, for noticing that the calendar changed between two runs
    /// ([`describe_change`]).
    pub fn snapshot(&self) -> CalendarSnapshot {
        CalendarSnapshot {
            working_weekdays: self
                .working_weekdays()
                .iter()
                .map(|d| d.num_days_from_monday() as u8)
                .collect(),
            cuti_bersama_working: self.cuti_bersama_working,
            covered_years: self.covered_years(),
            holidays: self
                .holidays
                .values()
                .map(|h| (h.date, h.kind, h.name.clone()))
                .collect(),
        }
    }

    /// Whether some loaded list declares `year = Y`, i.e. all national
    /// holidays and cuti bersama of that year are known, not only the fixed ones.
    pub fn covers_year(&self, year: i32) -> bool {
        self.covered_years.contains(&year)
    }

    /// The years declared by the loaded files, ascending.
    pub fn covered_years(&self) -> Vec<i32> {
        self.covered_years.iter().copied().collect()
    }

    /// The end of the `n`-th working day after the WIB date of `start`.
    ///
    /// Day 1 is the first working day AFTER the local date of `start` (the
    /// day of receipt never counts, even when it is a working day); the
    /// result is 23:59:59 WIB of day `n`, as UTC. `n = 0` gives the end of
    /// the day of `start` itself.
    ///
    /// Never fails: if no working day can be found (a calendar built with
    /// [`Calendar::new`] without working weekdays, or dates beyond chrono's
    /// range) the search stops where it had to and returns the end of the
    /// last day reached. Use [`Calendar::try_add_working_days`] to see that.
    pub fn add_working_days(&self, start: DateTime<Utc>, n: u32) -> Deadline {
        let walk = self.walk(start, n);
        Deadline {
            at: end_of_day_utc(walk.last).unwrap_or(DateTime::<Utc>::MAX_UTC),
            movable: self.movable_between(start, walk.last),
            uncovered_years: walk.uncovered_years,
        }
    }

    /// Like [`Calendar::add_working_days`], but reports a search that had to
    /// stop instead of returning the day it stopped at.
    pub fn try_add_working_days(
        &self,
        start: DateTime<Utc>,
        n: u32,
    ) -> Result<Deadline, CalendarError> {
        let walk = self.walk(start, n);
        if let Some(err) = walk.stopped {
            return Err(err);
        }
        let at = end_of_day_utc(walk.last).ok_or(CalendarError::OutOfRange { from: walk.last })?;
        Ok(Deadline {
            at,
            movable: self.movable_between(start, walk.last),
            uncovered_years: walk.uncovered_years,
        })
    }

    /// The listed days off after the WIB date of `start` up to `last` whose date may move.
    fn movable_between(&self, start: DateTime<Utc>, last: NaiveDate) -> Vec<Holiday> {
        let first = local_date(start);
        if last <= first {
            return Vec::new();
        }
        self.holidays
            .range((
                std::ops::Bound::Excluded(first),
                std::ops::Bound::Included(last),
            ))
            .map(|(_, h)| h)
            .filter(|h| h.may_move && self.closes_on(h))
            .cloned()
            .collect()
    }

    fn walk(&self, start: DateTime<Utc>, n: u32) -> Walk {
        let mut date = local_date(start);
        let mut remaining = n;
        let mut uncovered = BTreeSet::new();
        let mut idle_days = 0u32;
        let mut stopped = None;
        while remaining > 0 {
            let Some(next) = date.succ_opt() else {
                stopped = Some(CalendarError::OutOfRange { from: date });
                break;
            };
            date = next;
            if !self.covers_year(date.year()) {
                uncovered.insert(date.year());
            }
            if self.is_working_day(date) {
                remaining -= 1;
                idle_days = 0;
            } else {
                idle_days += 1;
                if idle_days >= MAX_SEARCH_DAYS {
                    stopped = Some(CalendarError::SearchLimit {
                        from: local_date(start),
                        days: MAX_SEARCH_DAYS,
                    });
                    break;
                }
            }
        }
        Walk {
            last: date,
            uncovered_years: uncovered.into_iter().collect(),
            stopped,
        }
    }

    /// Working days left until `due`, or overdue (negative), seen at `now`.
    ///
    /// Let `today` and `due_day` be the WIB dates of `now` and `due`.
    /// - `now <= due`: the number of working days in `[today, due_day)`,
    ///   i.e. today counts when it is a working day, the due day itself does
    ///   not. So it is 0 on the due day, and also when no working day lies
    ///   between today and the due day (e.g. Saturday for a Monday deadline);
    ///   1 on the last working day before the due day.
    /// - `now > due`: minus the number of working days in `(due_day, today]`.
    ///   So it is 0 on the rest of the due day, -1 on the first working day
    ///   after it (and on the non-working days that follow), and so on.
    ///
    /// Computed arithmetically, so any span is fine and nothing can loop.
    pub fn working_days_left(&self, now: DateTime<Utc>, due: DateTime<Utc>) -> i64 {
        let today = local_date(now);
        let due_day = local_date(due);
        if now <= due {
            self.count_working_days(today, due_day)
        } else {
            match (due_day.succ_opt(), today.succ_opt()) {
                (Some(from), Some(to)) => -self.count_working_days(from, to),
                // Only at the very end of chrono's range; nothing to count there.
                _ => 0,
            }
        }
    }

    /// Working days in `[from, to)`; 0 when `to <= from`.
    pub fn count_working_days(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let total = (to - from).num_days();
        if total <= 0 {
            return 0;
        }
        let per_week = self.working.iter().filter(|w| **w).count() as i64;
        let mut count = total / 7 * per_week;
        // The remaining partial week: at most six weekdays after the full
        // weeks, found by weekday arithmetic instead of date stepping.
        let first_rest = (from.weekday().num_days_from_monday() as i64 + total / 7 * 7) % 7;
        for i in 0..total % 7 {
            if self.working[((first_rest + i) % 7) as usize] {
                count += 1;
            }
        }
        let listed_days_off = self
            .holidays
            .range(from..to)
            .filter(|(date, h)| {
                self.is_working_weekday(date.weekday())
                    && (self.closes_on(h) || is_fixed_holiday(**date))
            })
            .count() as i64;
        // Fixed dates no file lists: five per year, so this stays arithmetic too.
        let last = to.pred_opt().unwrap_or(to);
        let unlisted_fixed_days = (from.year()..=last.year())
            .flat_map(|year| {
                FIXED_NATIONAL
                    .iter()
                    .filter_map(move |(m, d, _)| NaiveDate::from_ymd_opt(year, *m, *d))
            })
            .filter(|date| {
                (from..to).contains(date)
                    && self.is_working_weekday(date.weekday())
                    && !self.holidays.contains_key(date)
            })
            .count() as i64;
        count - listed_days_off - unlisted_fixed_days
    }
}

struct Walk {
    last: NaiveDate,
    uncovered_years: Vec<i32>,
    stopped: Option<CalendarError>,
}

const ALL_WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// 00:00 WIB on `date`, as UTC; `None` only at the edge of chrono's range.
pub fn start_of_day_utc(date: NaiveDate) -> Option<DateTime<Utc>> {
    WIB.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// 23:59:59 WIB on `date`, as UTC; `None` only at the edge of chrono's range.
fn end_of_day_utc(date: NaiveDate) -> Option<DateTime<Utc>> {
    let local = date.and_hms_opt(23, 59, 59)?;
    WIB.from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads the holiday files at `paths` (the only I/O of this module) and
/// builds the calendar. An empty `working_days` is rejected.
pub fn load(working_days: &[Weekday], paths: &[PathBuf]) -> Result<Calendar, CalendarError> {
    if working_days.is_empty() {
        return Err(CalendarError::NoWorkingDays);
    }
    let mut files = Vec::with_capacity(paths.len() + BUILT_IN_LISTS.len());
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|io| CalendarError::Read {
            path: path.clone(),
            io,
        })?;
        files.push(parse_holiday_file(&text, &path.display().to_string())?);
    }
    files.extend(built_in_lists_besides(&files)?);
    Calendar::try_new(working_days, files)
}

/// The built-in lists of the years none of `files` declares: a configured list of a
/// year replaces the built-in one (e.g. after an isbat session moved a date).
fn built_in_lists_besides(files: &[HolidayFile]) -> Result<Vec<HolidayFile>, CalendarError> {
    let declared: BTreeSet<i32> = files.iter().filter_map(|f| f.year).collect();
    let mut lists = Vec::new();
    for (name, text) in BUILT_IN_LISTS {
        let list = parse_holiday_file(text, &format!("config/{name} (built in)"))?;
        if list.year.is_some_and(|y| !declared.contains(&y)) {
            lists.push(list);
        }
    }
    Ok(lists)
}

/// Next year's list is expected from this month on: the decree (SKB 3 Menteri) usually
/// appears in September or October.
pub const NEXT_LIST_DUE_MONTH: u32 = 10;

/// PURE: the years whose list a person must add now, seen at `now`: the current WIB year
/// whenever it has none, and from 1 October on the next year as well.
pub fn missing_lists(now: DateTime<Utc>, calendar: &Calendar) -> Vec<i32> {
    let today = local_date(now);
    let year = today.year();
    let mut missing = Vec::new();
    if !calendar.covers_year(year) {
        missing.push(year);
    }
    if today.month() >= NEXT_LIST_DUE_MONTH && !calendar.covers_year(year + 1) {
        missing.push(year + 1);
    }
    missing
}

// The Indonesian texts about missing lists, in one place: `check`, the digest and the
// `calendar_warning` event of a complaint all use these.

/// The fixed dates of [`FIXED_NATIONAL`] as staff read them.
const FIXED_DATES_ID: &str = "1 Januari, 1 Mei, 1 Juni, 17 Agustus dan 25 Desember";
/// What moves from year to year and comes only with the list.
const MOVING_ID: &str = "hari libur yang tanggalnya berpindah setiap tahun (hari raya Islam, \
     Imlek, Nyepi, Waisak, Wafat dan Kenaikan Yesus Kristus) dan cuti bersama";

/// "2027" or "2027 dan 2028".
fn years_id(years: &[i32]) -> String {
    let names: Vec<String> = years.iter().map(i32::to_string).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} dan {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

fn files_id(years: &[i32]) -> String {
    let names: Vec<String> = years
        .iter()
        .map(|y| format!("libur-nasional-{y}.toml"))
        .collect();
    names.join(", ")
}

/// PURE: the `calendar_warning` text of a complaint whose answer deadline crossed
/// `uncovered_years` ([`Deadline::uncovered_years`]); `None` when it crossed none.
pub fn deadline_warning(uncovered_years: &[i32]) -> Option<String> {
    if uncovered_years.is_empty() {
        return None;
    }
    let years = years_id(uncovered_years);
    Some(format!(
        "Tenggat jawaban dihitung hanya dengan libur nasional bertanggal tetap tahun {years} \
         ({FIXED_DATES_ID}); {MOVING_ID} tahun {years} belum diketahui, sehingga tenggat ini \
         dapat bergeser (lebih lambat) setelah daftar hari libur {years} ditambahkan. \
         Periksa kembali tenggatnya setelah {} dimasukkan ke calendar.holidays.",
        files_id(uncovered_years)
    ))
}

/// PURE: the warning `check` and the digest show for [`missing_lists`]; `None` when
/// nothing is missing.
pub fn missing_lists_warning(years: &[i32]) -> Option<String> {
    if years.is_empty() {
        return None;
    }
    let list = years_id(years);
    Some(format!(
        "DAFTAR HARI LIBUR {list} BELUM ADA. Tenggat 14 hari kerja yang melewati tahun {list} \
         hanya memperhitungkan libur nasional bertanggal tetap ({FIXED_DATES_ID}); {MOVING_ID} \
         belum diperhitungkan, sehingga tenggat bisa terlalu awal. Begitu SKB 3 Menteri untuk \
         {list} terbit, tulis {} (contoh: config/libur-nasional-2026.toml) dan daftarkan di \
         calendar.holidays.",
        files_id(years)
    ))
}

/// PURE: the `calendar_warning` text of a complaint whose answer deadline passes days off
/// whose date may still move (Idul Fitri, Idul Adha: fixed after the sidang isbat); `None`
/// when it passes none.
pub fn movable_warning(movable: &[Holiday]) -> Option<String> {
    if movable.is_empty() {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    for h in movable {
        let day = format!(
            "{} {} {}",
            h.date.day(),
            MONTHS[h.date.month0() as usize],
            h.date.year()
        );
        match names.last_mut() {
            Some(last) if last.starts_with(&format!("{} (", h.name)) => {
                last.insert_str(last.len() - 1, &format!(", {day}"));
            }
            _ => names.push(format!("{} ({day})", h.name)),
        }
    }
    Some(format!(
        "Tenggat jawaban melewati hari libur yang tanggalnya masih dapat bergeser: {}. \
         Tanggal Idul Fitri dan Idul Adha ditetapkan Menteri Agama setelah sidang isbat; bila \
         tanggalnya berubah, perbarui daftar hari libur dan tenggat pengaduan yang masih \
         berjalan dihitung ulang otomatis.",
        names.join("; ")
    ))
}

/// One day off of a year as `pengaduan calendar` and *Kondisi sistem* show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayOff {
    #[serde(flatten)]
    pub holiday: Holiday,
    /// The file it comes from (`config/libur-nasional-2027.toml (built in)` or a path);
    /// `None` for a fixed-date national holiday no file lists (a rule of the program).
    pub origin: Option<String>,
    /// The centre is closed that day (false for cuti bersama where they are working days).
    pub closed: bool,
}

/// What deadlines depend on, stored after each run so that the next one can say what
/// changed (`describe_change`). Serialized as JSON in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSnapshot {
    /// `Weekday::num_days_from_monday` of each working weekday.
    pub working_weekdays: Vec<u8>,
    pub cuti_bersama_working: bool,
    pub covered_years: Vec<i32>,
    pub holidays: Vec<(NaiveDate, HolidayKind, String)>,
}

/// PURE: what changed from `old` to `new`, in Bahasa Indonesia for the audit log (e.g.
/// "daftar libur 2027 ditambahkan"); empty when nothing that counts changed.
pub fn describe_change(old: &CalendarSnapshot, new: &CalendarSnapshot) -> Vec<String> {
    let mut out = Vec::new();
    let official_of = |s: &CalendarSnapshot, year: i32| -> Vec<(NaiveDate, HolidayKind)> {
        s.holidays
            .iter()
            .filter(|(d, k, _)| d.year() == year && *k != HolidayKind::Local)
            .map(|(d, k, _)| (*d, *k))
            .collect()
    };
    for year in &new.covered_years {
        if !old.covered_years.contains(year) {
            out.push(format!("daftar libur {year} ditambahkan"));
        } else if official_of(old, *year) != official_of(new, *year) {
            out.push(format!("daftar libur {year} diubah"));
        }
    }
    for year in &old.covered_years {
        if !new.covered_years.contains(year) {
            out.push(format!("daftar libur {year} dihapus"));
        }
    }
    let local = |s: &CalendarSnapshot| -> Vec<NaiveDate> {
        s.holidays
            .iter()
            .filter(|(_, k, _)| *k == HolidayKind::Local)
            .map(|(d, _, _)| *d)
            .collect()
    };
    if local(old) != local(new) {
        out.push("hari libur lokal diubah".to_string());
    }
    if old.cuti_bersama_working != new.cuti_bersama_working {
        out.push(if new.cuti_bersama_working {
            "cuti bersama kini dihitung sebagai hari kerja".to_string()
        } else {
            "cuti bersama kini tidak dihitung sebagai hari kerja".to_string()
        });
    }
    if old.working_weekdays != new.working_weekdays {
        out.push("hari kerja dalam seminggu diubah".to_string());
    }
    out
}

const DATE_FIX: &str = "write it as YYYY-MM-DD without quotes, e.g. date = 2026-03-19";
const KIND_FIX: &str = "use kind = \"national\", \"cuti_bersama\" or \"local\"";

/// Parses the text of one holiday file; `origin` (usually the path) is only
/// used in error messages, which name the entry or key and the fix.
pub fn parse_holiday_file(text: &str, origin: &str) -> Result<HolidayFile, CalendarError> {
    let invalid = |detail: String| CalendarError::Invalid {
        origin: origin.to_string(),
        detail,
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| invalid(describe_toml_error(text, &e)))?;

    let mut year = None;
    let mut source = None;
    let mut entries: &[toml::Value] = &[];
    for (key, value) in &table {
        match key.as_str() {
            "year" => year = Some(parse_year(value).map_err(&invalid)?),
            "source" => match value {
                toml::Value::String(s) if !s.trim().is_empty() => {
                    source = Some(s.trim().to_string())
                }
                _ => {
                    return Err(invalid(
                        "key `source` must be non-empty text in quotes naming the decree, \
                         e.g. source = \"SKB 3 Menteri No. 1205, 3, dan 2 Tahun 2026\""
                            .to_string(),
                    ))
                }
            },
            "holiday" => match value {
                toml::Value::Array(items) => entries = items,
                toml::Value::Table(_) => {
                    return Err(invalid(
                        "[holiday] must be written [[holiday]] (double brackets), once before every entry"
                            .to_string(),
                    ))
                }
                _ => {
                    return Err(invalid(
                        "key `holiday` must be a list of [[holiday]] entries".to_string(),
                    ))
                }
            },
            other => {
                return Err(invalid(format!(
                    "unknown key `{other}`; a holiday file has only `year = YYYY`, `source = \"…\"` and [[holiday]] entries"
                )))
            }
        }
    }

    let mut holidays: Vec<Holiday> = Vec::with_capacity(entries.len());
    for (index, value) in entries.iter().enumerate() {
        let number = index + 1;
        let holiday = parse_entry(value, number, year).map_err(&invalid)?;
        if let Some(previous) = holidays.iter().position(|h| h.date == holiday.date) {
            return Err(invalid(format!(
                "holiday #{number}: date {} is already listed as holiday #{}; \
                 keep one entry for the day (join the names if two holidays coincide)",
                holiday.date,
                previous + 1
            )));
        }
        holidays.push(holiday);
    }

    Ok(HolidayFile {
        origin: origin.to_string(),
        year,
        source,
        holidays,
    })
}

fn parse_year(value: &toml::Value) -> Result<i32, String> {
    match value {
        toml::Value::Integer(y) if (1900..=9999).contains(y) => Ok(*y as i32),
        _ => Err(format!(
            "key `year`: expected a year such as year = 2026 (no quotes), found {value}"
        )),
    }
}

fn parse_entry(value: &toml::Value, number: usize, year: Option<i32>) -> Result<Holiday, String> {
    let toml::Value::Table(entry) = value else {
        return Err(format!(
            "holiday #{number}: expected a [[holiday]] entry with date, name and kind"
        ));
    };
    for key in entry.keys() {
        if !matches!(key.as_str(), "date" | "name" | "kind" | "may_move") {
            return Err(format!(
                "holiday #{number}: unknown key `{key}`; an entry has only date, name, kind \
                 and may_move"
            ));
        }
    }

    let date = match entry.get("date") {
        None => return Err(format!("holiday #{number}: missing key `date`; {DATE_FIX}")),
        Some(v) => parse_date(v).map_err(|found| {
            format!("holiday #{number}: date {found} is not a valid date; {DATE_FIX}")
        })?,
    };
    if let Some(y) = year {
        if date.year() != y {
            return Err(format!(
                "holiday #{number}: date {date} is not in {y}, the year this file declares \
                 (year = {y}); fix the date or move the entry to the file for {}",
                date.year()
            ));
        }
    }

    let name = match entry.get("name") {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(_) => {
            return Err(format!(
                "holiday #{number} ({date}): key `name` must be non-empty text in quotes, \
                 e.g. name = \"Hari Lahir Pancasila\""
            ))
        }
        None => {
            return Err(format!(
                "holiday #{number} ({date}): missing key `name`; add e.g. name = \"Hari Lahir Pancasila\""
            ))
        }
    };

    let kind = match entry.get("kind") {
        Some(toml::Value::String(s)) => HolidayKind::from_file_str(s.trim()).ok_or_else(|| {
            format!("holiday #{number} ({date}): kind \"{s}\" is not known; {KIND_FIX}")
        })?,
        Some(other) => {
            return Err(format!(
                "holiday #{number} ({date}): kind {other} is not known; {KIND_FIX}"
            ))
        }
        None => {
            return Err(format!(
                "holiday #{number} ({date}): missing key `kind`; {KIND_FIX}"
            ))
        }
    };

    let may_move = match entry.get("may_move") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(other) => {
            return Err(format!(
                "holiday #{number} ({date}): may_move {other} is not true or false; write \
                 may_move = true (no quotes) for a date that may still move, or leave it out"
            ))
        }
    };

    Ok(Holiday {
        date,
        name,
        kind,
        may_move,
    })
}

/// A TOML local date (`2026-03-19`), or the same text quoted. On failure
/// returns what was found, for the message.
fn parse_date(value: &toml::Value) -> Result<NaiveDate, String> {
    match value {
        toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .ok_or_else(|| dt.to_string())
            }
            _ => Err(dt.to_string()),
        },
        toml::Value::String(s) => parse_iso_date(s.trim()).ok_or_else(|| s.clone()),
        other => Err(other.to_string()),
    }
}

/// Exactly `YYYY-MM-DD`; chrono's `%m`/`%d` would also take single digits.
fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    let year = s.get(0..4)?.parse().ok()?;
    let month = s.get(5..7)?.parse().ok()?;
    let day = s.get(8..10)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Turns a TOML syntax error into one line naming the line, the
/// `[[holiday]]` entry it is in and the offending text. The TOML parser
/// itself rejects impossible dates such as 2026-02-30, so this is also
/// where most date typos are reported.
fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim().trim_end_matches('.');
    let Some(span) = err.span() else {
        return format!("not valid TOML: {message}");
    };
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let entry = before
        .lines()
        .filter(|l| l.replace([' ', '\t'], "").starts_with("[[holiday]]"))
        .count();
    let location = if entry > 0 {
        format!("line {line}, holiday #{entry}")
    } else {
        format!("line {line}")
    };
    let found = text[start..end].lines().next().unwrap_or("").trim();
    let found = if found.is_empty() {
        String::new()
    } else {
        format!(" (at `{found}`)")
    };
    let fix = if message.contains("date") || message.contains("month") || message.contains("day") {
        DATE_FIX
    } else {
        "check the TOML syntax: text in double quotes, dates as YYYY-MM-DD, one [[holiday]] per entry"
    };
    format!("{location}: {message}{found}; {fix}")
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE_2026: &str = include_str!("../config/libur-nasional-2026.toml");
    const LOCAL_EXAMPLE: &str = include_str!("../config/libur-lokal.toml");
    const MON_FRI: [Weekday; 5] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    const MON_SAT: [Weekday; 6] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
    ];

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// An instant given as WIB wall-clock time.
    fn wib_at(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        WIB.with_ymd_and_hms(y, m, day, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn rfc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn file_2026() -> HolidayFile {
        parse_holiday_file(FILE_2026, "config/libur-nasional-2026.toml").unwrap()
    }

    fn cal_2026() -> Calendar {
        Calendar::try_new(&MON_FRI, vec![file_2026()]).unwrap()
    }

    const FILE_2027: &str = include_str!("../config/libur-nasional-2027.toml");

    fn file_2027() -> HolidayFile {
        parse_holiday_file(FILE_2027, "config/libur-nasional-2027.toml").unwrap()
    }

    fn cal_2026_2027() -> Calendar {
        Calendar::try_new(&MON_FRI, vec![file_2026(), file_2027()]).unwrap()
    }

    fn err_text(text: &str) -> String {
        parse_holiday_file(text, "config/x.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn wib_is_utc_plus_seven() {
        assert_eq!(WIB.local_minus_utc(), 7 * 3600);
        assert_eq!(wib(), WIB);
        assert_eq!(
            to_wib(rfc("2026-03-12T03:00:00Z")).to_rfc3339(),
            "2026-03-12T10:00:00+07:00"
        );
    }

    #[test]
    fn local_date_switches_at_17_utc() {
        assert_eq!(local_date(rfc("2026-03-12T16:59:59Z")), d(2026, 3, 12));
        assert_eq!(local_date(rfc("2026-03-12T17:00:00Z")), d(2026, 3, 13));
    }

    #[test]
    fn file_2026_has_17_national_and_8_cuti_bersama() {
        let file = file_2026();
        assert_eq!(file.year, Some(2026));
        let count = |k| file.holidays.iter().filter(|h| h.kind == k).count();
        assert_eq!(count(HolidayKind::National), 17);
        assert_eq!(count(HolidayKind::CutiBersama), 8);
        assert_eq!(count(HolidayKind::Local), 0);
        assert_eq!(file.holidays.len(), 25);
    }

    #[test]
    fn file_2026_lists_every_date_of_the_decree() {
        let national = [
            (1, 1),
            (1, 16),
            (2, 17),
            (3, 19),
            (3, 21),
            (3, 22),
            (4, 3),
            (4, 5),
            (5, 1),
            (5, 14),
            (5, 27),
            (5, 31),
            (6, 1),
            (6, 16),
            (8, 17),
            (8, 25),
            (12, 25),
        ];
        let cuti = [
            (2, 16),
            (3, 18),
            (3, 20),
            (3, 23),
            (3, 24),
            (5, 15),
            (5, 28),
            (12, 24),
        ];
        let cal = cal_2026();
        for (kind, dates) in [
            (HolidayKind::National, &national[..]),
            (HolidayKind::CutiBersama, &cuti[..]),
        ] {
            for &(m, day) in dates {
                let h = cal
                    .holiday(d(2026, m, day))
                    .unwrap_or_else(|| panic!("2026-{m:02}-{day:02} missing"));
                assert_eq!(h.kind, kind, "{}", h.date);
                assert!(!h.name.is_empty());
                assert!(!cal.is_working_day(h.date));
            }
        }
        assert_eq!(cal.holidays().count(), national.len() + cuti.len());
        assert_eq!(
            cal.holiday(d(2026, 3, 19)).unwrap().name,
            "Hari Suci Nyepi Tahun Baru Saka 1948"
        );
    }

    #[test]
    fn local_example_file_parses_empty() {
        let file = parse_holiday_file(LOCAL_EXAMPLE, "config/libur-lokal.toml").unwrap();
        assert_eq!(file.year, None);
        assert!(file.holidays.is_empty());
    }

    #[test]
    fn working_day_basics() {
        let cal = cal_2026();
        assert!(cal.is_working_day(d(2026, 3, 12))); // Thursday
        assert!(!cal.is_working_day(d(2026, 3, 14))); // Saturday
        assert!(!cal.is_working_day(d(2026, 3, 15))); // Sunday
        assert!(!cal.is_working_day(d(2026, 3, 18))); // cuti bersama
        assert!(cal.holiday(d(2026, 3, 12)).is_none());
        assert!(cal.covers_year(2026));
        assert!(!cal.covers_year(2027));
        assert_eq!(cal.covered_years(), vec![2026]);
        assert_eq!(cal.working_weekdays(), MON_FRI.to_vec());
    }

    #[test]
    fn fourteen_working_days_over_lebaran_2026() {
        // Thu 12 March 10:00 WIB. Skipped: 18 (cuti), 19 (Nyepi), 20 (cuti),
        // 21-22 (weekend, Idul Fitri), 23-24 (cuti), 28-29 weekend, 3 April
        // (Good Friday), 4-5 weekend (Easter).
        let cal = cal_2026();
        let deadline = cal.add_working_days(wib_at(2026, 3, 12, 10, 0), 14);
        assert_eq!(deadline.at_wib().to_rfc3339(), "2026-04-09T23:59:59+07:00");
        assert_eq!(deadline.at, rfc("2026-04-09T16:59:59Z"));
        assert!(deadline.uncovered_years.is_empty());
        assert_eq!(
            cal.try_add_working_days(wib_at(2026, 3, 12, 10, 0), 14)
                .unwrap(),
            deadline
        );
    }

    #[test]
    fn add_working_days_table() {
        let cal = cal_2026();
        let cases = [
            // (start, n, expected due in WIB)
            ("2026-03-12T03:00:00Z", 1, "2026-03-13T23:59:59+07:00"),
            ("2026-03-12T03:00:00Z", 3, "2026-03-17T23:59:59+07:00"),
            ("2026-03-12T03:00:00Z", 4, "2026-03-25T23:59:59+07:00"),
            // n = 0: end of the day of receipt.
            ("2026-03-12T03:00:00Z", 0, "2026-03-12T23:59:59+07:00"),
            // Received on a Saturday: day 1 is Monday.
            ("2026-03-14T01:00:00Z", 1, "2026-03-16T23:59:59+07:00"),
            // Received on a holiday: day 1 is the next working day.
            ("2026-03-19T01:00:00Z", 1, "2026-03-25T23:59:59+07:00"),
            // 21:00 UTC on Friday 13 March is already Saturday 04:00 WIB.
            ("2026-03-13T21:00:00Z", 1, "2026-03-16T23:59:59+07:00"),
            // 16:59 UTC on Friday is still Friday 23:59 WIB.
            ("2026-03-13T16:59:00Z", 1, "2026-03-16T23:59:59+07:00"),
            // Thursday 12 March 16:59 UTC = 23:59 WIB, still the 12th.
            ("2026-03-12T16:59:00Z", 1, "2026-03-13T23:59:59+07:00"),
            // Christmas: 24 (cuti) and 25 (national) skipped.
            ("2026-12-22T03:00:00Z", 2, "2026-12-28T23:59:59+07:00"),
        ];
        for (start, n, expected) in cases {
            let got = cal.add_working_days(rfc(start), n);
            assert_eq!(got.at_wib().to_rfc3339(), expected, "start {start}, n {n}");
        }
    }

    #[test]
    fn evening_utc_receipt_counts_from_next_wib_day() {
        let cal = cal_2026();
        // Wednesday 11 March 20:00 UTC is Thursday 12 March 03:00 WIB, so
        // the result equals a receipt on Thursday morning.
        let evening = cal.add_working_days(rfc("2026-03-11T20:00:00Z"), 14);
        let morning = cal.add_working_days(wib_at(2026, 3, 12, 10, 0), 14);
        assert_eq!(evening, morning);
        // Whereas 16:00 UTC is still Wednesday 23:00 WIB: one day earlier.
        let wednesday = cal.add_working_days(rfc("2026-03-11T16:00:00Z"), 14);
        assert_eq!(wednesday.at_wib().to_rfc3339(), "2026-04-08T23:59:59+07:00");
    }

    #[test]
    fn saturday_can_be_a_working_day() {
        let cal = Calendar::try_new(&MON_SAT, vec![file_2026()]).unwrap();
        assert!(cal.is_working_day(d(2026, 3, 14)));
        assert!(!cal.is_working_day(d(2026, 3, 15)));
        // Saturday 21 March is Idul Fitri, so still a day off.
        assert!(!cal.is_working_day(d(2026, 3, 21)));
        // Fri 13 March: day 1 = Sat 14, day 2 = Mon 16.
        let due = cal.add_working_days(wib_at(2026, 3, 13, 9, 0), 2);
        assert_eq!(due.at_wib().to_rfc3339(), "2026-03-16T23:59:59+07:00");
        // From 12 March: 13,14,16,17 | 25,26,27,28,30,31 | 1,2,4,6 -> 6 April.
        let due = cal.add_working_days(wib_at(2026, 3, 12, 10, 0), 14);
        assert_eq!(due.at_wib().to_rfc3339(), "2026-04-06T23:59:59+07:00");
    }

    #[test]
    fn local_day_off_is_skipped() {
        let local = parse_holiday_file(
            "[[holiday]]\ndate = 2026-03-13\nname = \"Rapat kerja puskesmas\"\nkind = \"local\"\n",
            "config/libur-lokal.toml",
        )
        .unwrap();
        let cal = Calendar::try_new(&MON_FRI, vec![file_2026(), local]).unwrap();
        let h = cal.holiday(d(2026, 3, 13)).unwrap();
        assert_eq!(h.kind, HolidayKind::Local);
        assert_eq!(h.kind.label_id(), "libur lokal");
        // A local file without `year` does not make a year covered.
        assert_eq!(cal.covered_years(), vec![2026]);
        let due = cal.add_working_days(wib_at(2026, 3, 12, 10, 0), 14);
        assert_eq!(due.at_wib().to_rfc3339(), "2026-04-10T23:59:59+07:00");
    }

    #[test]
    fn first_file_wins_for_a_shared_date() {
        let local = parse_holiday_file(
            "[[holiday]]\ndate = 2026-08-17\nname = \"Lokal\"\nkind = \"local\"\n",
            "lokal",
        )
        .unwrap();
        let cal = Calendar::new(&MON_FRI, vec![file_2026(), local]);
        assert_eq!(
            cal.holiday(d(2026, 8, 17)).unwrap().kind,
            HolidayKind::National
        );
    }

    #[test]
    fn deadline_into_uncovered_2027() {
        let cal = cal_2026();
        // Mon 28 Dec 2026: 29, 30, 31 Dec, then 1 Jan 2027 (Friday; a fixed
        // national holiday although 2027 has no list), 4-8, 11-15, 18 Jan.
        let due = cal.add_working_days(wib_at(2026, 12, 28, 9, 0), 14);
        assert_eq!(due.uncovered_years, vec![2027]);
        assert_eq!(due.at_wib().to_rfc3339(), "2027-01-18T23:59:59+07:00");
        // Inside 2026 nothing is reported.
        let due = cal.add_working_days(wib_at(2026, 12, 1, 9, 0), 14);
        assert!(due.uncovered_years.is_empty());
        // With no file at all, every year crossed is reported.
        let bare = Calendar::try_new(&MON_FRI, vec![]).unwrap();
        let due = bare.add_working_days(wib_at(2026, 12, 28, 9, 0), 14);
        assert_eq!(due.uncovered_years, vec![2026, 2027]);
    }

    /// The 2027 list as staff would add it; the entry is a test value, not the decree.
    const FILE_2027_TEST: &str = "year = 2027\n[[holiday]]\ndate = 2027-01-04\n\
        name = \"Libur uji (bukan tanggal SKB)\"\nkind = \"national\"\n";

    #[test]
    fn received_10_december_2026_is_not_due_on_new_years_day() {
        // Thu 10 Dec: 11 (1), 14-18 (2-6), 21-23 (7-9), 24 cuti bersama and 25 Natal
        // skipped, 28-31 (10-13), Fri 1 Jan 2027 skipped (fixed, no 2027 list), Mon 4 (14).
        let cal = cal_2026();
        let due = cal.add_working_days(wib_at(2026, 12, 10, 10, 0), 14);
        assert_eq!(due.at_wib().to_rfc3339(), "2027-01-04T23:59:59+07:00");
        assert_eq!(due.uncovered_years, vec![2027]);
        for skipped in [d(2026, 12, 24), d(2026, 12, 25), d(2027, 1, 1)] {
            assert!(!cal.is_working_day(skipped), "{skipped}");
        }
        assert_eq!(
            cal.holiday(d(2027, 1, 1)).unwrap().name,
            "Tahun Baru Masehi"
        );
        assert_eq!(
            cal.working_days_left(wib_at(2026, 12, 11, 8, 0), due.at),
            13,
            "counting agrees with the walk"
        );
    }

    #[test]
    fn fixed_dates_are_holidays_in_any_year() {
        let cal = Calendar::try_new(&MON_FRI, vec![]).unwrap();
        let fixed_2030 = [
            (d(2030, 1, 1), "Tahun Baru Masehi"),        // Tuesday
            (d(2030, 5, 1), "Hari Buruh Internasional"), // Wednesday
            (d(2030, 6, 1), "Hari Lahir Pancasila"),     // Saturday
            (d(2030, 8, 17), "Hari Kemerdekaan Republik Indonesia"), // Saturday
            (d(2030, 12, 25), "Hari Raya Natal"),        // Wednesday
        ];
        for (date, name) in fixed_2030 {
            let h = cal.holiday(date).unwrap();
            assert_eq!((h.name.as_str(), h.kind), (name, HolidayKind::National));
            assert!(!cal.is_working_day(date), "{date}");
        }
        assert!(cal.is_working_day(d(2030, 12, 24)));
        assert!(cal.holiday(d(2030, 12, 24)).is_none());
        assert!(
            !cal.covers_year(2030),
            "fixed dates alone do not make a year known"
        );
        // Mon 23 Dec 2030 + 2: Tue 24 (1), Wed 25 Natal, Thu 26 (2).
        let due = cal.add_working_days(wib_at(2030, 12, 23, 9, 0), 2);
        assert_eq!(due.at_wib().to_rfc3339(), "2030-12-26T23:59:59+07:00");
        assert_eq!(due.uncovered_years, vec![2030]);
        // 2030 has 261 weekdays; three fixed holidays fall on one.
        assert_eq!(cal.count_working_days(d(2030, 1, 1), d(2031, 1, 1)), 258);
    }

    #[test]
    fn fixed_dates_text_names_every_fixed_date() {
        let months = ["Januari", "Mei", "Juni", "Agustus", "Desember"];
        for ((_, day, _), month) in FIXED_NATIONAL.iter().zip(months) {
            assert!(
                FIXED_DATES_ID.contains(&format!("{day} {month}")),
                "{day} {month}"
            );
        }
    }

    #[test]
    fn a_2027_list_adds_its_moving_holidays() {
        let file_2027 = parse_holiday_file(FILE_2027_TEST, "libur-nasional-2027.toml").unwrap();
        let cal = Calendar::try_new(&MON_FRI, vec![file_2026(), file_2027]).unwrap();
        // As above, but Mon 4 Jan 2027 is now a holiday: day 14 is Tue 5 Jan.
        let due = cal.add_working_days(wib_at(2026, 12, 10, 10, 0), 14);
        assert_eq!(due.at_wib().to_rfc3339(), "2027-01-05T23:59:59+07:00");
        assert!(due.uncovered_years.is_empty());
        assert!(
            !cal.is_working_day(d(2027, 1, 1)),
            "fixed dates stay without a file entry"
        );
    }

    #[test]
    fn cuti_bersama_can_be_working_days() {
        let cal = cal_2026().with_cuti_bersama_as_working_days(true);
        assert!(cal.is_working_day(d(2026, 12, 24)), "cuti bersama");
        assert!(
            !cal.is_working_day(d(2026, 12, 25)),
            "Natal stays a holiday"
        );
        assert_eq!(
            cal.holiday(d(2026, 12, 24)).unwrap().kind,
            HolidayKind::CutiBersama
        );
        // From Thu 10 Dec: 24 Dec is day 10, so 28-31 Dec are 11-14.
        let due = cal.add_working_days(wib_at(2026, 12, 10, 10, 0), 14);
        assert_eq!(due.at_wib().to_rfc3339(), "2026-12-31T23:59:59+07:00");
        assert_eq!(cal.count_working_days(d(2026, 12, 21), d(2026, 12, 26)), 4);
        // The default is false: cuti bersama are days off.
        assert_eq!(
            cal_2026().count_working_days(d(2026, 12, 21), d(2026, 12, 26)),
            3
        );
    }

    #[test]
    fn deadline_warning_names_the_year_and_what_may_move() {
        assert_eq!(deadline_warning(&[]), None);
        let text = deadline_warning(&[2027]).unwrap();
        for needle in [
            "libur nasional bertanggal tetap tahun 2027",
            "1 Januari, 1 Mei, 1 Juni, 17 Agustus dan 25 Desember",
            "hari raya Islam",
            "cuti bersama tahun 2027 belum diketahui",
            "dapat bergeser",
            "libur-nasional-2027.toml",
        ] {
            assert!(text.contains(needle), "{text:?} lacks {needle:?}");
        }
        let two = deadline_warning(&[2027, 2028]).unwrap();
        assert!(two.contains("tahun 2027 dan 2028"), "{two}");
        assert!(
            two.contains("libur-nasional-2027.toml, libur-nasional-2028.toml"),
            "{two}"
        );
        assert!(missing_lists_warning(&[]).is_none());
        let loud = missing_lists_warning(&[2027]).unwrap();
        assert!(
            loud.starts_with("DAFTAR HARI LIBUR 2027 BELUM ADA."),
            "{loud}"
        );
        assert!(loud.contains("calendar.holidays"), "{loud}");
    }

    #[test]
    fn missing_lists_table() {
        let file_2027 = || parse_holiday_file(FILE_2027_TEST, "x").unwrap();
        let only_2026 = cal_2026();
        let with_2027 = Calendar::try_new(&MON_FRI, vec![file_2026(), file_2027()]).unwrap();
        let only_2027 = Calendar::try_new(&MON_FRI, vec![file_2027()]).unwrap();
        let cases: [(&str, DateTime<Utc>, &Calendar, &[i32]); 9] = [
            ("30 Sep 2026", wib_at(2026, 9, 30, 23, 59), &only_2026, &[]),
            ("1 Oct 2026", wib_at(2026, 10, 1, 0, 0), &only_2026, &[2027]),
            // 17:00 UTC on 30 September is already 1 October in WIB.
            (
                "1 Oct WIB",
                rfc("2026-09-30T17:00:00Z"),
                &only_2026,
                &[2027],
            ),
            ("Dec 2026", wib_at(2026, 12, 10, 9, 0), &only_2026, &[2027]),
            ("with 2027", wib_at(2026, 10, 1, 0, 0), &with_2027, &[]),
            ("Jan 2027", wib_at(2027, 1, 4, 9, 0), &only_2026, &[2027]),
            ("Jan 2027 ok", wib_at(2027, 1, 4, 9, 0), &with_2027, &[]),
            ("no 2026", wib_at(2026, 3, 1, 9, 0), &only_2027, &[2026]),
            (
                "Oct, none",
                wib_at(2026, 10, 5, 9, 0),
                &Calendar::new(&MON_FRI, vec![]),
                &[2026, 2027],
            ),
        ];
        for (what, now, cal, expected) in cases {
            assert_eq!(missing_lists(now, cal), expected.to_vec(), "{what}");
        }
    }

    #[test]
    fn built_in_lists_fill_years_without_a_configured_file() {
        assert!(BUILT_IN_LISTS
            .iter()
            .any(|(name, text)| *name == "libur-nasional-2026.toml" && *text == FILE_2026));
        let cal = load(&MON_FRI, &[]).unwrap();
        assert_eq!(cal.snapshot(), cal_2026_2027().snapshot());
        assert_eq!(cal.covered_years(), vec![2026, 2027]);
        // A configured list of 2026 replaces the built-in one.
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("libur-2026.toml");
        std::fs::write(
            &own,
            "year = 2026\n[[holiday]]\ndate = 2026-03-19\nname = \"Nyepi\"\nkind = \"national\"\n",
        )
        .unwrap();
        let cal = load(&MON_FRI, &[own]).unwrap();
        assert_eq!(cal.holidays().filter(|h| h.date.year() == 2026).count(), 1);
        assert!(
            cal.is_working_day(d(2026, 3, 18)),
            "the built-in cuti bersama is gone"
        );
    }

    #[test]
    fn no_working_days_is_rejected_and_never_loops() {
        assert!(matches!(
            Calendar::try_new(&[], vec![]),
            Err(CalendarError::NoWorkingDays)
        ));
        assert!(CalendarError::NoWorkingDays
            .to_string()
            .contains("calendar.working_days"));
        assert!(matches!(load(&[], &[]), Err(CalendarError::NoWorkingDays)));
        let cal = Calendar::new(&[], vec![]);
        let start = wib_at(2026, 3, 12, 10, 0);
        let capped = cal.add_working_days(start, 14);
        assert!(capped.at > start);
        assert!(matches!(
            cal.try_add_working_days(start, 14),
            Err(CalendarError::SearchLimit {
                days: MAX_SEARCH_DAYS,
                ..
            })
        ));
        assert_eq!(cal.count_working_days(d(2026, 1, 1), d(2027, 1, 1)), 0);
    }

    #[test]
    fn end_of_chrono_range_is_an_error_not_a_panic() {
        let cal = Calendar::new(&MON_FRI, vec![]);
        let near_end = DateTime::<Utc>::MAX_UTC - chrono::TimeDelta::days(3);
        assert!(matches!(
            cal.try_add_working_days(near_end, 30),
            Err(CalendarError::OutOfRange { .. })
        ));
        let _ = cal.add_working_days(near_end, 30);
        let _ = cal.working_days_left(DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn working_days_left_table() {
        let cal = cal_2026();
        let due = wib_at(2026, 4, 9, 23, 59) + chrono::TimeDelta::seconds(59);
        let cases = [
            // (now in WIB, expected)
            (wib_at(2026, 3, 12, 10, 0), 14), // the day of receipt counts here
            (wib_at(2026, 3, 13, 8, 0), 13),
            (wib_at(2026, 3, 18, 8, 0), 10), // cuti bersama: today not counted
            (wib_at(2026, 4, 8, 8, 0), 1),
            (wib_at(2026, 4, 9, 8, 0), 0), // due today
            (wib_at(2026, 4, 9, 23, 59), 0),
            (wib_at(2026, 4, 10, 0, 0), -1), // first working day late
            (wib_at(2026, 4, 11, 12, 0), -1), // Saturday: still one
            (wib_at(2026, 4, 13, 7, 0), -2),
        ];
        for (now, expected) in cases {
            assert_eq!(
                cal.working_days_left(now, due),
                expected,
                "now {}",
                to_wib(now)
            );
        }
        // Saturday for a Monday deadline: no working day in between.
        let monday = wib_at(2026, 3, 16, 23, 59);
        assert_eq!(cal.working_days_left(wib_at(2026, 3, 14, 9, 0), monday), 0);
        assert_eq!(cal.working_days_left(wib_at(2026, 3, 13, 9, 0), monday), 1);
        // Passed earlier on the due day itself.
        let ten = wib_at(2026, 3, 16, 10, 0);
        assert_eq!(cal.working_days_left(wib_at(2026, 3, 16, 11, 0), ten), 0);
    }

    #[test]
    fn count_working_days_matches_day_by_day() {
        let cal = Calendar::try_new(&MON_SAT, vec![file_2026()]).unwrap();
        let from = d(2025, 12, 20);
        for len in 0..420 {
            let to = from + chrono::TimeDelta::days(len);
            let slow = from
                .iter_days()
                .take_while(|x| *x < to)
                .filter(|x| cal.is_working_day(*x))
                .count() as i64;
            assert_eq!(cal.count_working_days(from, to), slow, "to {to}");
        }
        assert_eq!(cal.count_working_days(d(2026, 3, 5), d(2026, 3, 1)), 0);
    }

    #[test]
    fn left_and_add_agree() {
        let cal = cal_2026();
        for day in 1..=28 {
            let start = wib_at(2026, 3, day, 9, 0);
            for n in 1..=20 {
                let due = cal.add_working_days(start, n).at;
                // Seen from the first working day after receipt, n - 1 days
                // remain before the due day.
                let first = cal.add_working_days(start, 1).at - chrono::TimeDelta::hours(12);
                assert_eq!(cal.working_days_left(first, due), n as i64 - 1);
            }
        }
    }

    #[test]
    fn load_reads_files_and_reports_missing_ones() {
        let dir = std::env::temp_dir().join(format!("pengaduan-cal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("libur-nasional-2026.toml");
        std::fs::write(&path, FILE_2026).unwrap();
        let cal = load(&MON_FRI, std::slice::from_ref(&path)).unwrap();
        assert_eq!(cal.snapshot(), cal_2026_2027().snapshot());
        assert_eq!(
            cal.year_days_off(2026)[0].origin.as_deref(),
            Some(path.display().to_string().as_str())
        );
        assert_eq!(
            Calendar::load(&MON_FRI, std::slice::from_ref(&path)).unwrap(),
            cal
        );

        let missing = dir.join("libur-nasional-2099.toml");
        let err = load(&MON_FRI, &[path.clone(), missing]).unwrap_err();
        assert!(matches!(err, CalendarError::Read { .. }));
        assert!(
            err.to_string().contains("libur-nasional-2099.toml"),
            "{err}"
        );

        let bad = dir.join("rusak.toml");
        std::fs::write(&bad, "year = 2026\n[[holiday]]\ndate = 2026-02-30\n").unwrap();
        let err = load(&MON_FRI, &[bad]).unwrap_err().to_string();
        assert!(err.contains("rusak.toml"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parse_errors_name_file_entry_key_and_fix() {
        let cases: &[(&str, &[&str])] = &[
            (
                "year = 2026\n[[holiday]]\ndate = 2026-01-01\nname = \"a\"\nkind = \"national\"\n\
                 [[holiday]]\ndate = 2026-01-02\nname = \"b\"\nkind = \"national\"\n\
                 [[holiday]]\ndate = \"2026-02-30\"\nname = \"c\"\nkind = \"national\"\n",
                &[
                    "config/x.toml: holiday #3: date 2026-02-30 is not a valid date; write it as YYYY-MM-DD",
                ],
            ),
            (
                // Unquoted: the TOML parser itself rejects the day.
                "year = 2026\n[[holiday]]\ndate = 2026-01-01\nname = \"a\"\nkind = \"national\"\n\
                 [[holiday]]\ndate = 2026-01-02\nname = \"b\"\nkind = \"national\"\n\
                 [[holiday]]\ndate = 2026-02-30\nname = \"c\"\nkind = \"national\"\n",
                &["config/x.toml: line 11, holiday #3:", "2026-02-30", "YYYY-MM-DD"],
            ),
            (
                "[[holiday]]\ndate = \"1-3-2026\"\nname = \"a\"\nkind = \"local\"\n",
                &["holiday #1: date 1-3-2026 is not a valid date"],
            ),
            (
                "[[holiday]]\ndate = 2026-03-01T08:00:00\nname = \"a\"\nkind = \"local\"\n",
                &["holiday #1: date 2026-03-01T08:00:00 is not a valid date"],
            ),
            (
                "year = 2026\n[[holiday]]\ndate = 2027-01-01\nname = \"a\"\nkind = \"national\"\n",
                &["holiday #1: date 2027-01-01 is not in 2026", "year = 2026", "2027"],
            ),
            (
                "[[holiday]]\nname = \"a\"\nkind = \"local\"\n",
                &["holiday #1: missing key `date`"],
            ),
            (
                "[[holiday]]\ndate = 2026-01-01\nkind = \"local\"\n",
                &["holiday #1 (2026-01-01): missing key `name`"],
            ),
            (
                "[[holiday]]\ndate = 2026-01-01\nname = \"  \"\nkind = \"local\"\n",
                &["holiday #1 (2026-01-01): key `name` must be non-empty"],
            ),
            (
                "[[holiday]]\ndate = 2026-01-01\nname = \"a\"\n",
                &["holiday #1 (2026-01-01): missing key `kind`", "cuti_bersama"],
            ),
            (
                "[[holiday]]\ndate = 2026-01-01\nname = \"a\"\nkind = \"nasional\"\n",
                &["holiday #1 (2026-01-01): kind \"nasional\" is not known", "\"national\""],
            ),
            (
                "[[holiday]]\ndate = 2026-01-01\nname = \"a\"\nkind = \"local\"\nnama = \"b\"\n",
                &["holiday #1: unknown key `nama`"],
            ),
            ("tahun = 2026\n", &["unknown key `tahun`"]),
            ("year = \"2026\"\n", &["key `year`", "year = 2026"]),
            ("year = 26\n", &["key `year`"]),
            (
                "[holiday]\ndate = 2026-01-01\n",
                &["[holiday] must be written [[holiday]]"],
            ),
            ("holiday = 3\n", &["key `holiday`"]),
            (
                "[[holiday]]\ndate = 2026-01-01\nname = \"a\"\nkind = \"local\"\n\
                 [[holiday]]\ndate = 2026-01-01\nname = \"b\"\nkind = \"local\"\n",
                &["holiday #2: date 2026-01-01 is already listed as holiday #1"],
            ),
            (
                "year = 2026\n[[holiday]]\nname = Nyepi\n",
                &["config/x.toml: line 3, holiday #1:", "TOML syntax"],
            ),
        ];
        for (text, needles) in cases {
            let err = err_text(text);
            for needle in *needles {
                assert!(err.contains(needle), "{err:?} lacks {needle:?}");
            }
            assert!(!err.contains('\n'), "one line: {err:?}");
        }
    }

    #[test]
    fn quoted_dates_and_no_entries_are_accepted() {
        let file = parse_holiday_file(
            "year = 2027\n[[holiday]]\ndate = \"2027-01-01\"\nname = \" Tahun Baru \"\nkind = \"national\"\n",
            "x",
        )
        .unwrap();
        assert_eq!(file.holidays[0].date, d(2027, 1, 1));
        assert_eq!(file.holidays[0].name, "Tahun Baru");
        let empty = parse_holiday_file("year = 2027\n", "x").unwrap();
        assert_eq!(empty.year, Some(2027));
        assert!(empty.holidays.is_empty());
        // Declaring the year with no entries still marks it covered.
        let cal = Calendar::new(&MON_FRI, vec![empty]);
        assert!(cal.covers_year(2027));
    }

    #[test]
    fn non_ascii_text_near_an_error_does_not_panic() {
        let err = err_text("[[holiday]]\nname = \"Idul Fitri — 1447\"\ndate = 2026-02-31\n");
        assert!(err.contains("holiday #1"), "{err}");
        let err = err_text("é = \n");
        assert!(err.starts_with("config/x.toml: line 1"), "{err}");
    }

    #[test]
    fn kinds_round_trip() {
        for kind in [
            HolidayKind::National,
            HolidayKind::CutiBersama,
            HolidayKind::Local,
        ] {
            assert_eq!(HolidayKind::from_file_str(kind.as_str()), Some(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }

    #[test]
    fn file_2027_has_18_national_and_8_cuti_bersama_and_names_its_source() {
        let file = file_2027();
        assert_eq!(file.year, Some(2027));
        assert!(file.source.as_deref().unwrap().contains("No. 1205"));
        let count = |k| file.holidays.iter().filter(|h| h.kind == k).count();
        assert_eq!(count(HolidayKind::National), 18);
        assert_eq!(count(HolidayKind::CutiBersama), 8);
        // Idul Fitri and Idul Adha with their cuti bersama may still move; nothing else.
        let moving: Vec<NaiveDate> = file
            .holidays
            .iter()
            .filter(|h| h.may_move)
            .map(|h| h.date)
            .collect();
        assert_eq!(
            moving,
            vec![
                d(2027, 3, 10),
                d(2027, 3, 11),
                d(2027, 5, 17),
                d(2027, 3, 9),
                d(2027, 3, 12),
                d(2027, 3, 15),
                d(2027, 5, 18)
            ]
        );
        let days = cal_2026_2027().year_days_off(2027);
        assert_eq!(days.len(), 26);
        assert!(days.iter().all(|d| d.closed && d.origin.is_some()));
    }

    #[test]
    fn a_deadline_over_lebaran_2027_names_the_days_that_may_move() {
        let cal = cal_2026_2027();
        // Received Monday 1 March 2027: 2-5, 8 Nyepi, 9-12 and 15 Lebaran off.
        let due = cal.add_working_days(wib_at(2027, 3, 1, 10, 0), 14);
        let dates: Vec<NaiveDate> = due.movable.iter().map(|h| h.date).collect();
        assert_eq!(
            dates,
            vec![
                d(2027, 3, 9),
                d(2027, 3, 10),
                d(2027, 3, 11),
                d(2027, 3, 12),
                d(2027, 3, 15)
            ]
        );
        let text = movable_warning(&due.movable).unwrap();
        assert!(
            text.contains("Idul Fitri 1448 Hijriah (10 Maret 2027, 11 Maret 2027)"),
            "{text}"
        );
        assert!(text.contains("sidang isbat"), "{text}");
        // A deadline in January passes none; cuti bersama as working days are not days
        // off, so they cannot move a deadline either.
        assert!(cal
            .add_working_days(wib_at(2027, 1, 4, 10, 0), 14)
            .movable
            .is_empty());
        let open = cal_2026_2027().with_cuti_bersama_as_working_days(true);
        let due = open.add_working_days(wib_at(2027, 3, 1, 10, 0), 14);
        assert_eq!(due.movable.len(), 2, "{:?}", due.movable);
        assert_eq!(movable_warning(&[]), None);
    }

    #[test]
    fn describe_change_says_what_moved_the_deadlines() {
        let only_2026 = cal_2026().snapshot();
        let both = cal_2026_2027().snapshot();
        assert_eq!(
            describe_change(&only_2026, &both),
            vec!["daftar libur 2027 ditambahkan"]
        );
        assert_eq!(
            describe_change(&both, &only_2026),
            vec!["daftar libur 2027 dihapus"]
        );
        assert!(describe_change(&both, &both).is_empty());
        let mut moved = file_2027();
        moved.holidays[4].date = d(2027, 3, 16);
        let edited = Calendar::try_new(&MON_FRI, vec![file_2026(), moved]).unwrap();
        assert_eq!(
            describe_change(&both, &edited.snapshot()),
            vec!["daftar libur 2027 diubah"]
        );
        let cuti = cal_2026_2027().with_cuti_bersama_as_working_days(true);
        assert_eq!(
            describe_change(&both, &cuti.snapshot()),
            vec!["cuti bersama kini dihitung sebagai hari kerja"]
        );
        let local = HolidayFile {
            origin: "libur-lokal.toml".into(),
            year: None,
            source: None,
            holidays: vec![Holiday {
                date: d(2027, 8, 10),
                name: "Hari jadi".into(),
                kind: HolidayKind::Local,
                may_move: false,
            }],
        };
        let with_local =
            Calendar::try_new(&MON_FRI, vec![file_2026(), file_2027(), local]).unwrap();
        assert_eq!(
            describe_change(&both, &with_local.snapshot()),
            vec!["hari libur lokal diubah"]
        );
        let saturday = Calendar::try_new(&MON_SAT, vec![file_2026(), file_2027()]).unwrap();
        assert_eq!(
            describe_change(&both, &saturday.snapshot()),
            vec!["hari kerja dalam seminggu diubah"]
        );
    }

    #[test]
    fn source_and_may_move_are_checked() {
        assert!(err_text("year = 2027\nsource = 5\n").contains("key `source`"));
        let text = err_text(
            "year = 2027\n[[holiday]]\ndate = 2027-03-10\nname = \"a\"\nkind = \"national\"\nmay_move = \"ya\"\n",
        );
        assert!(text.contains("may_move = true"), "{text}");
    }
}
