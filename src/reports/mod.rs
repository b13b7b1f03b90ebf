//! PURE builders of what people read from the register: values in, a view model out, no
//! database and no clock.

pub mod board;
