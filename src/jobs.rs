//! Scheduled work, all registered in `start`. Each job is a plain `*_once(now)`; the
//! scheduler (tokio-cron-scheduler, Asia/Jakarta) merely calls it, so tests call the jobs
//! directly with a chosen clock. Jobs keep no state of their own: what ran is in SQLite
//! (outbox idempotency keys, `health.last_digest`), so a restart neither repeats nor loses.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::calendar::WIB;
use crate::clock::Clock;
use crate::ingest::Pipeline;
use crate::store::SharedStore;

/// Closes answered cases whose complainant stayed silent past the configured working days.
pub async fn sweep_once(
    pipeline: &Arc<Pipeline>,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<usize> {
    let pipeline = pipeline.clone();
    let closed = store.run(move |s| pipeline.sweep_no_reply(s, now)).await?;
    for ticket in &closed {
        tracing::info!(%ticket, "closed without reply");
    }
    Ok(closed.len())
}

/// Queues today's digest for the complaints team (once per WIB day).
pub async fn digest_once(
    pipeline: &Arc<Pipeline>,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<bool> {
    let pipeline = pipeline.clone();
    let queued = store.run(move |s| pipeline.queue_digest(s, now)).await?;
    if let Some(key) = &queued {
        tracing::info!(%key, "daily digest queued");
    }
    Ok(queued.is_some())
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

/// Registers every job whose schedule is set and starts the scheduler. The deadline
/// sweep also runs once now, catching up after downtime with one run, not one per tick.
pub async fn start(ctx: JobContext) -> Result<JobScheduler> {
    let schedule = ctx.pipeline.config.schedule.clone();
    let scheduler = JobScheduler::new()
        .await
        .context("cannot start the job scheduler")?;
    if let Some(cron) = &schedule.deadline_check {
        let run = ctx.clone();
        let job = move |_, _| -> JobFuture {
            let c = run.clone();
            Box::pin(async move { sweep(&c).await })
        };
        scheduler
            .add(Job::new_async_tz(cron.as_str(), WIB, job).context("schedule.deadline_check")?)
            .await?;
        sweep(&ctx).await;
    }
    if let Some(cron) = &schedule.digest {
        if ctx.pipeline.config.recipients.tim_pengaduan.is_empty() {
            tracing::warn!("schedule.digest is set but recipients.tim_pengaduan is empty: no digest will be sent");
        } else {
            let run = ctx.clone();
            let job = move |_, _| -> JobFuture {
                let c = run.clone();
                Box::pin(async move {
                    match digest_once(&c.pipeline, &c.store, c.clock.now()).await {
                        Ok(true) => c.outbox_wake.notify_one(),
                        Ok(false) => {}
                        Err(e) => tracing::error!("daily digest failed: {e:#}"),
                    }
                })
            };
            scheduler
                .add(Job::new_async_tz(cron.as_str(), WIB, job).context("schedule.digest")?)
                .await?;
        }
    }
    scheduler
        .start()
        .await
        .context("cannot start the job scheduler")?;
    Ok(scheduler)
}

async fn sweep(c: &JobContext) {
    match sweep_once(&c.pipeline, &c.store, c.clock.now()).await {
        Ok(n) if n > 0 => c.outbox_wake.notify_one(),
        Ok(_) => {}
        Err(e) => tracing::error!("deadline sweep failed: {e:#}"),
    }
}
