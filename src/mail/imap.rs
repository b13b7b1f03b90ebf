//! EDGE: the mailbox watcher. Connects (TLS, STARTTLS, or plain on loopback), logs in,
//! SELECTs the mailbox, fetches every message above the stored cursor with BODY.PEEK[]
//! (so \Seen stays as staff left it, RFC 3501 section 6.4.5), hands each to the pipeline in
//! UID order, then waits with IDLE (RFC 2177) or polls. Any failure ends the session; the
//! outer loop reconnects with capped exponential backoff, forever. Nothing is ever deleted
//! or expunged.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::{AttributeValue, Response, Status};
use async_imap::{Client, Session};
use chrono::{DateTime, NaiveDate, Utc};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::app::ingest::{Arrival, Outcome};
use crate::app::Pipeline;
use crate::clock::Clock;
use crate::config::{Imap, Login, Security};
use crate::mail::oauth;
use crate::mail::parse::InboundMessage;
use crate::store::health::keys::{IMAP_BUDGET, IMAP_LIMIT};
use crate::store::health::{DownloadHold, ImapHold, ImapLimit};
use crate::store::{Cursor, MailboxPosition, SharedStore};
use crate::workflow::health::hold_after;

/// Bytes fetched per UID FETCH at most (a fetched chunk is held whole in memory, and one
/// more is fetched while it is ingested).
const FETCH_CHUNK_BYTES: u64 = 8 * 1024 * 1024;
const FETCH_CHUNK_MESSAGES: usize = 200;
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// PURE: the wait before the next reconnect: doubling, capped at `BACKOFF_CAP`.
fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(BACKOFF_CAP)
}

/// How long Gmail keeps answering `[AUTHENTICATIONFAILED]` after refusing a connection for
/// too many simultaneous ones: a refusal in that time is the same limit, not a wrong password.
const CONNECTIONS_AFTERMATH: chrono::Duration = chrono::Duration::hours(1);

/// PURE: the account limit a failed IMAP session shows, from the server's response text
/// (Gmail's wording; the response codes are RFC 5530's, OVERQUOTA and AUTHENTICATIONFAILED
/// among them). `previous`: the limit last recorded, if no read succeeded since.
pub fn classify_failure(
    text: &str,
    previous: Option<&ImapHold>,
    now: DateTime<Utc>,
) -> Option<ImapLimit> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("overquota") || lower.contains("account exceeded command or bandwidth") {
        Some(ImapLimit::Bandwidth)
    } else if lower.contains("too many simultaneous connections")
        || (lower.contains("authenticationfailed")
            && previous.is_some_and(|p| {
                p.cause == ImapLimit::Connections && now - p.until < CONNECTIONS_AFTERMATH
            }))
    {
        Some(ImapLimit::Connections)
    } else {
        None
    }
}

/// PURE: first wait and cap for a limit: hours for the bandwidth (Gmail counts a day),
/// minutes for connections (they free as the other clients log out).
pub fn limit_waits(limit: ImapLimit) -> (chrono::Duration, chrono::Duration) {
    match limit {
        ImapLimit::Bandwidth => (chrono::Duration::hours(1), chrono::Duration::hours(6)),
        ImapLimit::Connections => (chrono::Duration::minutes(5), chrono::Duration::minutes(30)),
    }
}

/// The window the download budget counts over, like Gmail's own daily limit.
const DOWNLOAD_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// PURE: of `uids` (with RFC822.SIZE, ascending), the first ones that fit the download
/// budget: new mail may use all of `budget`, a backfill nine tenths (the last tenth is kept
/// for new complaints). A single message larger than the whole budget is taken when
/// nothing else was downloaded in the window, or it would wait forever.
pub fn within_budget(uids: &[(u32, u64)], budget: u64, used: u64, backfill: bool) -> usize {
    let mut left = budget_left(budget, used, backfill);
    let mut n = 0;
    for (_, size) in uids {
        if *size > left && !(n == 0 && used == 0) {
            break;
        }
        left = left.saturating_sub(*size);
        n += 1;
    }
    n
}

/// PURE: bytes that may still be downloaded (see [`within_budget`]).
pub fn budget_left(budget: u64, used: u64, backfill: bool) -> u64 {
    let cap = if backfill { budget / 10 * 9 } else { budget };
    cap.saturating_sub(used)
}

/// A `--backfill-since` in progress (`health` key `backfill`): mail since `since` in
/// `uidvalidity`, stored up to `done_through`. Kept across restarts, so a backfill stopped
/// by the download budget continues the next day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Backfill {
    since: NaiveDate,
    uidvalidity: u32,
    done_through: u32,
}

const BACKFILL: &str = "backfill";

/// A fetched message could not be stored (disk full, database trouble). The cursor did
/// not move past it, so it stays in the mailbox and is read again after the backoff.
#[derive(Debug)]
struct CannotStore {
    uid: u32,
}

