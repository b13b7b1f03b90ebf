//! Read models: what the register, one complaint and the flagged mail look like to staff,
//! the same rows for the CLI's templates, its JSON and the web pages.

use anyhow::Result;
use serde::Serialize;

use crate::app::ActionError;
use crate::clock::to_wib_rfc3339;
use crate::domain::Ticket;
use crate::store::{ComplaintRow, EventRow, ListFilter, MessageSummary, Store};

/// What `cli/complaints.txt` shows: the rows and how they were chosen.
#[derive(Serialize)]
pub struct RegisterView {
    pub complaints: Vec<ComplaintRow>,
    /// Complaints in the register, shown or not.
    pub total: usize,
    /// Only open complaints and those received since then (RFC 3339, WIB); none: all.
    pub since: Option<String>,
    /// `filter.limit` cut the list short.
    pub limited: bool,
}

/// The register as `filter` chooses it, oldest first.
pub fn register_view(store: &Store, filter: &ListFilter) -> Result<RegisterView> {
    // One row more than asked tells whether the limit left any out.
    let mut complaints = store.list_complaints(&ListFilter {
        since: filter.since,
        limit: filter.limit.map(|n| n.saturating_add(1)),
    })?;
    let limited = filter.limit.is_some_and(|n| complaints.len() > n);
    if let Some(n) = filter.limit {
        // Oldest first: the extra row is the first one.
        complaints.drain(..complaints.len().saturating_sub(n));
    }
    Ok(RegisterView {
        total: store.count_complaints()?,
        since: filter.since.map(to_wib_rfc3339),
        limited,
        complaints,
    })
}

/// One complaint with its thread and its audit trail.
#[derive(Serialize)]
pub struct ComplaintDetail {
    #[serde(flatten)]
    pub complaint: ComplaintRow,
    pub messages: Vec<MessageSummary>,
    pub events: Vec<EventRow>,
}

pub fn complaint_detail(store: &Store, ticket: &Ticket) -> Result<ComplaintDetail, ActionError> {
    let complaint = store
        .complaint(ticket)?
        .ok_or_else(|| ActionError::NotFound(format!("Tiket {ticket} tidak ditemukan.")))?;
    Ok(ComplaintDetail {
        messages: store.messages_of(complaint.id)?,
        events: store.events_of(complaint.id)?,
        complaint,
    })
}
