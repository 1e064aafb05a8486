//! InfluxDB export: [`LineEncoder`] turns frames into line protocol (`network_bandwidth`,
//! `network_interface`, and one measurement per other metric), and [`InfluxWriter`] sends
//! them in gzip batches through the v1 or v2 write API from its own thread, keeping them in
//! a bounded on-disk buffer while the server is away.

mod buffer;
mod client;
mod config;
mod error;
mod line;
mod writer;

pub use client::{gzip, write_url, InfluxClient};
pub use config::{
    default_host_tag, Api, InfluxConfig, DEFAULT_BATCH_LINES, DEFAULT_BUFFER_MAX_BYTES,
    DEFAULT_FLUSH_EVERY, DEFAULT_QUEUE_FRAMES, DEFAULT_RETRY_INITIAL, DEFAULT_RETRY_MAX,
    DEFAULT_TIMEOUT,
};
pub use error::{Error, Result};
pub use line::{
    escape_key, escape_measurement, escape_string_value, FieldValue, LineEncoder, Point,
    MEASUREMENT_BANDWIDTH, MEASUREMENT_INTERFACE,
};
pub use writer::{InfluxHandle, InfluxSink, InfluxStats, InfluxWriter};
