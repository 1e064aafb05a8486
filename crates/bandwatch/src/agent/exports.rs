//! The export sinks: the Prometheus exposition of the shared snapshot (served at `/metrics`
//! when enabled) and the InfluxDB writer thread (when enabled).

use std::thread::JoinHandle;

use anyhow::Context as _;
use bandwatch_core::{AlertEvent, Frame};
use bandwatch_export::influx::{InfluxConfig, InfluxHandle, InfluxWriter};
use bandwatch_export::prometheus::Exporter;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::BadInput;

/// Where every frame and alert event goes besides the store.
pub struct Exports {
    /// The exposition of the shared snapshot for `/metrics`.
    pub exporter: Exporter,
    influx: Option<(InfluxHandle, JoinHandle<()>)>,
}

impl Exports {
    /// Binds the `/metrics` port (a port in use is the user's to fix: exit 2) for `exporter`
    /// and starts the InfluxDB writer.
    pub async fn start(
        config: &Config,
        shutdown: &CancellationToken,
        exporter: Exporter,
    ) -> anyhow::Result<Self> {
        if config.prometheus.enabled {
            let listener = bind(config.prometheus.addr).await?;
            tracing::info!(addr = %config.prometheus.addr, "serving Prometheus metrics at /metrics");
            let (exp, stop) = (exporter.clone(), shutdown.clone());
            tokio::spawn(async move {
                let served =
                    bandwatch_web::metrics::serve(
                        listener,
                        exp,
                        async move { stop.cancelled().await },
                    )
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "the /metrics server stopped");
                }
            });
        }
        let influx = if config.influxdb.enabled {
            // reqwest's blocking client may be neither built nor dropped on an async
            // task's thread: start the writer from a plain one.
            Some(std::thread::scope(|scope| {
                scope
                    .spawn(|| start_influx(config))
                    .join()
                    .unwrap_or_else(|_| {
                        Err(anyhow::anyhow!("starting the InfluxDB writer panicked"))
                    })
            })?)
        } else {
            None
        };
        Ok(Self { exporter, influx })
    }

    /// Hands a frame to the InfluxDB writer (the exporter reads the shared snapshot).
    pub fn frame(&self, frame: &Frame) {
        if let Some((h, _)) = &self.influx {
            h.send(frame);
        }
    }

    /// Counts alert transitions for `/metrics`.
    pub fn alerts(&self, events: &[AlertEvent]) {
        self.exporter.observe_alerts(events);
    }

    /// Flushes the InfluxDB writer (to the server, or to its disk buffer) and waits for it.
    pub fn close(self) {
        if let Some((h, join)) = self.influx {
            h.close();
            if join.join().is_err() {
                tracing::error!("the InfluxDB writer thread panicked");
            }
        }
    }
}

/// Binds the port now, so a port in use stops the start with a message naming it.
async fn bind(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, BadInput> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        BadInput(format!(
            "key 'prometheus.port': cannot listen on {addr} for /metrics: {e}; pick a free port with --prometheus-port (or BANDWATCH_PROMETHEUS_PORT)"
        ))
    })
}

fn start_influx(config: &Config) -> anyhow::Result<(InfluxHandle, JoinHandle<()>)> {
    let i = &config.influxdb;
    let Some(api) = i.api.clone() else {
        return Err(BadInput(
            "key 'influxdb.token': InfluxDB is enabled but neither a token and org (v2) nor a database (v1) is set".into(),
        )
        .into());
    };
    let mut cfg = InfluxConfig::new(
        i.url.clone(),
        api,
        i.buffer_dir.clone(),
        bandwatch_collect::catalog(),
    );
    cfg.buffer_max_bytes = i.buffer_max_bytes;
    let started = InfluxWriter::spawn(cfg)
        .map_err(|e| BadInput(format!("key 'influxdb': {e}")))
        .context("starting the InfluxDB writer")?;
    tracing::info!(url = %i.url, "writing samples to InfluxDB");
    Ok(started)
}
