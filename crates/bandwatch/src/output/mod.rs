//! What `bandwatch run` prints per tick: a console line for people or NDJSON for programs.

mod console;
mod devices;
mod json;
mod summary;

pub use console::console_line;
pub use devices::{Devices, DevicesSince};
pub use json::{escape_unsafe_chars, json_line_with_devices};
pub use summary::{Places, TickSummary};
