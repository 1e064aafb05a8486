//! Test traffic for `bandwatch generate`: TCP payload paced by a token bucket, in both
//! directions at once, counted exactly at both ends, to a sink of its own on 127.0.0.1 or to
//! a far end (`--serve`) on another machine.
//!
//! This crate owns the threads and sockets so the binary does not: it parses flags and
//! prints. The pieces, one concern each:
//! - [`rate`]: the documented intensity scale and `--rate` values;
//! - [`pace`]: the token bucket, pure, on time given to it;
//! - [`timer`]: the seam to the clock and to sleeping;
//! - [`stream`]: sending paced payload to any writer and counting what a reader yields;
//! - [`wire`]: the framed control protocol (hello, welcome, join, report);
//! - [`link`]: the seam to an interface's kernel counters, read before and after a run;
//! - [`server`]: the far end (and the loopback sink);
//! - [`client`]: a session from start to summary.

pub mod client;
pub mod error;
pub mod link;
pub mod pace;
pub mod rate;
pub mod server;
pub mod stream;
pub mod timer;
pub mod wire;

pub use client::{start, Running, Summary, Target, Tick};
pub use error::{GenerateError, Result};
pub use link::{LinkCounters, LinkDelta};
pub use rate::Plan;
pub use server::{Server, ServerEvent};
