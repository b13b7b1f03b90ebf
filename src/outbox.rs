//! The outbox worker: one unit of work, `try_send_next(now)`, and a thin loop around it.
//! Delivery is at-least-once: a crash between the SMTP reply and `mark_sent` sends the same
//! bytes (same Message-ID) again, which the recipient can recognise (DESIGN invariant 4).

use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use tokio::sync::{watch, Notify};

use crate::clock::Clock;
use crate::mail::smtp::{SendError, Transport};
use crate::store::SharedStore;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Sent {
        message_id: String,
    },
    Retry {
        message_id: String,
        at: DateTime<Utc>,
    },
    Failed {
        message_id: String,
    },
    Empty,
}

/// Longer than lettre's SMTP timeout (60 s), so a claim outlives a slow send.
const CLAIM_LEASE: Duration = Duration::seconds(120);

/// Mail queued by another process (staff actions from the CLI) is noticed this fast.
const POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// `health` rows for `check` and the digest: the last successful send, and the last failed
/// attempt (transient or permanent) with the recipient and the server's reply. SMTP is in
/// trouble while `smtp_error` is newer than `smtp_ok`.
pub const SMTP_OK: &str = "smtp_ok";
pub const SMTP_ERROR: &str = "smtp_error";

/// PURE: how long to wait after the n-th failed attempt: 30 s doubling, capped at one hour.
pub fn retry_delay(attempts: u32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.min(10));
    Duration::seconds(secs.min(3600))
}

pub async fn try_send_next(
    store: &SharedStore,
    transport: &Transport,
    now: DateTime<Utc>,
) -> Result<Step> {
    let lease = now + CLAIM_LEASE;
    let Some(row) = store.run(move |s| s.claim_due_mail(now, lease)).await? else {
        return Ok(Step::Empty);
    };
    let result = transport.send(&row.mail_from, &row.rcpt_to, &row.raw).await;
    let message_id = row.message_id.clone();
    match result {
        Ok(()) => {
            tracing::info!(%message_id, to = %row.rcpt_to.join(","), purpose = %row.purpose, "mail sent");
            store
                .run(move |s| {
                    s.mark_sent(&row, now)?;
                    s.set_health(SMTP_OK, "", now)
                })
                .await?;
            Ok(Step::Sent { message_id })
        }
        Err(SendError::Transient(e)) => {
            let at = now + retry_delay(row.attempts);
            tracing::warn!(%message_id, to = %row.rcpt_to.join(","), attempts = row.attempts + 1, retry_at = %at, "sending failed, will retry: {e}");
            let health = format!("{} ke {}: {e}", row.purpose, row.rcpt_to.join(", "));
            store
                .run(move |s| {
                    s.mark_retry(&row, at, &e)?;
                    s.set_health(SMTP_ERROR, &health, now)
                })
                .await?;
            Ok(Step::Retry { message_id, at })
        }
        Err(SendError::Permanent(e)) => {
            tracing::error!(%message_id, to = %row.rcpt_to.join(","), "sending failed permanently: {e}");
            let health = format!("{} ke {}: {e}", row.purpose, row.rcpt_to.join(", "));
            store
                .run(move |s| {
                    s.mark_failed(&row, now, &e)?;
                    s.set_health(SMTP_ERROR, &health, now)
                })
                .await?;
            Ok(Step::Failed { message_id })
        }
    }
}

/// Sends until the outbox is empty or only holds mail that is not yet due.
pub async fn drain(store: &SharedStore, transport: &Transport, clock: &dyn Clock) -> Result<usize> {
    let mut sent = 0;
    loop {
        match try_send_next(store, transport, clock.now()).await? {
            Step::Sent { .. } => sent += 1,
            Step::Failed { .. } => {}
            Step::Retry { .. } | Step::Empty => return Ok(sent),
        }
    }
}

/// The worker loop: send what is due, then sleep until the next retry time, new mail
/// (`wake`), or shutdown. A database error is logged and retried, never fatal.
pub async fn run(
    store: SharedStore,
    transport: Transport,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Whether mail went out since the queue was last empty: after a burst (a backlog's
    // acknowledgements) the freed memory is handed back before the worker waits.
    let mut sent = false;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let pause = match try_send_next(&store, &transport, clock.now()).await {
            Ok(Step::Sent { .. }) | Ok(Step::Failed { .. }) => {
                sent = true;
                continue;
            }
            Ok(Step::Retry { .. }) | Ok(Step::Empty) => {
                if std::mem::take(&mut sent) {
                    store.release_memory().await;
                }
                match store.run(|s| s.next_attempt_at()).await {
                    Ok(Some(at)) => (at - clock.now()).to_std().unwrap_or_default().min(POLL),
                    Ok(None) => POLL,
                    Err(e) => {
                        tracing::error!("outbox: cannot read the queue: {e:#}");
                        POLL
                    }
                }
            }
            Err(e) => {
                tracing::error!("outbox: {e:#}");
                POLL
            }
        };
        tracing::debug!(?pause, "outbox: waiting");
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay(0), Duration::seconds(30));
        assert_eq!(retry_delay(1), Duration::seconds(60));
        assert_eq!(retry_delay(3), Duration::seconds(240));
        assert_eq!(retry_delay(7), Duration::seconds(3600));
        assert_eq!(retry_delay(u32::MAX), Duration::seconds(3600));
    }
}
