//! pengaduan: the complaint-handling mail daemon of Puskesmas Kademangan.
//! See README.md for the map of the code and ../shared/DESIGN.md for the invariants.

pub mod app;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod domain;
pub mod mail;
pub mod memory;
pub mod outbox;
pub mod reports;
pub mod store;
pub mod templates;
pub mod web;
pub mod workflow;
