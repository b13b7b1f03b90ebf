//! The application layer: one function per use case, called by the CLI, the web and the
//! tests alike, so no rule is written twice. Errors are typed so each face can map them
//! (a message for the CLI, a status code for the web).

pub mod accounts;
pub mod actions;
pub mod board;
pub mod calendar;
pub mod casefile;
pub mod digest;
pub mod health;
pub mod ingest;
pub mod intake;
pub mod notices;
pub mod pipeline;
pub mod procedure;
pub mod register;
pub mod report;
pub mod retention;
pub mod system;
pub mod views;

pub use actions::ActionError;
pub use pipeline::{load_pipeline, Pipeline};
