//! Delivery: one sender per channel kind, each behind a narrow transport trait.

pub mod http;
pub mod mqtt;
pub mod smtp;
