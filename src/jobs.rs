//! Scheduled work. Each job is a plain `run_once(now)`; the loop around it is thin, so
//! tests call the job directly with a chosen clock.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio::sync::{watch, Notify};

use crate::clock::Clock;
use crate::ingest::Pipeline;
use crate::store::SharedStore;

/// How often the deadline sweep runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);

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

/// Runs the sweep at start (catching up after downtime) and then every `SWEEP_EVERY`.
pub async fn run(
    pipeline: Arc<Pipeline>,
    store: SharedStore,
    clock: Arc<dyn Clock>,
    outbox_wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match sweep_once(&pipeline, &store, clock.now()).await {
            Ok(n) if n > 0 => outbox_wake.notify_one(),
            Ok(_) => {}
            Err(e) => tracing::error!("deadline sweep failed: {e:#}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}
