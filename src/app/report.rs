//! The monthly report: figures from the register rows (`reports::report`), the printable
//! page, and the mail to the head of the centre and the quality team, queued once through
//! the outbox on the first working day of the month for the month before.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::calendar::{local_date, Calendar};
use crate::config::Config;
use crate::mail::compose::{self, Attachment, MailSpec, PuskesmasView, Recipient};
use crate::reports::register::{self as reg, Facts, Period, RegisterRow};
use crate::reports::report::{self, trend_months, Report};
use crate::reports::sheet::{self, SheetFormat};
use crate::store::Store;
use crate::templates::Templates;

/// The report of `month` as of `as_of`; the compliance chart reads the eleven months
/// before it too.
pub fn monthly(
    store: &Store,
    calendar: &Calendar,
    month: &Period,
    as_of: DateTime<Utc>,
) -> Result<Report> {
    Ok(build(|s, e| store.register_facts(s, e), month, calendar, as_of)?.0)
}

/// The report and the month's own register rows. The trend months are read one at a time
/// and only their figures kept, so a year of complaints is never in memory at once.
fn build(
    facts: impl Fn(DateTime<Utc>, DateTime<Utc>) -> Result<Vec<Facts>>,
    month: &Period,
    calendar: &Calendar,
    as_of: DateTime<Utc>,
) -> Result<(Report, Vec<RegisterRow>)> {
    let mut trend = Vec::new();
    let mut month_rows = Vec::new();
    for m in trend_months(month) {
        let (start, end) = m.bounds();
        let rows = reg::build(&facts(start, end)?, &m, calendar, as_of);
        trend.push(report::month_row(&rows, &m));
        if m == *month {
            month_rows = rows;
        }
    }
    Ok((report::build(&month_rows, trend, month, as_of), month_rows))
}

/// What the report templates see.
#[derive(Serialize)]
pub struct ReportContext<'a> {
    pub puskesmas: PuskesmasView,
    pub report: &'a Report,
}

/// The printable page (A4, print CSS inlined so the file stands alone): for
/// `pengaduan report --out`, and attached to the monthly mail.
pub fn printable(templates: &Templates, config: &Config, report: &Report) -> Result<String> {
    templates
        .render(
            "web/report_print.html",
            &PrintContext {
                puskesmas: &config.puskesmas.name,
                report,
                standalone: true,
                css: include_str!("../../static/app.css"),
            },
        )
        .context("cannot render the report (templates/web/report_print.html)")
}

/// The printable page's context; the web serves the same template with `standalone` off
/// (the stylesheet linked, not inlined, under the Content-Security-Policy).
#[derive(Serialize)]
pub struct PrintContext<'a> {
    pub puskesmas: &'a str,
    pub report: &'a Report,
    pub standalone: bool,
    pub css: &'a str,
}

/// Working days, from the first one of the month, in which last month's report is still
/// sent automatically (a daemon that was down on the first working day catches up). Later,
/// for instance on a fresh installation mid-month, staff run `pengaduan report` by hand
/// rather than receiving an old month's report unasked.
pub const CATCH_UP_WORKING_DAYS: i64 = 5;

/// PURE: the month whose report is due at `now`: the month before, from the first working
/// day (WIB) of the current month through its [`CATCH_UP_WORKING_DAYS`]th; the outbox key
/// makes it once.
pub fn due_month(now: DateTime<Utc>, calendar: &Calendar) -> Option<Period> {
    let today = local_date(now);
    let month = Period::containing(today);
    let first_working = month
        .from
        .iter_days()
        .take_while(|d| *d <= month.to)
        .find(|d| calendar.is_working_day(*d))?;
    let within = today >= first_working
        && calendar.count_working_days(first_working, today) < CATCH_UP_WORKING_DAYS;
    within.then(|| Period::month_before(today))
}

pub fn idem_key(month: &Period) -> String {
    format!("report:{}", month.slug())
}

/// Queues the report of the month due at `now` (see [`due_month`]) to
/// `recipients.kepala_puskesmas` and `tim_mutu` (and `dinas_kesehatan` when
/// `schedule.monthly_report_to_dinas`), with the register as an .xlsx file and the
/// printable report attached. Returns the idempotency key when a mail was queued; `None`
/// when none is due, it was queued before, or nobody is to receive it.
pub fn queue_monthly(
    config: &Config,
    calendar: &Calendar,
    templates: &Templates,
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let Some(month) = due_month(now, calendar) else {
        return Ok(None);
    };
    let r = &config.recipients;
    let mut seen = std::collections::HashSet::new();
    let to: Vec<Recipient<'_>> = r
        .kepala_puskesmas
        .iter()
        .chain(&r.tim_mutu)
        .chain(
            r.dinas_kesehatan
                .iter()
                .filter(|_| config.schedule.monthly_report_to_dinas),
        )
        .filter(|email| seen.insert(email.as_str()))
        .map(|email| Recipient { name: None, email })
        .collect();
    if to.is_empty() {
        return Ok(None);
    }
    let key = idem_key(&month);
    let tx = store.transaction()?;
    if tx.outbox_has(&key)? {
        return Ok(None);
    }
    let (report, month_rows) = build(|s, e| tx.register_facts(s, e), &month, calendar, now)?;
    let attachments = [
        Attachment {
            filename: sheet::file_name(&month, SheetFormat::Xlsx),
            content_type: SheetFormat::Xlsx.content_type(),
            body: sheet::xlsx(&month_rows, &month, &config.puskesmas.name)?,
        },
        Attachment {
            filename: format!("laporan-{}.html", month.slug()),
            content_type: "text/html; charset=utf-8",
            body: printable(templates, config, &report)?.into_bytes(),
        },
    ];
    let mail = compose::render_with(
        templates,
        &MailSpec {
            template: "mail/report",
            idem_key: key.clone(),
            purpose: "report",
            automatic: true,
            from: &config.puskesmas,
            to: &to,
            thread: None,
        },
        &ReportContext {
            puskesmas: (&config.puskesmas).into(),
            report: &report,
        },
        &attachments,
        now,
    )
    .context("cannot render the monthly report mail (templates/mail/report.*)")?;
    if !tx.enqueue(&mail, None, now)? {
        return Ok(None);
    }
    tx.commit()?;
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Weekday};

    #[test]
    fn due_from_the_first_working_day_for_five_working_days() {
        use Weekday::*;
        // The built-in 2026 list: 1 January 2027 is a fixed holiday (a Friday).
        let cal = crate::calendar::load(&[Mon, Tue, Wed, Thu, Fri], &[]).unwrap();
        let at = |y, m, d| {
            crate::calendar::WIB
                .with_ymd_and_hms(y, m, d, 7, 0, 0)
                .unwrap()
                .to_utc()
        };
        let due = |y, m, d| due_month(at(y, m, d), &cal).map(|p| p.slug());
        // November 2026: the 1st is a Sunday, Monday the 2nd the first working day.
        assert_eq!(due(2026, 11, 1), None);
        assert_eq!(due(2026, 11, 2).as_deref(), Some("2026-10"));
        assert_eq!(due(2026, 11, 6).as_deref(), Some("2026-10"));
        assert_eq!(due(2026, 11, 7), None, "after the fifth working day");
        // January 2027: holiday, then the weekend; Monday the 4th is the first working day.
        assert_eq!(due(2027, 1, 1), None);
        assert_eq!(due(2027, 1, 3), None);
        assert_eq!(due(2027, 1, 4).as_deref(), Some("2026-12"));
        assert_eq!(
            idem_key(&Period::parse_month("2026-12").unwrap()),
            "report:2026-12"
        );
    }
}
