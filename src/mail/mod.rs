//! Mail at the edges: parsing inbound bytes, composing outbound bytes, IMAP and SMTP.

pub mod chat_export;
pub mod compose;
pub mod imap;
pub mod mbox;
pub mod oauth;
pub mod parse;
pub mod smtp;
