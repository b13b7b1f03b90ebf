//! PURE: the complaint register (buku register) of a period — facts in, rows out. Every
//! judgement (on time or not, satisfaction, referral) is made from stored timestamps, the
//! stored deadlines and `as_of` (the moment the register is drawn up, passed in), never
//! from the clock. The monthly report (`reports::report`) is computed from these rows.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

use crate::calendar::{local_date, start_of_day_utc, to_wib, Calendar};
use crate::domain::{Channel, Heard, Kind, Status};
use crate::workflow::state;

/// A complaint as the register needs it (read in one place: `Store::register_facts`).
pub use crate::store::register::Facts;

/// The days a register covers, in WIB, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `2026-11`: the whole month.
    pub fn parse_month(s: &str) -> Result<Period, String> {
        let bad = || format!("{s:?} is not a month; write it as YYYY-MM, e.g. 2026-11");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Period::month(y, m).ok_or_else(bad)
    }

    pub fn month(year: i32, month: u32) -> Option<Period> {
        let from = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        Some(Period {
            from,
            to: next.pred_opt()?,
        })
    }

    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, String> {
        if to < from {
            return Err(format!(
                "--to {to} is before --from {from}; give the first day, then the last"
            ));
        }
        Ok(Period { from, to })
    }

    /// The month `date` is in.
    pub fn containing(date: NaiveDate) -> Period {
        Period::month(date.year(), date.month()).expect("the month of a valid date exists")
    }

    /// The month before the one `date` is in.
    pub fn month_before(date: NaiveDate) -> Period {
        let first = Period::containing(date).from;
        Period::containing(first.pred_opt().unwrap_or(first))
    }

    /// The instants `[start, end)` in UTC.
    pub fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = self.to.succ_opt().unwrap_or(self.to);
        (
            start_of_day_utc(self.from).unwrap_or(DateTime::<Utc>::MIN_UTC),
            start_of_day_utc(end).unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }

    /// True when the period is exactly one calendar month.
    pub fn is_month(&self) -> bool {
        Period::month(self.from.year(), self.from.month()) == Some(*self)
    }

    /// `2026-11` for a month, `2026-11-03_2026-11-17` otherwise (file names, keys).
    pub fn slug(&self) -> String {
        if self.is_month() {
            self.from.format("%Y-%m").to_string()
        } else {
            format!("{}_{}", self.from, self.to)
        }
    }

    /// `November 2026` for a month, `3 November 2026 – 17 November 2026` otherwise.
    pub fn label(&self) -> String {
        if self.is_month() {
            format!("{} {}", month_name(self.from.month()), self.from.year())
        } else {
            format!("{} – {}", date_label(self.from), date_label(self.to))
        }
    }
}

pub fn month_name(m: u32) -> &'static str {
    crate::calendar::MONTHS[(m.clamp(1, 12) - 1) as usize]
}

pub fn date_label(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), month_name(d.month()), d.year())
}

/// Whether one step of the procedure kept its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timeliness {
    OnTime,
    /// Done after the deadline, or not done and the deadline has passed.
    Late,
    /// Not done yet; the deadline is still ahead.
    Pending,
    /// The step does not apply (praise or a suggestion closed without it).
    NotNeeded,
}

impl Timeliness {
    fn judge(done: Option<DateTime<Utc>>, due: DateTime<Utc>, as_of: DateTime<Utc>) -> Self {
        match done {
            Some(t) if t <= due => Timeliness::OnTime,
            Some(_) => Timeliness::Late,
            None if as_of > due => Timeliness::Late,
            None => Timeliness::Pending,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Timeliness::OnTime => "ya",
            Timeliness::Late => "tidak",
            Timeliness::Pending => "belum",
            Timeliness::NotNeeded => "-",
        }
    }

    /// Counted in the share on time (a pending step is not judged yet).
    pub fn judged(self) -> bool {
        matches!(self, Timeliness::OnTime | Timeliness::Late)
    }
}