impl std::fmt::Display for CannotStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot store message UID {}; it stays in the mailbox and is read again",
            self.uid
        )
    }
}

pub trait ImapIo: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> ImapIo for T {}
type ImapSession = Session<Box<dyn ImapIo>>;

pub struct Watcher {
    pub config: Imap,
    pub pipeline: Arc<Pipeline>,
    pub store: SharedStore,
    pub clock: Arc<dyn Clock>,
    /// Woken whenever an acknowledgement was queued, so the outbox sends at once.
    pub outbox_wake: Arc<Notify>,
    pub backfill_since: Option<NaiveDate>,
}

impl Watcher {
    /// Runs until shutdown. Never returns an error: every failure is logged, recorded for
    /// `check`, and followed by a reconnect after a backoff of 1 s doubling to 60 s; a
    /// session that read the mailbox resets the backoff, so the next outage starts at 1 s.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = BACKOFF_START;
        let mut backfill = self.backfill_since;
        // A failure that could not be written to the database (disk full) is written
        // as soon as the database takes writes again, so `check` still shows it.
        let mut unrecorded: Option<(String, DateTime<Utc>)> = None;
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Some((msg, at)) = unrecorded.take() {
                // Still failing: the next failure of this session replaces it anyway.
                let _ = self.record_error(msg, at).await;
            }
            match self
                .session(&mut shutdown, &mut backfill, &mut backoff)
                .await
            {
                Ok(()) => return, // clean shutdown
                Err(e) => {
                    let msg = format!("{e:#}");
                    let now = self.clock.now();
                    if let Some(wait) = self.held_by_server(&msg, now).await {
                        unrecorded = self.record_error(msg, now).await;
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = shutdown.changed() => return,
                        }
                        continue;
                    }
                    if e.downcast_ref::<CannotStore>().is_some() {
                        tracing::error!(retry_in = ?backoff, "incoming mail not stored, will retry: {msg}");
                    } else {
                        tracing::warn!(retry_in = ?backoff, "mailbox connection failed: {msg}");
                    }
                    unrecorded = self.record_error(msg, now).await;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return,
            }
            backoff = next_backoff(backoff);
        }
    }

    /// When the failure is the server limiting the account (Gmail's bandwidth or
    /// connection limit), records the limit for `check`, the digest and the mailbox alert,
    /// and gives the wait before the next try. `None`: an ordinary failure.
    async fn held_by_server(&self, msg: &str, now: DateTime<Utc>) -> Option<Duration> {
        let previous: Option<ImapHold> = self
            .store
            .run(|s| s.health_fact(IMAP_LIMIT))
            .await
            .ok()
            .flatten();
        let cause = classify_failure(msg, previous.as_ref(), now)?;
        let (hold, _) = hold_after(previous.as_ref(), cause, msg, now, limit_waits(cause));
        let wait = (hold.until - now).to_std().unwrap_or(BACKOFF_CAP);
        tracing::error!(retry_in = ?wait, ?cause, "mailbox limited by the server (not a wrong password), will retry: {msg}");
        if let Err(e) = self
            .store
            .run(move |s| s.set_health_fact(IMAP_LIMIT, Some(&hold), now))
            .await
        {
            tracing::warn!("cannot record the mailbox limit for `check`: {e:#}");
        }
        Some(wait)
    }

    /// Records the last mailbox failure for `check`; gives it back when that fails too.
    async fn record_error(
        &self,
        msg: String,
        at: DateTime<Utc>,
    ) -> Option<(String, DateTime<Utc>)> {
        let value = msg.clone();
        match self
            .store
            .run(move |s| s.set_health("imap_error", &value, at))
            .await
        {
            Ok(()) => None,
            Err(e) => {
                tracing::warn!("cannot record the mailbox failure for `check`: {e:#}");
                Some((msg, at))
            }
        }
    }

    async fn session(
        &self,
        shutdown: &mut watch::Receiver<bool>,
        backfill: &mut Option<NaiveDate>,
        backoff: &mut Duration,
    ) -> Result<()> {
        let mut session = connect(&self.config).await?;
        let mailbox = self.config.mailbox.clone();
        let selected = timed(session.select(&mailbox))
            .await
            .with_context(|| format!("cannot select mailbox {mailbox}"))?;
        let uidvalidity = selected
            .uid_validity
            .ok_or_else(|| anyhow!("server sent no UIDVALIDITY for {mailbox}"))?;
        let idle = timed(session.capabilities()).await?.has_str("IDLE");
        tracing::info!(mailbox = %mailbox, uidvalidity, idle, "mailbox selected");

        self.settle_cursor(&mut session, uidvalidity, selected.uid_next)
            .await?;
        if let Some(since) = backfill.take() {
            tracing::info!(%since, "backfill: registering mail since the given date");
            let b = Backfill {
                since,
                uidvalidity,
                done_through: 0,
            };
            let now = self.clock.now();
            self.store
                .run(move |s| s.set_health_fact(BACKFILL, Some(&b), now))
                .await?;
        }

        loop {
            let last = self
                .current_cursor()
                .await?
                .map(|c| c.last_uid)
                .unwrap_or(0);
            let uids = new_uids(&mut session, last).await?;
            let (fetch, new_waiting) = self.budgeted(uids, false).await?;
            self.fetch_and_ingest(&mut session, uidvalidity, fetch, false, shutdown)
                .await?;
            let backfill_waiting = self
                .backfill_step(&mut session, uidvalidity, last, shutdown)
                .await?;
            self.record_download_hold(new_waiting, backfill_waiting)
                .await?;
            let now = self.clock.now();
            self.store
                .run(move |s| {
                    s.set_health("imap_ok", "", now)?;
                    s.set_health_fact::<ImapHold>(IMAP_LIMIT, None, now)
                })
                .await?;
            *backoff = BACKOFF_START;
            if *shutdown.borrow() {
                let _ = timed(session.logout()).await;
                return Ok(());
            }
            if idle {
                let mut handle = session.idle();
                timed(handle.init()).await.context("IDLE refused")?;
                let (wait, stop) =
                    handle.wait_with_timeout(Duration::from_secs(self.config.idle_refresh_secs));
                let outcome = tokio::select! {
                    r = wait => Some(r),
                    _ = shutdown.changed() => None,
                };
                drop(stop);
                match outcome {
                    Some(Ok(IdleResponse::NewData(_))) => tracing::debug!("IDLE: mailbox changed"),
                    Some(Ok(IdleResponse::Timeout)) => tracing::debug!("IDLE: refresh"),
                    Some(Ok(IdleResponse::ManualInterrupt)) | None => {}
                    Some(Err(e)) => return Err(e).context("connection lost during IDLE"),
                }
                session = timed(handle.done()).await.context("cannot end IDLE")?;
            } else {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(self.config.poll_secs)) => {}
                    _ = shutdown.changed() => {}
                }
                timed(session.noop()).await?;
            }
        }
    }

    /// Splits `uids` into what the download budget lets through now and how many wait.
    async fn budgeted(
        &self,
        mut uids: Vec<(u32, u64)>,
        backfill: bool,
    ) -> Result<(Vec<(u32, u64)>, usize)> {
        if uids.is_empty() {
            return Ok((uids, 0));
        }
        let used = self.downloaded().await?;
        let n = within_budget(&uids, self.config.daily_download_bytes, used, backfill);
        let waiting = uids.len() - n;
        uids.truncate(n);
        Ok((uids, waiting))
    }

    /// Bytes downloaded in the budget's window.
    async fn downloaded(&self) -> Result<u64> {
        let since = self.clock.now() - DOWNLOAD_WINDOW;
        Ok(self.store.run(move |s| s.downloaded_since(since)).await?.0)
    }

    /// One round of a pending backfill, below the cursor (above it is new mail), as far as
    /// the budget lets it; records how far it got. Gives whether messages still wait.
    async fn backfill_step(
        &self,
        session: &mut ImapSession,
        uidvalidity: u32,
        cursor: u32,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<bool> {
        let Some(mut b) = self
            .store
            .run(|s| s.health_fact::<Backfill>(BACKFILL))
            .await?
        else {
            return Ok(false);
        };
        if b.uidvalidity != uidvalidity {
            // The old UIDs mean nothing: search the whole range again (duplicates are
            // recognised by Message-ID).
            b.uidvalidity = uidvalidity;
            b.done_through = 0;
        }
        // Nothing may be downloaded: do not even search (Gmail counts commands too).
        if budget_left(
            self.config.daily_download_bytes,
            self.downloaded().await?,
            true,
        ) == 0
        {
            return Ok(true);
        }
        let mut uids = search_since(session, b.since).await?;
        uids.retain(|(uid, _)| *uid > b.done_through && *uid <= cursor);
        let (fetch, waiting) = self.budgeted(uids, true).await?;
        let through = fetch.last().map(|(uid, _)| *uid);
        self.fetch_and_ingest(session, uidvalidity, fetch, true, shutdown)
            .await?;
        if *shutdown.borrow() {
            // Stopped between chunks: what was stored is recognised next time.
            return Ok(true);
        }
        let now = self.clock.now();
        if waiting == 0 {
            tracing::info!(since = %b.since, "backfill: complete");
            self.store
                .run(move |s| s.set_health_fact::<Backfill>(BACKFILL, None, now))
                .await?;
        } else if let Some(through) = through {
            b.done_through = through;
            tracing::info!(since = %b.since, through, waiting, "backfill: stored up to this UID");
            self.store
                .run(move |s| s.set_health_fact(BACKFILL, Some(&b), now))
                .await?;
        }
        Ok(waiting > 0)
    }

    /// Records (or clears) that mail waits for the download budget, and when it frees.
    async fn record_download_hold(&self, new: usize, backfill: bool) -> Result<()> {
        let now = self.clock.now();
        let since = now - DOWNLOAD_WINDOW;
        let budget_mb = self.config.daily_download_bytes / (1024 * 1024);
        self.store
            .run(move |s| {
                let hold = if new == 0 && !backfill {
                    None
                } else {
                    let (used, first) = s.downloaded_since(since)?;
                    let until = first.map_or(now, |h| h + DOWNLOAD_WINDOW);
                    let known: Option<DownloadHold> = s.health_fact(IMAP_BUDGET)?;
                    if known.is_none() {
                        tracing::warn!(used_mb = used / (1024 * 1024), budget_mb, new, backfill, %until, "download budget spent: fetching stops here and continues when the budget frees");
                    }
                    Some(DownloadHold {
                        until,
                        backfill,
                        new,
                    })
                };
                s.set_health_fact(IMAP_BUDGET, hold.as_ref(), now)
            })
            .await
    }

    async fn current_cursor(&self) -> Result<Option<Cursor>> {
        let mailbox = self.config.mailbox.clone();
        self.store.run(move |s| s.cursor(&mailbox)).await
    }

    /// First start: begin at the mailbox's current end (the history is not answered).
    /// UIDVALIDITY changed: the old UIDs mean nothing, so search again from shortly before
    /// the newest stored arrival; duplicates are recognised by Message-ID.
    async fn settle_cursor(
        &self,
        session: &mut ImapSession,
        uidvalidity: u32,
        uid_next: Option<u32>,
    ) -> Result<()> {
        let stored = self.current_cursor().await?;
        let new_cursor = match stored {
            Some(c) if c.uidvalidity == uidvalidity => return Ok(()),
            None => {
                let end = match uid_next {
                    Some(n) => n.saturating_sub(1),
                    None => highest_uid(session).await?,
                };
                tracing::info!(last_uid = end, "first start: registering only mail that arrives from now on (use --backfill-since DATE for older mail)");
                Cursor {
                    uidvalidity,
                    last_uid: end,
                }
            }
            Some(old) => {
                let mailbox = self.config.mailbox.clone();
                let latest = self.store.run(move |s| s.latest_received(&mailbox)).await?;
                let since = latest.unwrap_or_else(|| self.clock.now()) - chrono::Duration::days(2);
                let uids = search_since(session, since.date_naive()).await?;
                let start = uids
                    .first()
                    .map(|(u, _)| u - 1)
                    .unwrap_or_else(|| uid_next.unwrap_or(1).saturating_sub(1));
                tracing::warn!(old = old.uidvalidity, new = uidvalidity, resume_after_uid = start, "UIDVALIDITY changed: re-reading recent mail, duplicates are skipped by Message-ID");
                Cursor {
                    uidvalidity,
                    last_uid: start,
                }
            }
        };
        let mailbox = self.config.mailbox.clone();
        let now = self.clock.now();
        self.store
            .run(move |s| s.reset_cursor(&mailbox, new_cursor, now))
            .await
    }

    /// Fetches `uids` (ascending) in bounded chunks and ingests each in UID order, so the
    /// cursor, which only moves forward, never passes a message that is not stored.
    /// Three chunks are in hand at most: while one is fetched, the one before is parsed
    /// on a thread of its own, and the one before that is stored, each chunk in one
    /// transaction and in order. Stops between chunks on shutdown, and on a fetch failure
    /// once what was fetched is stored; the rest is fetched after the next start.
    async fn fetch_and_ingest(
        &self,
        session: &mut ImapSession,
        uidvalidity: u32,
        uids: Vec<(u32, u64)>,
        historical: bool,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<()> {
        let mut parsing: Option<JoinHandle<Vec<Parsed>>> = None;
        let mut storing: Option<JoinHandle<Result<usize>>> = None;
        let mut failed = None;
        for chunk in chunks(&uids) {
            if *shutdown.borrow() {
                break;
            }
            let started = std::time::Instant::now();
            let fetched = self.fetch_chunk(session, chunk).await;
            tracing::debug!(
                messages = chunk.len(),
                ms = started.elapsed().as_millis() as u64,
                "chunk fetched"
            );
            if let Some(parsed) = parsing.take() {
                storing = Some(
                    self.store_next(parsed, storing.take(), uidvalidity, historical)
                        .await?,
                );
            }
            match fetched {
                Ok(items) => parsing = Some(self.spawn_parse(items)),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        // No ingest outlives its session: what is in hand is stored before returning.
        if let Some(parsed) = parsing {
            storing = Some(
                self.store_next(parsed, storing, uidvalidity, historical)
                    .await?,
            );
        }
        if let Some(last) = storing {
            self.ingested(last).await?;
            // The chunks are freed now; hand their pages back before waiting idle.
            self.store.release_memory().await;
        }
        failed.map_or(Ok(()), Err)
    }

    /// One `UID FETCH` of a chunk: (uid, arrival time, raw message), in UID order.
    async fn fetch_chunk(
        &self,
        session: &mut ImapSession,
        chunk: &[(u32, u64)],
    ) -> Result<Vec<(u32, DateTime<Utc>, Vec<u8>)>> {
        let set = chunk
            .iter()
            .map(|(u, _)| u.to_string())
            .collect::<Vec<_>>()
            .join(",");
        // Each response is copied out and dropped as it arrives, so a chunk is held once,
        // not twice (the FETCH responses and the copies).
        let mut items: Vec<(u32, DateTime<Utc>, Vec<u8>)> = Vec::with_capacity(chunk.len());
        tokio::time::timeout(
            COMMAND_TIMEOUT * 5,
            uid_fetch_each(session, &set, "(UID INTERNALDATE BODY.PEEK[])", |attrs| {
                if let Some((uid, at, body)) = fetched_item(attrs) {
                    items.push((uid, at.unwrap_or_else(|| self.clock.now()), body));
                }
            }),
        )
        .await
        .map_err(|_| anyhow!("UID FETCH timed out"))??;
        items.sort_by_key(|(uid, _, _)| *uid);
        // Counted as announced (RFC822.SIZE), the figure Gmail's limit is stated in.
        let bytes: u64 = chunk.iter().map(|(_, size)| size).sum();
        // A count that cannot be written (a full disk) must not stop the mail itself,
        // which is stored (or its failure reported) next.
        let now = self.clock.now();
        if let Err(e) = self.store.run(move |s| s.add_download(bytes, now)).await {
            tracing::warn!("cannot count the downloaded bytes for the daily budget: {e:#}");
        }
        Ok(items)
    }

    /// Parses a fetched chunk on a blocking thread, away from the database's.
    fn spawn_parse(&self, items: Vec<(u32, DateTime<Utc>, Vec<u8>)>) -> JoinHandle<Vec<Parsed>> {
        let pipeline = self.pipeline.clone();
        tokio::task::spawn_blocking(move || {
            items
                .into_iter()
                .map(|(uid, received_at, raw)| {
                    let message = pipeline.parse(&raw);
                    Parsed {
                        uid,
                        received_at,
                        raw,
                        message,
                    }
                })
                .collect()
        })
    }

    /// Hands a parsed chunk to the database once the chunk before it is stored.
    async fn store_next(
        &self,
        parsing: JoinHandle<Vec<Parsed>>,
        previous: Option<JoinHandle<Result<usize>>>,
        uidvalidity: u32,
        historical: bool,
    ) -> Result<JoinHandle<Result<usize>>> {
        let parsed = parsing.await.context("parse task ended unexpectedly")?;
        if let Some(previous) = previous {
            self.ingested(previous).await?;
        }
        Ok(self.spawn_store(parsed, uidvalidity, historical))
    }

    /// Stores one parsed chunk on the database thread, in one transaction
    /// ([`Pipeline::ingest_together`]); gives the number of acknowledgements queued.
    fn spawn_store(
        &self,
        chunk: Vec<Parsed>,
        uidvalidity: u32,
        historical: bool,
    ) -> JoinHandle<Result<usize>> {
        let pipeline = self.pipeline.clone();
        let clock = self.clock.clone();
        let mailbox = self.config.mailbox.clone();
        let store = self.store.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let r = store
                .run(move |s| {
                    let arrivals: Vec<(Arrival, &InboundMessage)> = chunk
                        .iter()
                        .map(|p| {
                            let arrival = Arrival {
                                raw: &p.raw,
                                position: MailboxPosition {
                                    mailbox: Some(mailbox.clone()),
                                    uidvalidity: Some(uidvalidity),
                                    uid: Some(p.uid),
                                },
                                received_at: p.received_at,
                                historical,
                            };
                            (arrival, &p.message)
                        })
                        .collect();
                    let outcomes = pipeline
                        .ingest_in_order(s, &arrivals, clock.now())
                        .map_err(|(i, e)| e.context(CannotStore { uid: chunk[i].uid }))?;
                    Ok(outcomes
                        .iter()
                        .filter(|o| {
                            matches!(
                                o,
                                Outcome::New {
                                    ack_queued: true,
                                    ..
                                }
                            )
                        })
                        .count())
                })
                .await;
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "chunk stored");
            r
        })
    }

    /// Waits for an ingest task and wakes the outbox if it queued acknowledgements.
    async fn ingested(&self, task: JoinHandle<Result<usize>>) -> Result<()> {
        let queued = task.await.context("ingest task ended unexpectedly")??;
        if queued > 0 {
            self.outbox_wake.notify_one();
        }
        Ok(())
    }
}

