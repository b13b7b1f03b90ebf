//! Reminders to the complaints team before deadlines and escalations to the kepala
//! puskesmas and tim mutu after them (decided in `workflow::reminders`), queued through
//! the outbox under their (complaint, kind, threshold) key: each goes out exactly once.

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::procedure::CaseView;
use crate::app::Pipeline;
use crate::mail::compose::{self, MailSpec, PuskesmasView, Recipient};
use crate::store::Store;
use crate::workflow::reminders::{due_notices, Audience, Notice, OpenCase};

#[derive(Serialize)]
struct NoticeContext {
    puskesmas: PuskesmasView,
    notice: Notice,
    case: CaseView,
}

impl Pipeline {
    /// Queues every reminder and escalation due now that was not queued before.
    /// Returns how many were queued. One transaction.
    pub fn queue_notices(&self, store: &mut Store, now: DateTime<Utc>) -> Result<usize> {
        let r = &self.config.recipients;
        let team: Vec<Recipient<'_>> = r
            .tim_pengaduan
            .iter()
            .map(|e| Recipient {
                name: None,
                email: e,
            })
            .collect();
        let heads: Vec<Recipient<'_>> = r
            .kepala_puskesmas
            .iter()
            .chain(r.tim_mutu.iter())
            .map(|e| Recipient {
                name: None,
                email: e,
            })
            .collect();
        let tx = store.transaction()?;
        let mut queued = 0;
        for case in tx.unanswered_cases()? {
            let open = OpenCase {
                ticket: case.ticket.to_string(),
                status: case.status,
                received_at: case.received_at,
                review_due: crate::workflow::intake::deadlines(case.received_at, &self.calendar)
                    .review_due,
                answer_due: case.answer_due,
                ack_sent_at: case.ack_sent_at,
            };
            for notice in due_notices(&open, now, &self.calendar, &self.config.alerts.thresholds) {
                let to = match notice.audience {
                    Audience::Team => &team,
                    Audience::Escalation => &heads,
                };
                if to.is_empty() || tx.outbox_has(&notice.key)? {
                    continue;
                }
                let ctx = NoticeContext {
                    puskesmas: (&self.config.puskesmas).into(),
                    notice: notice.clone(),
                    case: (&case).into(),
                };
                let spec = MailSpec {
                    template: "mail/notice",
                    idem_key: notice.key.clone(),
                    purpose: notice.kind,
                    automatic: true,
                    from: &self.config.puskesmas,
                    to,
                    thread: None,
                };
                let mail = compose::render(&self.templates, &spec, &ctx, now)?;
                if tx.enqueue(&mail, Some(case.id), now)? {
                    tx.add_event(
                        Some(case.id),
                        now,
                        "sistem",
                        notice.kind,
                        &format!(
                            "pemberitahuan {} dikirim ke {}",
                            notice.key,
                            mail.rcpt_to.join(", ")
                        ),
                    )?;
                    queued += 1;
                }
            }
        }
        tx.commit()?;
        Ok(queued)
    }
}