/// What the complainant said after the answer (PROSEDUR.md step 7), with how it was
/// heard: said in the complainant's own mail, or recorded by staff (DESIGN invariant 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Satisfaction {
    Satisfied(Heard),
    Unsatisfied(Heard),
    /// Referred to the Dinas Kesehatan by staff without a stated outcome.
    ReferredByStaff,
    NoReply,
    /// The answer reached the complainant; no reply yet.
    Waiting,
    /// Not answered (or the answer not sent) yet, or closed without an answer.
    None,
}

impl Satisfaction {
    /// Every value, in the order the report lists them: satisfied, then not, each by how
    /// it was heard (the complainant's mail first).
    pub fn all() -> Vec<Satisfaction> {
        let heard = Heard::ALL.iter().copied();
        heard
            .clone()
            .map(Satisfaction::Satisfied)
            .chain(heard.map(Satisfaction::Unsatisfied))
            .chain([
                Satisfaction::ReferredByStaff,
                Satisfaction::NoReply,
                Satisfaction::Waiting,
                Satisfaction::None,
            ])
            .collect()
    }

    /// The register's *Kepuasan* cell and the report's line, e.g. `puas (surel pengadu)`,
    /// `puas (dicatat petugas: telepon)`.
    pub fn label(self) -> String {
        match self {
            Satisfaction::Satisfied(h) => format!("puas ({})", heard_label(h)),
            Satisfaction::Unsatisfied(h) => format!("tidak puas ({})", heard_label(h)),
            Satisfaction::ReferredByStaff => "dirujuk petugas (tanpa pernyataan pengadu)".into(),
            Satisfaction::NoReply => "tidak ada tanggapan".into(),
            Satisfaction::Waiting => "menunggu tanggapan".into(),
            Satisfaction::None => "-".into(),
        }
    }

    /// Said by the complainant in a mail (not recorded by staff).
    pub fn by_complainant(self) -> bool {
        matches!(
            self,
            Satisfaction::Satisfied(h) | Satisfaction::Unsatisfied(h) if h.by_complainant()
        )
    }

    /// Shown in the report even when none: the outcomes staff record today. Outcomes only
    /// old rows carry (how heard unknown) are shown when there are some.
    pub fn always_shown(self) -> bool {
        !matches!(
            self,
            Satisfaction::Satisfied(Heard::Staff)
                | Satisfaction::Unsatisfied(Heard::Staff)
                | Satisfaction::ReferredByStaff
                | Satisfaction::None
        )
    }
}

/// How it was heard, for people: `surel pengadu`, `dicatat petugas: telepon`, …
pub fn heard_label(h: Heard) -> String {
    match h {
        Heard::Mail => "surel pengadu".into(),
        Heard::Staff => "dicatat petugas".into(),
        other => format!("dicatat petugas: {}", other.as_str()),
    }
}

/// One line of the register. Times are WIB wall-clock times (what the sheet shows);
/// the UTC instants stay for the report's durations.
#[derive(Debug, Clone)]
pub struct RegisterRow {
    pub ticket: String,
    pub received: DateTime<Utc>,
    pub channel: Channel,
    /// The SP4N-LAPOR! report number, shown in the `Saluran` cell.
    pub lapor_number: Option<String>,
    pub name: String,
    pub address: String,
    pub phones: String,
    pub email: String,
    pub kind: Kind,
    /// `belum ditentukan` when no unit was chosen.
    pub unit: String,
    pub summary: String,
    pub ack_sent: Option<DateTime<Utc>>,
    pub plan: String,
    pub reviewed: Option<DateTime<Utc>>,
    pub answer: String,
    /// When the answer reached the complainant: accepted by the SMTP server, or recorded
    /// by staff when given without mail (*Tanggal dijawab*).
    pub answered: Option<DateTime<Utc>>,
    /// An answer is recorded but its mail still waits in the outbox (or failed): not
    /// answered yet for the register and the report.
    pub answer_unsent: bool,
    /// Acknowledged within 1x24 jam, reviewed within 3x24 jam, answered within 14 hari kerja,
    /// each counted from the moment the complainant got it.
    pub on_time: [Timeliness; 3],
    /// Working days from receipt to the answer's sending (the receipt day not counted).
    pub answer_working_days: Option<i64>,
    pub satisfaction: Satisfaction,
    pub referred: bool,
    pub status: Status,
}

