//! PURE builders of what staff read and print: the register of a period, its file formats,
//! the monthly report and its charts. No I/O and no clock: facts and `as_of` in.

pub mod chart;
pub mod register;
pub mod report;
pub mod sheet;
