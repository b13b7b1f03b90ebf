//! PURE builders of what people read and print from the register: the public board, the
//! register of a period, its file formats, the monthly report and its charts, the daily
//! digest. No I/O and
//! no clock: facts and `as_of` in, a view model out.

pub mod board;
pub mod chart;
pub mod digest;
pub mod register;
pub mod report;
pub mod sheet;