/// The status of a complaint whose answer waits in the outbox.
pub const ANSWER_UNSENT: &str = "jawaban belum terkirim";

/// How "tepat waktu" is judged, said under the register and the report.
pub const ON_TIME_NOTE: &str = "Tepat waktu dinilai terhadap tenggat yang berlaku saat \
    tanda terima atau jawaban terkirim; yang belum terkirim setelah tenggatnya lewat dihitung \
    terlambat.";

/// The unit label of a complaint with none.
pub const NO_UNIT: &str = "belum ditentukan";
/// Longest `Isi pengaduan (ringkas)` and `Jawaban` cell, in characters.
pub const SUMMARY_CHARS: usize = 200;

/// The column headers of the paper register, in order.
pub const HEADERS: [&str; 19] = [
    "No. tiket",
    "Tanggal diterima",
    "Saluran",
    "Nama",
    "Alamat",
    "Telepon",
    "Surel",
    "Jenis",
    "Unit",
    "Isi pengaduan (ringkas)",
    "Tanda terima dikirim",
    "Rencana tindak lanjut",
    "Tanggal telaah",
    "Jawaban",
    "Tanggal dijawab",
    "Tepat waktu (1x24 jam / 3x24 jam / 14 hari kerja)",
    "Kepuasan",
    "Dirujuk ke Dinkes",
    "Status",
];

/// PURE: the register rows of the complaints received in `period` (WIB), oldest first.
pub fn build(
    facts: &[Facts],
    period: &Period,
    calendar: &Calendar,
    as_of: DateTime<Utc>,
) -> Vec<RegisterRow> {
    let (start, end) = period.bounds();
    let mut rows: Vec<RegisterRow> = facts
        .iter()
        .filter(|f| f.received_at >= start && f.received_at < end)
        .map(|f| row(f, calendar, as_of))
        .collect();
    rows.sort_by(|a, b| (a.received, &a.ticket).cmp(&(b.received, &b.ticket)));
    rows
}

fn row(f: &Facts, calendar: &Calendar, as_of: DateTime<Utc>) -> RegisterRow {
    // Praise, suggestions and questions may be closed without review or answer
    // (workflow::state): a step skipped that way is not late. `recorded` says whether the
    // step was done at all; an answer recorded but not sent was not skipped.
    let skipped = |recorded: Option<DateTime<Utc>>| {
        recorded.is_none() && !state::is_open(f.status) && f.kind != Kind::Pengaduan
    };
    let judge = |recorded: Option<DateTime<Utc>>, done: Option<DateTime<Utc>>, due| {
        if skipped(recorded) {
            Timeliness::NotNeeded
        } else {
            Timeliness::judge(done, due, as_of)
        }
    };
    let satisfaction = match (f.status, f.satisfaction_heard) {
        // Rows closed before the outcome was asked for say "dicatat petugas".
        (Status::ClosedSatisfied, heard) if f.answered_at.is_some() => {
            Satisfaction::Satisfied(heard.unwrap_or(Heard::Staff))
        }
        (Status::Referred, Some(heard)) => Satisfaction::Unsatisfied(heard),
        (Status::Referred, None) => Satisfaction::ReferredByStaff,
        (Status::ClosedWithoutReply, _) => Satisfaction::NoReply,
        (Status::Answered, _) if f.answer_sent_at.is_some() => Satisfaction::Waiting,
        _ => Satisfaction::None,
    };
    RegisterRow {
        ticket: f.ticket.to_string(),
        received: f.received_at,
        channel: f.channel,
        lapor_number: f.lapor_number.clone(),
        name: text(f.name.as_deref()),
        address: text(f.address.as_deref()),
        phones: f.phones.join(", "),
        email: text(f.email.as_deref()),
        kind: f.kind,
        unit: f
            .unit
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| NO_UNIT.to_string()),
        summary: summary(&f.subject, &f.body),
        ack_sent: f.ack_sent_at,
        plan: shorten(&text(f.plan.as_deref()), SUMMARY_CHARS),
        reviewed: f.reviewed_at,
        answer: shorten(&text(f.answer.as_deref()), SUMMARY_CHARS),
        answered: f.answer_sent_at,
        answer_unsent: f.answered_at.is_some() && f.answer_sent_at.is_none(),
        on_time: [
            // The written receipt goes by mail; a complaint without an address got its
            // receipt where it was taken (telephone, counter, suggestion box: none).
            if f.email.is_none() && f.ack_sent_at.is_none() {
                Timeliness::NotNeeded
            } else {
                Timeliness::judge(f.ack_sent_at, f.ack_due, as_of)
            },
            judge(f.reviewed_at, f.reviewed_at, f.review_due),
            // The deadline as stored when the answer went out (a closed case keeps it).
            judge(f.answered_at, f.answer_sent_at, f.answer_due),
        ],
        answer_working_days: f.answer_sent_at.map(|a| {
            let received = local_date(f.received_at);
            calendar.count_working_days(received.succ_opt().unwrap_or(received), local_date(a))
                + i64::from(calendar.is_working_day(local_date(a)))
        }),
        satisfaction,
        referred: f.referred_at.is_some(),
        status: f.status,
    }
}

