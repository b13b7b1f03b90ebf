//! The daemon: its boot (`run`) and its scheduled jobs (`jobs`). The mailbox watcher is in
//! `mail::imap` and the outbox worker in `outbox` until the layers are split further.

pub mod jobs;
mod run;

pub(crate) use run::warn_missing_lists;
pub use run::{run, wait_for_signal};