/// UID, INTERNALDATE and the whole message of one FETCH response, copied out of it.
fn fetched_item(attrs: &[AttributeValue<'_>]) -> Option<(u32, Option<DateTime<Utc>>, Vec<u8>)> {
    let mut uid = None;
    let mut at = None;
    let mut body = None;
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => uid = Some(*u),
            AttributeValue::InternalDate(d) => {
                // RFC 3501 date-time: "01-Dec-2026 09:15:00 +0700".
                at = DateTime::parse_from_str(d, "%d-%b-%Y %H:%M:%S %z")
                    .ok()
                    .map(|d| d.with_timezone(&Utc));
            }
            AttributeValue::BodySection {
                section: None,
                data: Some(b),
                ..
            }
            | AttributeValue::Rfc822(Some(b)) => body = Some(b.to_vec()),
            _ => {}
        }
    }
    Some((uid?, at, body?))
}

/// A fetched message, parsed ahead of its transaction.
struct Parsed {
    uid: u32,
    received_at: DateTime<Utc>,
    raw: Vec<u8>,
    message: InboundMessage,
}

/// Groups UIDs so that one FETCH stays under a byte and a count budget.
fn chunks(uids: &[(u32, u64)]) -> Vec<&[(u32, u64)]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (i, (_, size)) in uids.iter().enumerate() {
        if i > start && (bytes + size > FETCH_CHUNK_BYTES || i - start >= FETCH_CHUNK_MESSAGES) {
            out.push(&uids[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < uids.len() {
        out.push(&uids[start..]);
    }
    out
}

/// UIDs above `last`, with sizes, ascending. `UID FETCH n:*` always returns the highest
/// message even when its UID is below n (RFC 3501 section 6.4.8), so filter ourselves.
async fn new_uids(session: &mut ImapSession, last: u32) -> Result<Vec<(u32, u64)>> {
    let range = format!("{}:*", last.saturating_add(1));
    let mut uids = uid_sizes(session, &range)
        .await
        .context("cannot list new messages")?;
    uids.retain(|(uid, _)| *uid > last);
    Ok(uids)
}

async fn search_since(session: &mut ImapSession, since: NaiveDate) -> Result<Vec<(u32, u64)>> {
    // RFC 3501 date: 1-Jan-2026 (English month abbreviations, whatever the locale).
    let query = format!("SINCE {}", since.format("%-d-%b-%Y"));
    let found = timed(session.uid_search(&query))
        .await
        .context("UID SEARCH failed")?;
    let mut uids: Vec<u32> = found.into_iter().collect();
    uids.sort_unstable();
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    uid_sizes(session, &set).await
}

/// UIDs and sizes of the messages in `set`, ascending, without repeats. Each FETCH response
/// is reduced to its two numbers as it arrives: holding the 10,000 responses of a backlog
/// at once left ~40 MB of freed heap in the process for the whole ingest.
async fn uid_sizes(session: &mut ImapSession, set: &str) -> Result<Vec<(u32, u64)>> {
    let mut out: Vec<(u32, u64)> = Vec::new();
    uid_fetch_each(session, set, "(UID RFC822.SIZE)", |attrs| {
        let uid = attrs.iter().find_map(|a| match a {
            AttributeValue::Uid(u) => Some(*u),
            _ => None,
        });
        let size = attrs.iter().find_map(|a| match a {
            AttributeValue::Rfc822Size(n) => Some(u64::from(*n)),
            _ => None,
        });
        if let Some(uid) = uid {
            out.push((uid, size.unwrap_or(0)));
        }
    })
    .await?;
    out.sort_unstable();
    out.dedup_by_key(|(u, _)| *u);
    Ok(out)
}

/// Runs `UID FETCH set items`, handing each FETCH response's attributes to `each` as it
/// arrives. Run by hand rather than with async-imap's `uid_fetch`, whose stream ends at the
/// tagged reply without looking at it: a `NO` (Gmail's `[OVERQUOTA]`) would read as "no
/// messages", the mailbox would look read, and the same mail would be asked for again and
/// again, silently. Here a tagged NO or BAD is an error with the server's text.
async fn uid_fetch_each(
    session: &mut ImapSession,
    set: &str,
    items: &str,
    mut each: impl FnMut(&[AttributeValue<'_>]),
) -> Result<()> {
    let tag = timed(session.run_command(format!("UID FETCH {set} {items}"))).await?;
    loop {
        let response = timed(session.read_response())
            .await?
            .ok_or_else(|| anyhow!("the server closed the connection during UID FETCH"))?;
        match response.parsed() {
            Response::Fetch(_, attrs) => each(attrs),
            Response::Done {
                tag: done,
                status,
                outcome,
            } if *done == tag => {
                if *status != Status::Ok {
                    anyhow::bail!(
                        "UID FETCH refused: {status:?} code: {:?}, info: {:?}",
                        outcome.code,
                        outcome.information
                    );
                }
                return Ok(());
            }
            // Unsolicited (EXISTS, FLAGS …): the next round sees what changed.
            _ => {}
        }
    }
}

async fn highest_uid(session: &mut ImapSession) -> Result<u32> {
    let mut highest = 0;
    uid_fetch_each(session, "*", "(UID)", |attrs| {
        for a in attrs {
            if let AttributeValue::Uid(u) = a {
                highest = highest.max(*u);
            }
        }
    })
    .await?;
    Ok(highest)
}

/// async-imap has no timeouts of its own: a silent server would hang us forever.
async fn timed<T, E>(fut: impl std::future::Future<Output = std::result::Result<T, E>>) -> Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(COMMAND_TIMEOUT, fut).await {
        Ok(r) => r.map_err(anyhow::Error::from),
        Err(_) => Err(anyhow!(
            "IMAP server did not answer within {} s",
            COMMAND_TIMEOUT.as_secs()
        )),
    }
}

/// Connects and logs in. The password goes only to the server, never into an error.
pub async fn connect(cfg: &Imap) -> Result<ImapSession> {
    let addr = (cfg.host.as_str(), cfg.port);
    let tcp = tokio::time::timeout(COMMAND_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| anyhow!("connecting to {}:{} timed out", cfg.host, cfg.port))?
        .with_context(|| format!("cannot connect to {}:{}", cfg.host, cfg.port))?;
    tcp.set_nodelay(true).ok();
    let stream: Box<dyn ImapIo> = match cfg.security {
        Security::Tls => Box::new(tls_wrap(cfg, tcp).await?),
        Security::Plain => Box::new(tcp),
        Security::Starttls => {
            // RFC 3501 section 6.2.1: greeting, STARTTLS, then a fresh TLS session; no
            // greeting follows the handshake.
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            timed(client.run_command_and_check_ok("STARTTLS", None))
                .await
                .context("server refused STARTTLS")?;
            Box::new(tls_wrap(cfg, client.into_inner()).await?)
        }
    };
    let mut client = Client::new(stream);
    if cfg.security != Security::Starttls {
        greeting(&mut client).await?;
    }
    let login = match &cfg.login {
        Login::Password(source) => {
            let password = source.read()?;
            tokio::time::timeout(
                COMMAND_TIMEOUT,
                client.login(&cfg.username, password.expose()),
            )
            .await
        }
        Login::XOAuth2(o) => {
            let token = oauth::access_token(o, chrono::Utc::now()).await?;
            let auth = oauth::XOAuth2Authenticator::new(&cfg.username, &token);
            let r =
                tokio::time::timeout(COMMAND_TIMEOUT, client.authenticate("XOAUTH2", auth)).await;
            if !matches!(r, Ok(Ok(_))) {
                // A refused token is fetched anew on the next connection.
                oauth::forget(o);
            }
            r
        }
    };
    let session = login
        .map_err(|_| anyhow!("IMAP login timed out"))?
        .map_err(|(e, _)| anyhow!("IMAP login as {} refused: {e}", cfg.username))?;
    Ok(session)
}

async fn greeting<T: AsyncRead + AsyncWrite + Unpin + Send + Debug>(
    client: &mut Client<T>,
) -> Result<()> {
    match tokio::time::timeout(COMMAND_TIMEOUT, client.read_response()).await {
        Ok(Ok(Some(_))) => Ok(()),
        Ok(Ok(None)) => Err(anyhow!("server closed the connection before its greeting")),
        Ok(Err(e)) => Err(e).context("cannot read the server greeting"),
        Err(_) => Err(anyhow!("no greeting from the IMAP server")),
    }
}

async fn tls_wrap(
    cfg: &Imap,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let connector = tls_connector(cfg.ca_file.as_deref())?;
    let name = ServerName::try_from(cfg.host.clone())
        .with_context(|| format!("{} is not a valid TLS server name", cfg.host))?;
    tokio::time::timeout(COMMAND_TIMEOUT, connector.connect(name, tcp))
        .await
        .map_err(|_| anyhow!("TLS handshake with {} timed out", cfg.host))?
        .with_context(|| {
            format!(
                "TLS handshake with {} failed (certificate not trusted?)",
                cfg.host
            )
        })
}

/// Certificate verification is always on: public roots plus an optional extra CA.
pub fn tls_connector(ca_file: Option<&std::path::Path>) -> Result<tokio_rustls::TlsConnector> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path)
            .with_context(|| format!("cannot read CA file {}", path.display()))?
        {
            let cert =
                cert.with_context(|| format!("{} is not a PEM certificate file", path.display()))?;
            roots
                .add(cert)
                .with_context(|| format!("certificate in {} cannot be used", path.display()))?;
            added += 1;
        }
        if added == 0 {
            anyhow::bail!("{} holds no certificate", path.display());
        }
    }
    // One crypto provider, named explicitly: two linked providers make the default panic.
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS setup")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten minutes of a dead server: the waits double from 1 s, stop growing at 60 s, and
    /// the watcher keeps trying (no give-up) about once a minute.
    #[test]
    fn reconnect_backoff_caps_at_a_minute_over_a_ten_minute_outage() {
        let mut waits = Vec::new();
        let mut wait = BACKOFF_START;
        let mut elapsed = Duration::ZERO;
        while elapsed < Duration::from_secs(600) {
            waits.push(wait.as_secs());
            elapsed += wait;
            wait = next_backoff(wait);
        }
        assert_eq!(
            waits,
            vec![1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60, 60, 60]
        );
        assert_eq!(next_backoff(Duration::from_secs(60)), BACKOFF_CAP);
        assert_eq!(next_backoff(Duration::from_secs(3600)), BACKOFF_CAP);
    }

    /// Gmail's replies as async-imap reports them, and look-alikes that are not limits.
    #[test]
    fn gmail_limits_are_recognised_by_their_response_text() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        let connections = |until| ImapHold {
            cause: ImapLimit::Connections,
            since: now - chrono::Duration::minutes(10),
            until,
            strikes: 1,
            reply: String::new(),
        };
        let recent = connections(now - chrono::Duration::minutes(1));
        let old = connections(now - chrono::Duration::hours(2));
        let bandwidth = ImapHold {
            cause: ImapLimit::Bandwidth,
            ..recent.clone()
        };
        let cases: &[(&str, Option<&ImapHold>, Option<ImapLimit>)] = &[
            ("UID FETCH: No Response: [OVERQUOTA] Account exceeded command or bandwidth limits. (Failure)", None, Some(ImapLimit::Bandwidth)),
            ("IMAP login as a@gmail.com refused: No Response: [ALERT] Account exceeded command or bandwidth limits. (Failure)", None, Some(ImapLimit::Bandwidth)),
            ("IMAP login as a@gmail.com refused: No Response: [ALERT] Too many simultaneous connections. (Failure)", None, Some(ImapLimit::Connections)),
            // Right after the connection limit, Gmail's "wrong password" is the same limit ...
            ("IMAP login as a@gmail.com refused: No Response: [AUTHENTICATIONFAILED] Invalid credentials (Failure)", Some(&recent), Some(ImapLimit::Connections)),
            // ... but not long after it, nor after another limit, nor on its own.
            ("IMAP login as a@gmail.com refused: No Response: [AUTHENTICATIONFAILED] Invalid credentials (Failure)", Some(&old), None),
            ("IMAP login as a@gmail.com refused: No Response: [AUTHENTICATIONFAILED] Invalid credentials (Failure)", Some(&bandwidth), None),
            ("IMAP login as a@gmail.com refused: No Response: [AUTHENTICATIONFAILED] Invalid credentials (Failure)", None, None),
            ("cannot connect to imap.gmail.com:993: Connection refused (os error 111)", None, None),
            ("IMAP server did not answer within 120 s", Some(&recent), None),
        ];
        for (text, previous, want) in cases {
            assert_eq!(classify_failure(text, *previous, now), *want, "{text}");
        }
        assert_eq!(
            limit_waits(ImapLimit::Bandwidth),
            (chrono::Duration::hours(1), chrono::Duration::hours(6))
        );
        assert_eq!(
            limit_waits(ImapLimit::Connections),
            (chrono::Duration::minutes(5), chrono::Duration::minutes(30))
        );
    }

    #[test]
    fn the_download_budget_lets_a_prefix_through() {
        let mb = 1024 * 1024;
        let uids: Vec<(u32, u64)> = (1..=5).map(|u| (u, 300 * 1024)).collect();
        // (budget, used, backfill) -> messages taken
        let cases = [
            (mb, 0, false, 3),
            (mb, 0, true, 3),
            (mb, 200 * 1024, true, 2), // 90 % of 1 MB = 921.6 KB, minus 200 KB
            (mb, 950 * 1024, true, 0), // the last tenth is for new mail only
            (mb, 950 * 1024, false, 0),
            (mb, 700 * 1024, false, 1),
            (10 * mb, 0, true, 5),
            (mb, mb * 2, false, 0),
        ];
        for (budget, used, backfill, want) in cases {
            assert_eq!(
                within_budget(&uids, budget, used, backfill),
                want,
                "{budget} {used} {backfill}"
            );
        }
        // One message larger than the whole budget goes when nothing else was downloaded.
        assert_eq!(within_budget(&[(1, 5 * mb), (2, 1)], mb, 0, false), 1);
        assert_eq!(within_budget(&[(1, 5 * mb)], mb, 1, false), 0);
        assert_eq!(within_budget(&[], mb, 0, true), 0);
    }

    #[test]
    fn chunks_respect_budgets() {
        let small: Vec<(u32, u64)> = (1..=450).map(|u| (u, 1000)).collect();
        let c = chunks(&small);
        assert_eq!(
            c.iter().map(|c| c.len()).collect::<Vec<_>>(),
            vec![200, 200, 50]
        );
        let big = vec![
            (1, FETCH_CHUNK_BYTES),
            (2, 10),
            (3, FETCH_CHUNK_BYTES * 2),
            (4, 1),
        ];
        let c = chunks(&big);
        assert_eq!(
            c.iter().map(|c| c.len()).collect::<Vec<_>>(),
            vec![1, 1, 1, 1]
        );
        assert!(chunks(&[]).is_empty());
    }
}