impl RegisterRow {
    /// The cell `ya / ya / belum`.
    pub fn on_time_text(&self) -> String {
        self.on_time
            .iter()
            .map(|t| t.word())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    pub fn channel_label(&self) -> &'static str {
        channel_label(self.channel)
    }

    /// The `Saluran` cell: the channel, and for SP4N-LAPOR! the report number to post the
    /// answer back under, e.g. `SP4N-LAPOR! (No. 1916449)`.
    pub fn channel_text(&self) -> String {
        match &self.lapor_number {
            Some(n) => format!("{} (No. {n})", self.channel_label()),
            None => self.channel_label().to_string(),
        }
    }

    pub fn kind_label(&self) -> &'static str {
        kind_label(self.kind)
    }

    /// The status; an answer still in the outbox is not called answered.
    pub fn status_label(&self) -> &'static str {
        if self.status == Status::Answered && self.answer_unsent {
            ANSWER_UNSENT
        } else {
            state::label(self.status)
        }
    }

    pub fn referred_text(&self) -> &'static str {
        if self.referred {
            "ya"
        } else {
            "tidak"
        }
    }

    /// The text cells in `HEADERS` order, dates as `dd/mm/yyyy hh:mm` WIB (for CSV).
    pub fn cells(&self) -> [String; 19] {
        let t = |d: Option<DateTime<Utc>>| d.map(wib_text).unwrap_or_default();
        [
            self.ticket.clone(),
            wib_text(self.received),
            self.channel_text(),
            self.name.clone(),
            self.address.clone(),
            self.phones.clone(),
            self.email.clone(),
            self.kind_label().into(),
            self.unit.clone(),
            self.summary.clone(),
            t(self.ack_sent),
            self.plan.clone(),
            t(self.reviewed),
            self.answer.clone(),
            t(self.answered),
            self.on_time_text(),
            self.satisfaction.label(),
            self.referred_text().into(),
            self.status_label().into(),
        ]
    }
}

/// The wall-clock time in WIB.
pub fn wib(t: DateTime<Utc>) -> NaiveDateTime {
    to_wib(t).naive_local()
}

/// The WIB date of an instant.
pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    local_date(t)
}

pub fn wib_text(t: DateTime<Utc>) -> String {
    wib(t).format("%d/%m/%Y %H:%M").to_string()
}

/// Looked up by word rather than matched, so a channel added later falls back to its word.
const CHANNEL_LABELS: &[(&str, &str)] = &[
    ("email", "Surel"),
    ("telepon", "Telepon"),
    ("whatsapp", "WhatsApp"),
    ("kotak_saran", "Kotak saran"),
    ("surat", "Surat"),
    ("langsung", "Datang langsung"),
    ("sms", "SMS"),
    ("lapor", "SP4N-LAPOR!"),
];

