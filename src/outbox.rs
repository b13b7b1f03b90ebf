//! The outbox worker: one unit of work, `try_send_next(now)`, and a thin loop around it.
//! Delivery is at-least-once: a crash between the SMTP reply and `mark_sent` sends the same
//! bytes (same Message-ID) again, which the recipient can recognise (DESIGN invariant 4).

use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use tokio::sync::{watch, Notify};

use crate::app::Pipeline;
use crate::clock::Clock;
use crate::mail::smtp::{SendError, Transport};
use crate::store::{OutboxRow, SharedStore};
use crate::workflow::health::hold_after;

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
    /// Nothing may be sent before `until`: Gmail refused the account (daily limit, too
    /// many logins) or the daily budget is spent. No mail was touched.
    Paused {
        until: DateTime<Utc>,
    },
    Empty,
}

/// Longer than lettre's SMTP timeout (60 s), so a claim outlives a slow send.
const CLAIM_LEASE: Duration = Duration::seconds(120);

/// Mail queued by another process (staff actions from the CLI) is noticed this fast.
const POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// The `health` facts the worker keeps (see `store::health::keys`), and the pause it stores.
use crate::store::health::keys::{SMTP_ERROR, SMTP_OK, SMTP_PAUSE};
use crate::store::health::{Pause, PauseCause};

/// The window Gmail counts its sending limit over, and ours with it.
pub const SENDING_WINDOW: Duration = Duration::hours(24);

/// PURE: how long to wait after the n-th failed attempt: 30 s doubling, capped at one hour.
pub fn retry_delay(attempts: u32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.min(10));
    Duration::seconds(secs.min(3600))
}

/// Who a mail serves and the table of purposes: defined with the claim that orders by it.
pub use crate::store::{priority, priority_sql, Priority, PAUSE_ALERT};

/// PURE: which mail the daily budget lets go now: every priority while more than a tenth
/// of `limit` is left, only alerts and complainant mail from the last tenth (the reserve,
/// so a day of reminders cannot use up the acknowledgements' share), nothing once
/// `sent` (mail sent in the last 24 hours) reaches `limit`. `None`: nothing.
pub fn admitted(limit: u32, sent: u32) -> Option<Priority> {
    let left = limit.saturating_sub(sent);
    match left {
        0 => None,
        l if l <= limit / 10 => Some(Priority::Complainant),
        _ => Some(Priority::Staff),
    }
}

/// PURE: the pause after a refusal of `cause` at `now`, following `previous` (the pause
/// before it, if sending has not succeeded since). The daily limit is tried again after
/// 1 h, 2 h, 4 h, then every 8 h (Gmail frees the account within 24 h, and a refused probe
/// sends nothing); too many logins after 1 min doubling to an hour. Also whether this
/// starts a new episode (the team is alerted once per episode).
pub fn pause_after(
    previous: Option<&Pause>,
    cause: PauseCause,
    reply: &str,
    now: DateTime<Utc>,
) -> (Pause, bool) {
    let waits = match cause {
        PauseCause::DailyLimit => (Duration::hours(1), Duration::hours(8)),
        PauseCause::TooManyLogins => (Duration::minutes(1), Duration::hours(1)),
    };
    hold_after(previous, cause, reply, now, waits)
}

