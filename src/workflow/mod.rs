//! PURE decisions: values and `now` in, what should happen out. No I/O here.

pub mod classify;
pub mod health;
pub mod intake;
pub mod phrases;
pub mod reminders;
pub mod satisfaction;
pub mod state;
pub mod suspect;