pub fn channel_label(c: Channel) -> &'static str {
    CHANNEL_LABELS
        .iter()
        .find(|(w, _)| *w == c.as_str())
        .map_or(c.as_str(), |(_, l)| l)
}

pub fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Pengaduan => "Pengaduan",
        Kind::Saran => "Saran",
        Kind::Apresiasi => "Apresiasi",
        Kind::PermintaanInformasi => "Permintaan informasi",
    }
}

fn text(s: Option<&str>) -> String {
    s.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The subject, then the start of the text, on one line.
fn summary(subject: &str, body: &str) -> String {
    let subject = text(Some(subject));
    let body = text(Some(body));
    let whole = if body.starts_with(&subject) || subject.is_empty() {
        body
    } else if body.is_empty() {
        subject
    } else {
        format!("{subject}: {body}")
    };
    shorten(&whole, SUMMARY_CHARS)
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Weekday};

    pub fn calendar() -> Calendar {
        use Weekday::*;
        Calendar::new(&[Mon, Tue, Wed, Thu, Fri, Sat], Vec::new())
    }

    /// Received Monday 2 November 2026, 09:00 WIB.
    pub fn facts(seq: u32) -> Facts {
        let received_at = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap();
        Facts {
            ticket: crate::domain::Ticket { year: 2026, seq },
            status: Status::Acknowledged,
            kind: Kind::Pengaduan,
            channel: Channel::Email,
            lapor_number: None,
            unit: None,
            name: Some("Siti".into()),
            address: None,
            phones: vec![],
            email: Some("siti@example.test".into()),
            subject: "Antrean".into(),
            body: "Antrean   lama\nsekali".into(),
            received_at,
            ack_due: received_at + Duration::hours(24),
            review_due: received_at + Duration::hours(72),
            answer_due: received_at + Duration::days(16),
            ack_sent_at: Some(received_at + Duration::minutes(1)),
            plan: None,
            reviewed_at: None,
            answer: None,
            answered_at: None,
            answer_sent_at: None,
            satisfaction_heard: None,
            referred_at: None,
        }
    }

    fn period() -> Period {
        Period::parse_month("2026-11").unwrap()
    }

    #[test]
    fn periods() {
        let p = period();
        assert_eq!(p.to, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert!(p.is_month());
        assert_eq!(p.slug(), "2026-11");
        assert_eq!(p.label(), "November 2026");
        let (s, e) = p.bounds();
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 10, 31, 17, 0, 0).unwrap());
        assert_eq!(e, Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap());
        assert_eq!(
            Period::parse_month("2026-12").unwrap().to,
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        for bad in ["2026", "2026-13", "nov", "2026-xx"] {
            assert!(
                Period::parse_month(bad).unwrap_err().contains("YYYY-MM"),
                "{bad}"
            );
        }
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(Period::month_before(d(1, 4)).slug(), "2025-12");
        assert_eq!(Period::month_before(d(12, 1)).slug(), "2026-11");
        let span = Period::new(d(11, 3), d(11, 17)).unwrap();
        assert_eq!(span.slug(), "2026-11-03_2026-11-17");
        assert!(Period::new(d(11, 17), d(11, 3)).is_err());
    }

    #[test]
    fn only_the_period_in_wib_oldest_first() {
        let mut a = facts(1);
        a.received_at = Utc.with_ymd_and_hms(2026, 10, 31, 16, 59, 0).unwrap(); // 31 Oct 23:59 WIB
        let mut b = facts(2);
        b.received_at = Utc.with_ymd_and_hms(2026, 10, 31, 17, 0, 0).unwrap(); // 1 Nov 00:00 WIB
        let mut c = facts(3);
        c.received_at = Utc.with_ymd_and_hms(2026, 11, 30, 16, 59, 0).unwrap(); // 30 Nov 23:59 WIB
        let mut d = facts(4);
        d.received_at = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap(); // 1 Dec
        let rows = build(&[c, d, a, b], &period(), &calendar(), Utc::now());
        let t: Vec<&str> = rows.iter().map(|r| r.ticket.as_str()).collect();
        assert_eq!(t, ["ADU-2026-0002", "ADU-2026-0003"]);
        assert_eq!(wib_text(rows[0].received), "01/11/2026 00:00");
    }

    #[test]
    fn on_time_judgements_from_stored_times() {
        let f = facts(1);
        let r = f.received_at;
        let as_of = r + Duration::days(30);
        // (hours to ack, review, answer; status, kind) -> words
        type Case = ([Option<i64>; 3], Status, Kind, &'static str);
        let cases: Vec<Case> = vec![
            (
                [Some(1), Some(48), Some(240)],
                Status::Answered,
                Kind::Pengaduan,
                "ya / ya / ya",
            ),
            (
                [Some(25), Some(73), Some(408)],
                Status::Answered,
                Kind::Pengaduan,
                "tidak / tidak / tidak",
            ),
            (
                [None, None, None],
                Status::Received,
                Kind::Pengaduan,
                "tidak / tidak / tidak",
            ),
            (
                [None, None, None],
                Status::Received,
                Kind::Saran,
                "tidak / tidak / tidak",
            ),
            (
                [Some(1), None, None],
                Status::ClosedSatisfied,
                Kind::Apresiasi,
                "ya / - / -",
            ),
            (
                [Some(1), None, None],
                Status::Acknowledged,
                Kind::Apresiasi,
                "ya / tidak / tidak",
            ),
        ];
        for (hours, status, kind, want) in cases {
            let [ack, review, answer] = hours.map(|x| x.map(|x| r + Duration::hours(x)));
            let g = Facts {
                ack_sent_at: ack,
                reviewed_at: review,
                answered_at: answer,
                answer_sent_at: answer,
                status,
                kind,
                ..f.clone()
            };
            let row = &build(&[g], &period(), &calendar(), as_of)[0];
            assert_eq!(row.on_time_text(), want, "{hours:?} {status:?} {kind:?}");
        }
        // Before the deadlines nothing is late yet.
        let early = Facts {
            ack_sent_at: None,
            ..f.clone()
        };
        let row = &build(
            std::slice::from_ref(&early),
            &period(),
            &calendar(),
            r + Duration::hours(2),
        )[0];
        assert_eq!(row.on_time_text(), "belum / belum / belum");
        assert!(!row.on_time[0].judged());
        // No address: no mailed receipt to judge.
        let phoned = Facts {
            email: None,
            channel: Channel::Telepon,
            ..early
        };
        let row = &build(&[phoned], &period(), &calendar(), as_of)[0];
        assert_eq!(row.on_time_text(), "- / tidak / tidak");
    }

    #[test]
    fn cells_satisfaction_referral_and_working_days() {
        let r = facts(1).received_at; // Monday
        let f = Facts {
            status: Status::Referred,
            channel: Channel::KotakSaran,
            unit: Some("farmasi".into()),
            phones: vec!["+6281234567890".into(), "+62332424212".into()],
            plan: Some("Rapat".into()),
            reviewed_at: Some(r + Duration::hours(30)),
            answer: Some("Kami perbaiki".into()),
            // Monday 16 Nov: Tue..Sat of week 1 (5) + Mon..Sat (6) + Mon = 12 working days.
            answered_at: Some(r + Duration::days(14)),
            answer_sent_at: Some(r + Duration::days(14)),
            satisfaction_heard: Some(Heard::Mail),
            referred_at: Some(r + Duration::days(20)),
            ..facts(1)
        };
        let row = &build(&[f], &period(), &calendar(), r + Duration::days(30))[0];
        assert_eq!(row.answer_working_days, Some(12));
        let cells = row.cells();
        assert_eq!(cells.len(), HEADERS.len());
        assert_eq!(cells[1], "02/11/2026 09:00");
        assert_eq!(cells[2], "Kotak saran");
        assert_eq!(cells[5], "+6281234567890, +62332424212");
        assert_eq!(cells[8], "farmasi");
        assert_eq!(cells[9], "Antrean lama sekali");
        assert_eq!(cells[16], "tidak puas (surel pengadu)");
        assert_eq!(cells[17], "ya");
        assert_eq!(cells[18], "dirujuk ke Dinas Kesehatan");
        let row = &build(&[facts(2)], &period(), &calendar(), r)[0];
        assert_eq!(row.cells()[2], "Surel");
        assert_eq!(row.unit, NO_UNIT);
        assert_eq!(row.cells()[16], "-");
        assert_eq!(row.cells()[17], "tidak");
    }

    /// The *Kepuasan* cell says who said it and how it was heard; a close by staff is
    /// never the complainant's mail, and a close without an outcome is not satisfaction.
    #[test]
    fn kepuasan_separates_the_complainants_mail_from_what_staff_recorded() {
        let r = facts(1).received_at;
        let answered = Facts {
            reviewed_at: Some(r + Duration::hours(30)),
            answer: Some("Kami perbaiki".into()),
            answered_at: Some(r + Duration::days(3)),
            answer_sent_at: Some(r + Duration::days(3)),
            ..facts(1)
        };
        let cases: &[(Status, Option<Heard>, Kind, &str)] = &[
            (
                Status::ClosedSatisfied,
                Some(Heard::Mail),
                Kind::Pengaduan,
                "puas (surel pengadu)",
            ),
            (
                Status::ClosedSatisfied,
                Some(Heard::Telepon),
                Kind::Pengaduan,
                "puas (dicatat petugas: telepon)",
            ),
            (
                Status::ClosedSatisfied,
                Some(Heard::Langsung),
                Kind::Saran,
                "puas (dicatat petugas: langsung)",
            ),
            // Closed by staff before the outcome was asked (migrated rows).
            (
                Status::ClosedSatisfied,
                Some(Heard::Staff),
                Kind::Pengaduan,
                "puas (dicatat petugas)",
            ),
            (
                Status::ClosedSatisfied,
                None,
                Kind::Pengaduan,
                "puas (dicatat petugas)",
            ),
            (
                Status::Referred,
                Some(Heard::Mail),
                Kind::Pengaduan,
                "tidak puas (surel pengadu)",
            ),
            (
                Status::Referred,
                Some(Heard::Telepon),
                Kind::Pengaduan,
                "tidak puas (dicatat petugas: telepon)",
            ),
            (
                Status::Referred,
                None,
                Kind::Pengaduan,
                "dirujuk petugas (tanpa pernyataan pengadu)",
            ),
            (
                Status::ClosedWithoutReply,
                None,
                Kind::Pengaduan,
                "tidak ada tanggapan",
            ),
            (
                Status::Answered,
                None,
                Kind::Pengaduan,
                "menunggu tanggapan",
            ),
        ];
        for (status, heard, kind, want) in cases {
            let f = Facts {
                status: *status,
                satisfaction_heard: *heard,
                kind: *kind,
                ..answered.clone()
            };
            let row = &build(&[f], &period(), &calendar(), r + Duration::days(30))[0];
            assert_eq!(row.cells()[16], *want, "{status:?} {heard:?}");
            assert_eq!(
                row.satisfaction.by_complainant(),
                *heard == Some(Heard::Mail),
                "{status:?} {heard:?}"
            );
        }
        // Praise closed without an answer: nobody said anything, and no step was late.
        let praise = Facts {
            status: Status::ClosedWithoutAnswer,
            kind: Kind::Apresiasi,
            ..facts(2)
        };
        let row = &build(&[praise], &period(), &calendar(), r + Duration::days(30))[0];
        assert_eq!(row.satisfaction, Satisfaction::None);
        assert_eq!(row.cells()[16], "-");
        assert_eq!(row.cells()[18], "selesai tanpa jawaban");
        assert_eq!(row.on_time_text(), "ya / - / -");
    }

    /// An answer counts from the moment the SMTP server accepted it: while it waits in
    /// the outbox the row has no *Tanggal dijawab*, is not "sudah dijawab", waits on
    /// nobody's satisfaction, and is late once its deadline passed.
    #[test]
    fn an_answer_still_in_the_outbox_is_not_answered() {
        let r = facts(1).received_at;
        let queued = Facts {
            status: Status::Answered,
            reviewed_at: Some(r + Duration::hours(30)),
            answer: Some("Kami perbaiki".into()),
            answered_at: Some(r + Duration::days(3)),
            answer_sent_at: None,
            ..facts(1)
        };
        let before_due = &build(
            std::slice::from_ref(&queued),
            &period(),
            &calendar(),
            r + Duration::days(4),
        )[0];
        assert_eq!(before_due.on_time[2], Timeliness::Pending);
        assert_eq!(before_due.answered, None);
        assert_eq!(before_due.cells()[14], "", "no Tanggal dijawab");
        assert_eq!(before_due.status_label(), ANSWER_UNSENT);
        assert_eq!(before_due.satisfaction, Satisfaction::None);
        assert_eq!(before_due.answer_working_days, None);
        // Still queued after the deadline: late.
        let past_due = &build(
            std::slice::from_ref(&queued),
            &period(),
            &calendar(),
            queued.answer_due + Duration::minutes(1),
        )[0];
        assert_eq!(past_due.on_time[2], Timeliness::Late);
        // Accepted by the SMTP server after the deadline: late, with its date.
        let late = Facts {
            answer_sent_at: Some(queued.answer_due + Duration::hours(2)),
            ..queued.clone()
        };
        let row = &build(&[late], &period(), &calendar(), r + Duration::days(30))[0];
        assert_eq!(row.on_time[2], Timeliness::Late);
        assert_eq!(row.status_label(), "sudah dijawab");
        assert_eq!(row.satisfaction, Satisfaction::Waiting);
        // Accepted before it: on time.
        let sent = Facts {
            answer_sent_at: Some(r + Duration::days(3) + Duration::minutes(5)),
            ..queued
        };
        let row = &build(&[sent], &period(), &calendar(), r + Duration::days(30))[0];
        assert_eq!(row.on_time[2], Timeliness::OnTime);
        assert_eq!(row.cells()[14], "05/11/2026 09:05");
        // The acknowledgement too: not at the SMTP server 1x24 jam after the complaint,
        // it is late (ack_sent_at is set on acceptance only).
        let unsent_ack = Facts {
            ack_sent_at: None,
            ..facts(1)
        };
        let judged = |as_of| {
            build(
                std::slice::from_ref(&unsent_ack),
                &period(),
                &calendar(),
                as_of,
            )[0]
            .on_time[0]
        };
        assert_eq!(judged(r + Duration::hours(23)), Timeliness::Pending);
        assert_eq!(judged(r + Duration::hours(25)), Timeliness::Late);
    }

    #[test]
    fn the_saluran_cell_of_a_lapor_complaint_holds_its_number() {
        let f = Facts {
            channel: Channel::Lapor,
            lapor_number: Some("1916449".into()),
            email: None,
            ..facts(1)
        };
        let row = &build(&[f], &period(), &calendar(), facts(1).received_at)[0];
        assert_eq!(row.cells()[2], "SP4N-LAPOR! (No. 1916449)");
        assert_eq!(HEADERS[2], "Saluran");
        // The report counts channels, not numbers.
        assert_eq!(row.channel_label(), "SP4N-LAPOR!");
        // Every channel has a label of its own, not its stored word.
        for c in Channel::ALL {
            assert_ne!(channel_label(*c), c.as_str(), "{c}");
        }
    }

    #[test]
    fn summary_is_one_line_and_short() {
        assert_eq!(summary("Antrean", "Obat habis"), "Antrean: Obat habis");
        assert_eq!(summary("", "Obat habis"), "Obat habis");
        let long = summary("S", &"kata ".repeat(100));
        assert_eq!(long.chars().count(), SUMMARY_CHARS);
        assert!(long.ends_with('…'));
    }
}