/// PURE: whether the outbox may send at `now`, and if not, until when it waits: a pause
/// first, then the budget (`sent` in the window, the oldest of them at `oldest_sent`;
/// when everything is spent, the budget frees as the oldest leaves the window).
pub fn gate(
    pause: Option<&Pause>,
    limit: Option<u32>,
    sent: u32,
    oldest_sent: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Priority, DateTime<Utc>> {
    if let Some(p) = pause.filter(|p| p.until > now) {
        return Err(p.until);
    }
    let Some(limit) = limit else {
        return Ok(Priority::Staff);
    };
    admitted(limit, sent)
        .ok_or_else(|| oldest_sent.map_or(now + Duration::minutes(1), |t| t + SENDING_WINDOW))
}

/// [`send_next`] without a pipeline: no daily budget, no alert mail (the demo, tests of
/// plain SMTP behaviour). A refusal of the account still pauses the whole outbox.
pub async fn try_send_next(
    store: &SharedStore,
    transport: &Transport,
    now: DateTime<Utc>,
) -> Result<Step> {
    send_next(store, transport, None, now).await
}

/// Sends the most urgent due mail the pause and the daily budget allow. With `pipeline`
/// (the daemon's worker), `[smtp] daily_limit` applies and a paused outbox alerts the team.
pub async fn send_next(
    store: &SharedStore,
    transport: &Transport,
    pipeline: Option<&Pipeline>,
    now: DateTime<Utc>,
) -> Result<Step> {
    let limit = pipeline.and_then(|p| p.config.smtp.as_ref().map(|s| s.daily_limit));
    let (pause, sent, oldest) = store
        .run(move |s| {
            let (sent, oldest) = s.sent_since(now - SENDING_WINDOW)?;
            Ok((s.outbox_pause::<Pause>()?, sent, oldest))
        })
        .await?;
    let admitted = match gate(pause.as_ref(), limit, sent, oldest, now) {
        Ok(p) => p,
        Err(until) => return Ok(Step::Paused { until }),
    };
    let lease = now + CLAIM_LEASE;
    let Some(row) = store
        .run(move |s| s.claim_next_mail(now, lease, admitted))
        .await?
    else {
        return Ok(Step::Empty);
    };
    let result = transport.send(&row.mail_from, &row.rcpt_to, &row.raw).await;
    let message_id = row.message_id.clone();
    let health = |e: &str| failure_note(&row, e);
    match result {
        Ok(()) => {
            tracing::info!(%message_id, to = %row.rcpt_to.join(","), purpose = %row.purpose, "mail sent");
            let paused = pause.is_some();
            store
                .run(move |s| {
                    s.mark_sent(&row, now)?;
                    if paused {
                        s.set_health_fact::<Pause>(SMTP_PAUSE, None, now)?;
                    }
                    s.set_health(SMTP_OK, "", now)
                })
                .await?;
            if paused {
                tracing::info!("sending works again: the outbox is no longer paused");
            }
            Ok(Step::Sent { message_id })
        }
        Err(SendError::Transient(e)) => {
            let at = now + retry_delay(row.attempts);
            tracing::warn!(%message_id, to = %row.rcpt_to.join(","), attempts = row.attempts + 1, retry_at = %at, "sending failed, will retry: {e}");
            let health = health(&e);
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
            let health = health(&e);
            store
                .run(move |s| {
                    s.mark_failed(&row, now, &e)?;
                    s.set_health(SMTP_ERROR, &health, now)
                })
                .await?;
            Ok(Step::Failed { message_id })
        }
        Err(SendError::DailyLimit(e)) => {
            pause_outbox(store, pipeline, row, pause, PauseCause::DailyLimit, e, now).await
        }
        Err(SendError::TooManyLogins(e)) => {
            pause_outbox(
                store,
                pipeline,
                row,
                pause,
                PauseCause::TooManyLogins,
                e,
                now,
            )
            .await
        }
    }
}

/// Gmail refused the account, not the mail: the mail stays pending as it was (not failed,
/// no attempt counted) and due at once, the whole outbox waits, and on the first refusal
/// of a daily-limit episode the team's alert is queued in the same transaction, ahead of
/// everything else (`Priority::Alert`), so it is the first mail out when Gmail takes mail again.
async fn pause_outbox(
    store: &SharedStore,
    pipeline: Option<&Pipeline>,
    row: OutboxRow,
    previous: Option<Pause>,
    cause: PauseCause,
    reply: String,
    now: DateTime<Utc>,
) -> Result<Step> {
    let (pause, new_episode) = pause_after(previous.as_ref(), cause, &reply, now);
    let alert = match pipeline {
        Some(p) if new_episode && cause == PauseCause::DailyLimit => p.outbox_alert(&pause, now)?,
        _ => None,
    };
    tracing::error!(cause = ?cause, until = %pause.until, strikes = pause.strikes, "Gmail refused the account: the whole outbox waits: {reply}");
    let until = pause.until;
    let health = failure_note(&row, &reply);
    store
        .run(move |s| {
            let tx = s.transaction()?;
            tx.release_mail(&row, now, &reply)?;
            tx.set_health(SMTP_PAUSE, &serde_json::to_string(&pause)?, now)?;
            tx.set_health(SMTP_ERROR, &health, now)?;
            if let Some(mail) = &alert {
                tx.enqueue(mail, None, now)?;
            }
            tx.commit()
        })
        .await?;
    Ok(Step::Paused { until })
}

/// `smtp_error`'s text: which mail to whom, and the server's reply.
fn failure_note(row: &OutboxRow, reply: &str) -> String {
    format!("{} ke {}: {reply}", row.purpose, row.rcpt_to.join(", "))
}

/// Sends until the outbox is empty or only holds mail that is not yet due.
pub async fn drain(store: &SharedStore, transport: &Transport, clock: &dyn Clock) -> Result<usize> {
    let mut sent = 0;
    loop {
        match try_send_next(store, transport, clock.now()).await? {
            Step::Sent { .. } => sent += 1,
            Step::Failed { .. } => {}
            Step::Retry { .. } | Step::Paused { .. } | Step::Empty => return Ok(sent),
        }
    }
}

/// The worker loop: send what is due, then sleep until the next retry time, new mail
/// (`wake`), or shutdown. A database error is logged and retried, never fatal.
pub async fn run(
    store: SharedStore,
    transport: Transport,
    pipeline: Arc<Pipeline>,
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
        let now = clock.now();
        let pause = match send_next(&store, &transport, Some(&pipeline), now).await {
            Ok(Step::Sent { .. }) | Ok(Step::Failed { .. }) => {
                sent = true;
                continue;
            }
            Ok(Step::Paused { until }) => (until - now).to_std().unwrap_or_default().min(POLL),
            Ok(Step::Retry { .. }) | Ok(Step::Empty) => {
                if std::mem::take(&mut sent) {
                    store.release_memory().await;
                }
                match store.run(|s| s.next_attempt_at()).await {
                    // Mail due yet not claimed is held back by the daily budget: poll.
                    Ok(Some(at)) if at > now => (at - now).to_std().unwrap_or_default().min(POLL),
                    Ok(_) => POLL,
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
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
    }

    #[test]
    fn every_purpose_has_its_priority_and_the_sql_agrees() {
        let table = [
            ("health", Priority::Alert),
            ("outbox_alert", Priority::Alert),
            ("ack", Priority::Complainant),
            ("answer", Priority::Complainant),
            ("referred_notice", Priority::Complainant),
            ("referral", Priority::Complainant),
            ("reminder_review", Priority::Staff),
            ("reminder_answer", Priority::Staff),
            ("overdue_review", Priority::Staff),
            ("overdue_answer", Priority::Staff),
            ("ack_undelivered", Priority::Staff),
            ("digest", Priority::Staff),
            ("something_new", Priority::Staff),
        ];
        let dir = tempfile::tempdir().unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("rank.db")).unwrap();
        for (purpose, want) in table {
            assert_eq!(priority(purpose), want, "{purpose}");
            let rank: u8 = conn
                .query_row(
                    &format!("SELECT {} FROM (SELECT ?1 AS purpose)", priority_sql()),
                    [purpose],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(rank, want as u8, "{purpose} in SQL");
        }
    }

    #[test]
    fn a_short_budget_keeps_its_last_tenth_for_complainants() {
        // (limit, sent in 24 h) -> lowest priority that may go
        let table = [
            (450, 0, Some(Priority::Staff)),
            (450, 404, Some(Priority::Staff)),
            (450, 405, Some(Priority::Complainant)),
            (450, 449, Some(Priority::Complainant)),
            (450, 450, None),
            (450, 900, None),
            (2000, 1799, Some(Priority::Staff)),
            (2000, 1800, Some(Priority::Complainant)),
            (5, 4, Some(Priority::Staff)),
            (5, 5, None),
        ];
        for (limit, sent, want) in table {
            assert_eq!(admitted(limit, sent), want, "{limit} {sent}");
        }
    }

    #[test]
    fn the_gate_holds_during_a_pause_and_while_the_budget_is_spent() {
        let now = t(10, 0);
        let pause = |until| Pause {
            cause: PauseCause::DailyLimit,
            since: t(8, 0),
            until,
            strikes: 1,
            reply: String::new(),
        };
        // No budget (demo, directory outbox): everything goes.
        assert_eq!(gate(None, None, 10_000, None, now), Ok(Priority::Staff));
        assert_eq!(
            gate(Some(&pause(t(11, 0))), None, 0, None, now),
            Err(t(11, 0))
        );
        // A pause that has run out lets the next mail probe.
        assert_eq!(
            gate(Some(&pause(t(9, 0))), Some(450), 0, None, now),
            Ok(Priority::Staff)
        );
        assert_eq!(
            gate(None, Some(450), 420, Some(t(1, 0)), now),
            Ok(Priority::Complainant)
        );
        // Spent: wait until the oldest mail of the window leaves it.
        assert_eq!(
            gate(None, Some(450), 450, Some(t(1, 0)), now),
            Err(t(1, 0) + Duration::hours(24))
        );
    }

    #[test]
    fn pauses_grow_per_cause_and_one_episode_alerts_once() {
        let now = t(10, 0);
        let (first, new) = pause_after(None, PauseCause::DailyLimit, "550 5.4.5", now);
        assert!(new);
        assert_eq!(
            (first.since, first.until, first.strikes),
            (now, t(11, 0), 1)
        );
        let mut waits = vec![];
        let mut p = first.clone();
        for _ in 0..5 {
            let (next, new) = pause_after(Some(&p), PauseCause::DailyLimit, "550 5.4.5", p.until);
            assert!(!new, "the same episode alerts once");
            assert_eq!(next.since, now);
            waits.push((next.until - p.until).num_hours());
            p = next;
        }
        assert_eq!(waits, vec![2, 4, 8, 8, 8]);
        let (logins, new) = pause_after(Some(&p), PauseCause::TooManyLogins, "454 4.7.0", now);
        assert!(new);
        assert_eq!(logins.until - now, Duration::minutes(1));
        let mut waits = vec![];
        let mut p = logins;
        for _ in 0..8 {
            p = pause_after(Some(&p), PauseCause::TooManyLogins, "454 4.7.0", now).0;
            waits.push((p.until - now).num_minutes());
        }
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay(0), Duration::seconds(30));
        assert_eq!(retry_delay(1), Duration::seconds(60));
        assert_eq!(retry_delay(3), Duration::seconds(240));
        assert_eq!(retry_delay(7), Duration::seconds(3600));
        assert_eq!(retry_delay(u32::MAX), Duration::seconds(3600));
    }
}
