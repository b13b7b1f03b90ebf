//! Scheduled work, all registered in `start`. Each job is a plain `*_once(now)`; the
//! scheduler (tokio-cron-scheduler, Asia/Jakarta) merely calls it, so tests call the jobs
//! directly with a chosen clock. Jobs keep no state of their own: what ran is in SQLite
//! (outbox idempotency keys, the `health` table), so a restart neither repeats nor loses;
//! `catch_up` runs once at start for what fell due while the daemon was down.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds};
use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::app::Pipeline;
use crate::calendar::{local_date, WIB};
use crate::clock::Clock;
use crate::store::SharedStore;

/// The deadline job: reminders and escalations due now, then closes answered cases whose
/// complainant stayed silent past the configured working days. Returns how many mails
/// were queued.
pub async fn sweep_once(
    pipeline: &Arc<Pipeline>,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<usize> {
    let p = pipeline.clone();
    let notices = store.run(move |s| p.queue_notices(s, now)).await?;
    let p = pipeline.clone();
    let closed = store.run(move |s| p.sweep_no_reply(s, now)).await?;
    for ticket in &closed {
        tracing::info!(%ticket, "closed without reply");
    }
    Ok(notices + closed.len())
}

/// Queues today's digest for the complaints team (once per WIB day). Not on weekends and
/// holidays (the calendar's non-working days): nobody reads it then, and the next
/// working day's digest reports everything since the last one.
pub async fn digest_once(
    pipeline: &Arc<Pipeline>,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<bool> {
    if !pipeline.calendar.is_working_day(local_date(now)) {
        return Ok(false);
    }
    let pipeline = pipeline.clone();
    let queued = store.run(move |s| pipeline.queue_digest(s, now)).await?;
    if let Some(key) = &queued {
        tracing::info!(%key, "daily digest queued");
    }
    Ok(queued.is_some())
}

/// Opens or closes the mailbox health alert (see `health`).
pub async fn health_once(
    pipeline: &Arc<Pipeline>,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<bool> {
    let pipeline = pipeline.clone();
    Ok(store
        .run(move |s| pipeline.check_health(s, now))
        .await?
        .is_some())
}

/// Queues last month's report (`app::report::queue_monthly`) when it is due and not yet
/// queued: from the first working day of the month on, exactly once per month.
pub async fn monthly_report_once(
    pipeline: &Arc<Pipeline>,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<bool> {
    let p = pipeline.clone();
    let queued = store
        .run(move |s| {
            crate::app::report::queue_monthly(&p.config, &p.calendar, &p.templates, s, now)
        })
        .await?;
    if let Some(key) = &queued {
        tracing::info!(%key, "monthly report queued");
    }
    Ok(queued.is_some())
}

/// True when the digest's schedule had a run earlier today (WIB) that no digest covers:
/// the daemon was down at that time. Earlier days are not caught up one by one; the next
/// digest reports everything since the last one.
pub fn digest_missed(cron: &str, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    let Ok(schedule) = CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(cron)
    else {
        return false;
    };
    let local = now.with_timezone(&WIB);
    match schedule.find_previous_occurrence(&local, true) {
        Ok(previous) => {
            previous.date_naive() == local.date_naive()
                && last.is_none_or(|l| l < previous.with_timezone(&Utc))
        }
        Err(_) => false,
    }
}

/// What the daemon does once at start, before the scheduler's first tick: record the
/// start (for the health alert), then catch up with one run of each job — the deadline
/// sweep (one notice per due key, however many ticks were missed) and today's digest if
/// its time passed while the daemon was down. Returns how many mails were queued.
pub async fn catch_up(
    pipeline: &Arc<Pipeline>,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<usize> {
    store
        .run(move |s| s.set_health(crate::store::health::keys::DAEMON_STARTED, "", now))
        .await?;
    let schedule = &pipeline.config.schedule;
    let mut queued = 0;
    if schedule.deadline_check.is_some() {
        queued += sweep_once(pipeline, store, now).await?;
    }
    if let Some(cron) = &schedule.digest {
        let last = store.run(|s| s.last_digest()).await?;
        if !pipeline.config.recipients.tim_pengaduan.is_empty() && digest_missed(cron, last, now) {
            tracing::info!("the daily digest was due while the daemon was down: sending it now");
            queued += usize::from(digest_once(pipeline, store, now).await?);
        }
    }
    // Idempotent and due all month from its first working day: a report missed while the
    // daemon was down goes out now.
    if schedule.monthly_report.is_some() {
        queued += usize::from(monthly_report_once(pipeline, store, now).await?);
    }
    Ok(queued)
}

/// Everything a job needs; cloned into each run.
#[derive(Clone)]
pub struct JobContext {
    pub pipeline: Arc<Pipeline>,
    pub store: SharedStore,
    pub clock: Arc<dyn Clock>,
    pub outbox_wake: Arc<Notify>,
}

type JobFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Registers every job whose schedule is set and starts the scheduler, after one
/// `catch_up` run.
pub async fn start(ctx: JobContext) -> Result<JobScheduler> {
    let schedule = ctx.pipeline.config.schedule.clone();
    let scheduler = JobScheduler::new()
        .await
        .context("cannot start the job scheduler")?;
    match catch_up(&ctx.pipeline, &ctx.store, ctx.clock.now()).await {
        Ok(n) if n > 0 => ctx.outbox_wake.notify_one(),
        Ok(_) => {}
        Err(e) => tracing::error!("catch-up run at start failed: {e:#}"),
    }
    if schedule.digest.is_some() && ctx.pipeline.config.recipients.tim_pengaduan.is_empty() {
        tracing::warn!(
            "schedule.digest is set but recipients.tim_pengaduan is empty: no digest will be sent"
        );
    }
    let jobs: [(&str, &Option<String>, Runner); 4] = [
        (
            "schedule.deadline_check",
            &schedule.deadline_check,
            |c, now| {
                Box::pin(async move {
                    report(
                        "deadline sweep",
                        sweep_once(&c.pipeline, &c.store, now).await,
                        &c,
                    )
                })
            },
        ),
        ("schedule.digest", &schedule.digest, |c, now| {
            Box::pin(async move {
                if !c.pipeline.config.recipients.tim_pengaduan.is_empty() {
                    let r = digest_once(&c.pipeline, &c.store, now)
                        .await
                        .map(usize::from);
                    report("daily digest", r, &c);
                }
            })
        }),
        ("schedule.health_check", &schedule.health_check, |c, now| {
            Box::pin(async move {
                let r = health_once(&c.pipeline, &c.store, now)
                    .await
                    .map(usize::from);
                report("health check", r, &c)
            })
        }),
        (
            "schedule.monthly_report",
            &schedule.monthly_report,
            |c, now| {
                Box::pin(async move {
                    let r = monthly_report_once(&c.pipeline, &c.store, now)
                        .await
                        .map(usize::from);
                    report("monthly report", r, &c)
                })
            },
        ),
    ];
    for (key, cron, runner) in jobs {
        let Some(cron) = cron else { continue };
        let run = ctx.clone();
        let job = move |_, _| -> JobFuture {
            let c = run.clone();
            let now = c.clock.now();
            runner(c, now)
        };
        scheduler
            .add(Job::new_async_tz(cron.as_str(), WIB, job).context(key)?)
            .await?;
    }
    scheduler
        .start()
        .await
        .context("cannot start the job scheduler")?;
    Ok(scheduler)
}

type Runner = fn(JobContext, DateTime<Utc>) -> JobFuture;

/// Logs a job's failure; wakes the outbox when the job queued mail.
fn report(job: &str, result: Result<usize>, c: &JobContext) {
    match result {
        Ok(n) if n > 0 => c.outbox_wake.notify_one(),
        Ok(_) => {}
        Err(e) => tracing::error!("{job} failed: {e:#}"),
    }
}
