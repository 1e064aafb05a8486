//! bandwatch's exporters: [`prometheus`] keeps the latest value of every series (and running
//! totals of the counter deltas) and encodes it at scrape time in the Prometheus text format
//! or OpenMetrics; [`influx`] turns frames into InfluxDB line protocol and writes them in
//! batches, spilling to a bounded on-disk buffer while the server is away.

pub mod influx;
pub mod prometheus;
