//! `pengaduan run`: the boot of the daemon. Opens the stores, recomputes deadlines against
//! the calendar, starts the web server, the jobs, the mailbox watcher and the outbox
//! worker, and stops them all on SIGTERM or Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio::sync::{watch, Notify};

use crate::app::load_pipeline;
use crate::calendar::{self, Calendar};
use crate::clock::Clock;
use crate::config::Config;
use crate::mail::imap::Watcher;
use crate::mail::smtp::Transport;
use crate::outbox;
use crate::store::{SharedStore, Store};

pub async fn run(
    config: &Config,
    backfill_since: Option<chrono::NaiveDate>,
    clock: Arc<dyn Clock>,
) -> Result<ExitCode> {
    let imap_cfg = config.imap.clone().context("the [imap] section is missing: `run` needs a mailbox to watch (see config/pengaduan.example.toml)")?;
    let smtp_cfg = config
        .smtp
        .as_ref()
        .context("the [smtp] section is missing: `run` needs a way to send acknowledgements")?;
    // The one command that logs in for hours: a missing password fails now, not at the
    // first reconnect.
    config.require_secrets()?;
    let pipeline = Arc::new(load_pipeline(config)?);
    warn_missing_lists(&pipeline.calendar, clock.now());
    let transport = Transport::from_config(smtp_cfg)?;
    let db = &config.storage.database;
    let (stop, stopped) = watch::channel(false);
    let open = || -> Result<SharedStore> {
        let store = Store::open(db)?;
        store.defer_checkpoints()?;
        Ok(SharedStore::new(store))
    };
    let (ingest_store, outbox_store, jobs_store) = (open()?, open()?, open()?);
    ingest_store.run(|s| s.cache_whole_chunks()).await?;
    // Deadlines follow the calendar (invariant 11): a list added or edited since the last
    // start moves the stored deadlines before any reminder is decided on them.
    let recomputed = {
        let pipeline = pipeline.clone();
        let now = clock.now();
        ingest_store
            .run(move |s| pipeline.recompute_deadlines(s, crate::app::procedure::SYSTEM, true, now))
            .await
            .context("cannot recompute the answer deadlines against the holiday calendar")?
    };
    if !recomputed.changes.is_empty() {
        tracing::info!(complaints = recomputed.changes.len(), reason = %recomputed.reason, "answer deadlines recomputed against the holiday calendar");
    }
    let checkpointing = tokio::spawn(crate::store::checkpointer(
        open()?,
        ingest_store.clone(),
        stopped.clone(),
    ));
    let wake = Arc::new(Notify::new());
    // Before the mailbox work starts, so a taken port or an unreadable token stops `run`
    // at once with the fix.
    let serving = match &config.web {
        Some(settings) => {
            let listener = crate::web::bind(settings).await?;
            let app = crate::web::WebApp::new(config, settings.clone(), open()?, clock.clone())?;
            Some(tokio::spawn(crate::web::serve(
                listener,
                Arc::new(app),
                stopped.clone(),
            )))
        }
        None => None,
    };

    tracing::info!(mailbox = %imap_cfg.mailbox, host = %imap_cfg.host, database = %db.display(), "pengaduan started");
    let mut scheduler = crate::daemon::jobs::start(crate::daemon::jobs::JobContext {
        pipeline: pipeline.clone(),
        store: jobs_store,
        clock: clock.clone(),
        outbox_wake: wake.clone(),
    })
    .await?;
    let watcher = Watcher {
        config: imap_cfg,
        pipeline: pipeline.clone(),
        store: ingest_store,
        clock: clock.clone(),
        outbox_wake: wake.clone(),
        backfill_since,
    };
    let watching = tokio::spawn(watcher.run(stopped.clone()));
    let sending = tokio::spawn(outbox::run(
        outbox_store,
        transport,
        pipeline,
        clock,
        wake,
        stopped,
    ));

    wait_for_signal().await?;
    tracing::info!("stopping: finishing the current transaction");
    let _ = stop.send(true);
    let finished = tokio::time::timeout(Duration::from_secs(9), async {
        let _ = watching.await;
        let _ = sending.await;
        if let Some(serving) = serving {
            let _ = serving.await;
        }
        let _ = checkpointing.await;
        let _ = scheduler.shutdown().await;
    })
    .await;
    if finished.is_err() {
        tracing::warn!("tasks did not stop within 9 s; exiting anyway (committed work is safe)");
    }
    tracing::info!("pengaduan stopped");
    Ok(ExitCode::SUCCESS)
}

pub async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    tokio::select! {
        _ = term.recv() => {}
        r = tokio::signal::ctrl_c() => r.context("cannot listen for SIGINT")?,
    }
    Ok(())
}

pub(crate) fn warn_missing_lists(calendar: &Calendar, now: DateTime<Utc>) -> Vec<i32> {
    let missing = calendar::missing_lists(now, calendar);
    for y in &missing {
        tracing::warn!(year = y, "no holiday list for {y}: deadlines in {y} skip only weekends and the fixed-date national holidays; add libur-nasional-{y}.toml to calendar.holidays");
    }
    missing
}
