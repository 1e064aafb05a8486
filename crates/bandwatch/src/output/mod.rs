//! What `bandwatch run` prints per tick: a console line for people or NDJSON for programs.

mod console;
mod json;
mod summary;

pub use console::console_line;
pub use json::{escape_unsafe_chars, json_line};
pub use summary::{Places, TickSummary};
