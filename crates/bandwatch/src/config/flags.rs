//! The command-line layer.

use crate::cli::Options;

use super::layer::RawConfig;
use super::origin::{Origin, Setting};

/// What the flags set; a flag not given leaves the value to lower layers.
pub fn layer(opts: &Options) -> RawConfig {
    let flag = |name: &'static str| Origin::Flag(name);
    let output = if opts.json {
        Some(set("json".to_string(), "--json"))
    } else if opts.quiet {
        Some(set("quiet".to_string(), "--quiet"))
    } else {
        None
    };
    RawConfig {
        interval: opts.interval.map(|v| set(v, "--interval")),
        duration: opts.duration.map(|v| set(v, "--duration")),
        interfaces: (!opts.interfaces.is_empty())
            .then(|| Setting::new(opts.interfaces.clone(), flag("--interface"))),
        exclude: (!opts.exclude.is_empty())
            .then(|| Setting::new(opts.exclude.clone(), flag("--exclude"))),
        upload_mbps: opts.upload_threshold.map(|v| set(v, "--upload-threshold")),
        download_mbps: opts
            .download_threshold
            .map(|v| set(v, "--download-threshold")),
        output,
        db_path: opts.db.clone().map(|v| Setting::new(v, flag("--db"))),
        log_level: opts
            .log_level
            .clone()
            .map(|v| Setting::new(v, flag("--log-level"))),
        log_file: opts
            .log_file
            .clone()
            .map(|v| Setting::new(v, flag("--log-file"))),
        proc_root: opts
            .proc_root
            .clone()
            .map(|v| Setting::new(v, flag("--proc-root"))),
        sys_root: opts
            .sys_root
            .clone()
            .map(|v| Setting::new(v, flag("--sys-root"))),
        store_url: opts.store.clone().map(|v| set(v, "--store")),
        prometheus: opts.prometheus.then(|| set(true, "--prometheus")),
        prometheus_port: opts
            .prometheus_port
            .map(|v| set(i64::from(v), "--prometheus-port")),
        influxdb: opts.influxdb.then(|| set(true, "--influxdb")),
        influxdb_url: opts.influxdb_url.clone().map(|v| set(v, "--influxdb-url")),
        influxdb_token: opts
            .influxdb_token
            .clone()
            .map(|v| set(v, "--influxdb-token")),
        influxdb_org: opts.influxdb_org.clone().map(|v| set(v, "--influxdb-org")),
        influxdb_bucket: opts
            .influxdb_bucket
            .clone()
            .map(|v| set(v, "--influxdb-bucket")),
        web_enabled: opts.no_web.then(|| set(false, "--no-web")),
        web_listen: opts.listen.clone().map(|v| set(v, "--listen")),
        web_token: opts.web_token.clone().map(|v| set(v, "--web-token")),
        ..RawConfig::default()
    }
}

fn set<T>(value: T, flag: &'static str) -> Setting<T> {
    Setting::new(value, Origin::Flag(flag))
}
