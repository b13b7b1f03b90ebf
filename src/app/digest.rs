//! The daily digest as a use case: read what the pure `reports::digest::build` needs from
//! the store, render it from `templates/mail/digest.*`, and queue it once per WIB day.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::Pipeline;
use crate::mail::compose::{self, MailSpec, PuskesmasView, Recipient};
use crate::reports::digest::{build, digest_since, idem_key, unregistered, Digest, SystemView};
use crate::store::Store;
use crate::workflow::health::Thresholds;

/// What the digest templates see: the digest's fields plus `puskesmas`.
#[derive(Serialize)]
struct DigestContext<'a> {
    puskesmas: PuskesmasView,
    #[serde(flatten)]
    digest: &'a Digest,
}

/// The digest rendered: subject line, text part, HTML part.
#[derive(Debug, Clone)]
pub struct RenderedDigest {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Pipeline {
    /// The digest as it would go out now (reads the store, decides nothing).
    pub fn digest(&self, store: &Store, now: DateTime<Utc>) -> Result<Digest> {
        let since = store.last_digest()?;
        let from = digest_since(since, now);
        let cases = store.digest_cases(from)?;
        let mut digest = build(now, since, &cases, &self.calendar);
        digest.system = SystemView::of(&store.system_state()?, &Thresholds::of(&self.config), now);
        digest.flagged = unregistered(store.flagged_since(from)?);
        digest.machine = store.machine_count_since(from)?;
        Ok(digest)
    }

    /// Renders the three digest templates (for `digest --dry-run` and the tests).
    pub fn render_digest(&self, digest: &Digest) -> Result<RenderedDigest> {
        let ctx = self.digest_context(digest);
        let t = &self.templates;
        Ok(RenderedDigest {
            subject: t.render("mail/digest.subject.txt", &ctx)?,
            text: t.render("mail/digest.txt", &ctx)?,
            html: t.render("mail/digest.html", &ctx)?,
        })
    }

    fn digest_context<'a>(&self, digest: &'a Digest) -> DigestContext<'a> {
        DigestContext {
            puskesmas: (&self.config.puskesmas).into(),
            digest,
        }
    }

    /// Queues today's digest to `recipients.tim_pengaduan` and records its time, in one
    /// transaction. Returns the idempotency key, or `None` when today's digest was queued
    /// already (nothing is written then).
    pub fn queue_digest(&self, store: &mut Store, now: DateTime<Utc>) -> Result<Option<String>> {
        let team = &self.config.recipients.tim_pengaduan;
        anyhow::ensure!(
            !team.is_empty(),
            "recipients.tim_pengaduan kosong: ringkasan harian tidak punya penerima; isi \
             recipients.tim_pengaduan di konfigurasi dengan alamat surel tim pengaduan \
             (recipients.tim_pengaduan is empty: add the team's addresses to the config)"
        );
        let key = idem_key(now);
        let tx = store.transaction()?;
        if tx.outbox_has(&key)? {
            return Ok(None);
        }
        let since = tx.last_digest()?;
        let from = digest_since(since, now);
        let cases = tx.digest_cases(from)?;
        let mut digest = build(now, since, &cases, &self.calendar);
        digest.system = SystemView::of(&tx.system_state()?, &Thresholds::of(&self.config), now);
        digest.flagged = unregistered(tx.flagged_since(from)?);
        digest.machine = tx.machine_count_since(from)?;
        let to: Vec<Recipient<'_>> = team
            .iter()
            .map(|email| Recipient { name: None, email })
            .collect();
        let mail = compose::render(
            &self.templates,
            &MailSpec {
                template: "mail/digest",
                idem_key: key.clone(),
                purpose: "digest",
                automatic: true,
                from: &self.config.puskesmas,
                to: &to,
                thread: None,
            },
            &self.digest_context(&digest),
            now,
        )
        .context("cannot render the daily digest (templates/mail/digest.*)")?;
        if !tx.enqueue(&mail, None, now)? {
            return Ok(None);
        }
        tx.record_digest(&key, now)?;
        tx.commit()?;
        Ok(Some(key))
    }
}
