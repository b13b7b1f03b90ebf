//! Shared support for the integration tests. Each test binary compiles this module
//! anew and uses only part of it, hence the allow.
#![allow(dead_code)]

pub mod browser;
pub mod daemon;
pub mod hostile;
pub mod lab;
pub mod offline;
pub mod outgoing;
pub mod web;
