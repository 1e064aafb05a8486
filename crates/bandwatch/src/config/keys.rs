//! Every configuration key, once: its name in the file, default, environment variables,
//! flags and check. The file, environment and flag layers, the validation, `config check`
//! and `--help` all read this table, so names never drift apart. A key lives here, in its
//! typed field of [`super::Config`], and where it is used.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::checks;
use super::key::{Env, Flag, Key, KeyDef};
use super::origin::Setting;
use super::probe::TargetTable;
use super::{devices, export, web, LogLevel, OutputMode};
use bandwatch_collect::devices::KnownEntry;
use ipnet::IpNet;

use Env::Var;

macro_rules! keys {
    ($($(#[doc = $doc:literal])* $name:ident: $ty:ty = $key:expr;)*) => {
        $(
            $(#[doc = $doc])*
            pub static $name: $ty = $key;
        )*
        /// Every key, section by section, in the order the file documents them and
        /// `config check` prints them.
        pub static ALL: &[&KeyDef] = &[$(&$name.def),*];
    };
}

/// The file's top-level tables, in the order an unknown one is answered with: the key
/// sections and those that hold lists of their own (`rules`, `notify`, `caps`, `reports`).
pub const SECTIONS: &[&str] = &[
    "monitor",
    "thresholds",
    "output",
    "store",
    "log",
    "paths",
    "rules",
    "notify",
    "system",
    "probe",
    "prometheus",
    "influxdb",
    "web",
    "devices",
    "caps",
    "calendar",
    "reports",
];

keys! {
    /// Time between samples.
    INTERVAL: Key<f64, Duration> = Key::new("monitor.interval")
        .default("1")
        .env(&[Var("BANDWATCH_INTERVAL"), Var("NETWORK_CHECK_INTERVAL"), Var("CHECK_INTERVAL")])
        .flags(&[Flag::value(1, "--interval", "SECONDS", "Seconds between samples (0.1 to 3600)")])
        .hint("seconds between samples, e.g. 1 or 0.5")
        .check(checks::interval);
    /// Stop after this long.
    DURATION: Key<f64, Duration> = Key::new("monitor.duration")
        .env(&[Var("BANDWATCH_DURATION")])
        .flags(&[Flag::value(
            2,
            "--duration",
            "SECONDS",
            "Stop after this many seconds (default: run until stopped)",
        )])
        .hint("seconds to run, e.g. 60")
        .check(checks::run_time);
    /// Interfaces to watch.
    INTERFACES: Key<Vec<String>> = Key::new("monitor.interfaces")
        .default("")
        .env(&[Var("BANDWATCH_INTERFACES")])
        .flags(&[Flag::value(
            3,
            "--interface",
            "GLOB",
            "Only watch interfaces matching this glob (repeatable)",
        )])
        .check(checks::globs);
    /// Interfaces never to watch.
    EXCLUDE: Key<Vec<String>> = Key::new("monitor.exclude")
        .default("")
        .env(&[Var("BANDWATCH_EXCLUDE")])
        .flags(&[Flag::value(
            4,
            "--exclude",
            "GLOB",
            "Never watch interfaces matching this glob (repeatable)",
        )])
        .check(checks::globs);
    /// Whether loopback counts in the total.
    LOOPBACK_IN_TOTAL: Key<bool> = Key::new("monitor.loopback_in_total")
        .default("false")
        .env(&[Var("BANDWATCH_LOOPBACK_IN_TOTAL")]);

    /// Transmit limit, kept in bits per second.
    UPLOAD: Key<f64> = Key::new("thresholds.upload_mbps")
        .default("50")
        // The seed tool's one limit for both directions; each direction's own wins.
        .env(&[Var("BANDWATCH_UPLOAD_THRESHOLD"), Var("BANDWIDTH_THRESHOLD_MBPS")])
        .flags(&[Flag::value(
            5,
            "--upload-threshold",
            "MBPS",
            "Warn when an interface sends faster than this many Mbit/s",
        )])
        .hint("megabits per second, e.g. 50")
        .check(checks::mbps_as_bps);
    /// Receive limit, kept in bits per second.
    DOWNLOAD: Key<f64> = Key::new("thresholds.download_mbps")
        .default("100")
        .env(&[Var("BANDWATCH_DOWNLOAD_THRESHOLD"), Var("BANDWIDTH_THRESHOLD_MBPS")])
        .flags(&[Flag::value(
            6,
            "--download-threshold",
            "MBPS",
            "Warn when an interface receives faster than this many Mbit/s",
        )])
        .hint("megabits per second, e.g. 100")
        .check(checks::mbps_as_bps);
    /// Limit on received plus sent, kept in bits per second; unset: no rule.
    TOTAL: Key<f64> = Key::new("thresholds.total_mbps")
        .env(&[Var("BANDWATCH_TOTAL_THRESHOLD"), Env::BytesPerSecond("DATA_RATE_THRESHOLD")])
        .hint("megabits per second, e.g. 150")
        .check(checks::mbps_as_bps);
    /// The built-in spike rules: a multiple of the recent average.
    SPIKE_FACTOR: Key<f64> = Key::new("thresholds.spike_factor")
        .default("3")
        .env(&[Var("BANDWATCH_SPIKE_FACTOR"), Var("SPIKE_MULTIPLIER")])
        .hint("a multiple of the recent average above 1, e.g. 3")
        .check(checks::spike_factor);
    /// The built-in spike rules: samples in the recent average.
    SPIKE_WINDOW: Key<i64, u32> = Key::new("thresholds.spike_window")
        .default("60")
        .env(&[Var("BANDWATCH_SPIKE_WINDOW"), Var("HISTORY_SIZE")])
        .check(|s, key| checks::whole(s, key, 1..=86_400, "60"));
    /// The built-in spike rules: the least rise that counts, kept in bits per second.
    SPIKE_FLOOR: Key<f64> = Key::new("thresholds.spike_floor_mbps")
        .default("1")
        .env(&[Var("BANDWATCH_SPIKE_FLOOR")])
        .hint("megabits per second, e.g. 1")
        .check(checks::floor_mbps_as_bps);
    /// Time before the same alert notifies again.
    COOLDOWN: Key<String, Duration> = Key::new("thresholds.cooldown")
        .default("15m")
        .env(&[Var("BANDWATCH_COOLDOWN"), Env::Minutes("ALERT_COOLDOWN_MINUTES")])
        .check(|s, key| checks::retention(s, key, 0));
    /// CPU limit.
    CPU: Key<f64> = Key::new("thresholds.cpu_percent")
        .default("80")
        .env(&[Var("BANDWATCH_CPU_THRESHOLD"), Var("CPU_THRESHOLD_PERCENT")])
        .hint("a percentage, e.g. 80")
        .check(checks::percent);
    /// Memory limit.
    MEMORY: Key<f64> = Key::new("thresholds.memory_percent")
        .default("85")
        .env(&[Var("BANDWATCH_MEMORY_THRESHOLD"), Var("MEMORY_THRESHOLD_PERCENT")])
        .hint("a percentage, e.g. 85")
        .check(checks::percent);
    /// Filesystem limit.
    DISK: Key<f64> = Key::new("thresholds.disk_percent")
        .default("90")
        .env(&[Var("BANDWATCH_DISK_THRESHOLD"), Var("DISK_THRESHOLD_PERCENT")])
        .hint("a percentage, e.g. 90")
        .check(checks::percent);

    /// What each tick prints.
    OUTPUT: Key<String, OutputMode> = Key::new("output.format")
        .default("console")
        .env(&[Var("BANDWATCH_OUTPUT")])
        .flags(&[
            Flag::switch(
                7,
                "--json",
                "json",
                "Print one JSON object per tick on stdout (NDJSON) instead of the console line",
            ),
            Flag::switch(
                8,
                "--quiet",
                "quiet",
                "Print nothing per tick (logs still go to stderr and the log file)",
            ),
        ])
        .check(checks::output_mode);

    /// The SQLite file.
    DB: Key<PathBuf> = Key::new("store.path")
        .default("./data/bandwatch.db")
        .env(&[Var("BANDWATCH_DB")])
        .flags(&[Flag::value(9, "--db", "PATH", "History database file (SQLite)")])
        .check(checks::db_path);
    /// How long raw samples are kept.
    RAW_RETENTION: Key<String, Duration> = Key::new("store.raw_retention")
        .default("48h")
        .env(&[Var("BANDWATCH_RAW_RETENTION")])
        .check(|s, key| checks::retention(s, key, 60));
    /// How long minute rollups are kept.
    MINUTE_RETENTION: Key<String, Duration> = Key::new("store.minute_retention")
        .default("30d")
        .env(&[Var("BANDWATCH_MINUTE_RETENTION")])
        .check(|s, key| checks::retention(s, key, 3600));
    /// How long hour rollups are kept.
    HOUR_RETENTION: Key<String, Duration> = Key::new("store.hour_retention")
        .default("2years")
        .env(&[Var("BANDWATCH_HOUR_RETENTION")])
        .check(|s, key| checks::retention(s, key, 86_400));
    /// How often buffered samples are committed; a hard kill loses up to this much.
    FLUSH_INTERVAL: Key<String, Duration> = Key::new("store.flush_interval")
        .default("1s")
        .env(&[Var("BANDWATCH_FLUSH_INTERVAL")])
        .check(checks::flush);
    /// A MySQL/MariaDB or PostgreSQL history instead of the SQLite file.
    STORE_URL: Key<String> = Key::new("store.url")
        .env(&[Var("BANDWATCH_STORE")])
        .flags(&[Flag::value(
            12,
            "--store",
            "URL",
            concat!(
                "Keep the history in MySQL/MariaDB or PostgreSQL instead of the SQLite file ",
                "(`mysql://USER:PASSWORD@HOST/DB`, `postgres://…`)"
            ),
        )])
        .redacted_url()
        .check(export::store_url);
    /// Whether an unreachable `store.url` falls back to the SQLite file.
    STORE_OPTIONAL: Key<bool> = Key::new("store.optional")
        .default("false")
        .env(&[Var("BANDWATCH_STORE_OPTIONAL")]);

    /// Log level.
    LOG_LEVEL: Key<String, LogLevel> = Key::new("log.level")
        .default("info")
        .env(&[Var("BANDWATCH_LOG_LEVEL"), Var("LOG_LEVEL")])
        .flags(&[Flag::value(
            11,
            "--log-level",
            "LEVEL",
            "Log level: error, warn, info, debug or trace",
        )])
        .check(checks::log_level);
    /// Log file, rotated daily.
    LOG_FILE: Key<PathBuf> = Key::new("log.file")
        .env(&[Var("BANDWATCH_LOG_FILE"), Var("LOG_FILE")])
        .flags(&[Flag::value(10, "--log-file", "PATH", "Also log to this file, rotated daily")]);

    /// Where /proc is.
    PROC_ROOT: Key<PathBuf> = Key::new("paths.proc_root")
        .default("/proc")
        .env(&[Var("BANDWATCH_PROC_ROOT")])
        .flags(&[Flag::value(
            23,
            "--proc-root",
            "PATH",
            "Where /proc is (for containers and tests)",
        ).long_help_only()])
        .check(|s, key| checks::root(s, key, "net/dev"));
    /// Where /sys is.
    SYS_ROOT: Key<PathBuf> = Key::new("paths.sys_root")
        .default("/sys")
        .env(&[Var("BANDWATCH_SYS_ROOT")])
        .flags(&[Flag::value(
            24,
            "--sys-root",
            "PATH",
            "Where /sys is (for containers and tests)",
        ).long_help_only()])
        .check(|s, key| checks::root(s, key, "class/net"));

    /// Whether the system health source runs.
    SYSTEM_ENABLED: Key<bool> = Key::new("system.enabled")
        .default("true")
        .env(&[Var("BANDWATCH_SYSTEM")]);
    /// Time between system readings.
    SYSTEM_INTERVAL: Key<String, Duration> = Key::new("system.interval")
        .default("60s")
        .env(&[Var("BANDWATCH_SYSTEM_INTERVAL"), Var("SYSTEM_CHECK_INTERVAL")])
        .check(|s, key| checks::period(s, key, "60s"));

    /// What to probe.
    PROBE_TARGETS: Key<Vec<Setting<TargetTable>>> = Key::new("probe.targets")
        .default("")
        .env(&[Var("BANDWATCH_TARGETS"), Var("MONITORED_DEVICES")]);
    /// Default time between probe rounds.
    PROBE_INTERVAL: Key<String, Duration> = Key::new("probe.interval")
        .default("30s")
        .env(&[Var("BANDWATCH_PROBE_INTERVAL"), Var("DEVICE_PING_INTERVAL")])
        .check(|s, key| checks::period(s, key, "30s"));
    /// Default probe timeout.
    PROBE_TIMEOUT: Key<String, Duration> = Key::new("probe.timeout")
        .default("5s")
        .env(&[Var("BANDWATCH_PROBE_TIMEOUT"), Var("PING_TIMEOUT_SECONDS")])
        .check(|s, key| checks::period(s, key, "5s"));
    /// Default probes per round.
    PROBE_COUNT: Key<i64, u32> = Key::new("probe.count")
        .default("5")
        .env(&[Var("BANDWATCH_PROBE_COUNT")])
        .check(|s, key| checks::whole(s, key, 1..=100, "5"));
    /// Failed rounds before a target is unreachable.
    PROBE_DOWN_AFTER: Key<i64, u32> = Key::new("probe.down_after")
        .default("3")
        .env(&[Var("BANDWATCH_PROBE_DOWN_AFTER")])
        .check(|s, key| checks::whole(s, key, 1..=1000, "3"));
    /// Up/down changes that count as flapping.
    PROBE_FLAP_CHANGES: Key<i64, u32> = Key::new("probe.flap_changes")
        .default("4")
        .env(&[Var("BANDWATCH_PROBE_FLAP_CHANGES")])
        .check(|s, key| checks::whole(s, key, 2..=1000, "4"));
    /// The window for `probe.flap_changes`.
    PROBE_FLAP_WINDOW: Key<String, Duration> = Key::new("probe.flap_window")
        .default("10m")
        .env(&[Var("BANDWATCH_PROBE_FLAP_WINDOW")])
        .check(|s, key| checks::period(s, key, "10m"));
    /// Default latency limit.
    PROBE_RTT_LIMIT: Key<String, Duration> = Key::new("probe.rtt_limit")
        .env(&[Var("BANDWATCH_PROBE_RTT_LIMIT")])
        .check(|s, key| checks::period(s, key, "200ms"));
    /// Default loss limit, percent.
    PROBE_LOSS_LIMIT: Key<f64> = Key::new("probe.loss_limit")
        .env(&[Var("BANDWATCH_PROBE_LOSS_LIMIT")])
        .hint("a percentage, e.g. 20")
        .check(checks::percent);

    /// Whether `/metrics` is served.
    PROMETHEUS: Key<bool> = Key::new("prometheus.enabled")
        .default("false")
        .env(&[Var("BANDWATCH_PROMETHEUS")])
        .flags(&[Flag::switch(13, "--prometheus", "true", "Serve Prometheus metrics at /metrics")]);
    /// The exporter's port.
    PROMETHEUS_PORT: Key<i64, u16> = Key::new("prometheus.port")
        .default("8000")
        .env(&[Var("BANDWATCH_PROMETHEUS_PORT"), Var("PROMETHEUS_PORT")])
        .flags(&[Flag::value(
            14,
            "--prometheus-port",
            "PORT",
            "Port of the Prometheus endpoint (default 8000)",
        )])
        .check(export::port);
    /// The exporter's address.
    PROMETHEUS_BIND: Key<String, IpAddr> = Key::new("prometheus.bind")
        .default("0.0.0.0")
        .env(&[Var("BANDWATCH_PROMETHEUS_BIND")])
        .check(export::bind);

    /// Whether frames are written to InfluxDB.
    INFLUXDB: Key<bool> = Key::new("influxdb.enabled")
        .default("false")
        .env(&[Var("BANDWATCH_INFLUXDB")])
        .flags(&[Flag::switch(15, "--influxdb", "true", "Write every sample to InfluxDB")]);
    /// The InfluxDB server.
    INFLUXDB_URL: Key<String> = Key::new("influxdb.url")
        .default("http://localhost:8086")
        .env(&[Var("BANDWATCH_INFLUXDB_URL"), Var("INFLUXDB_URL")])
        .flags(&[Flag::value(
            16,
            "--influxdb-url",
            "URL",
            "InfluxDB server (default http://localhost:8086)",
        )])
        .check(export::http_url);
    /// InfluxDB 2 token.
    INFLUXDB_TOKEN: Key<String> = Key::new("influxdb.token")
        .env(&[Var("BANDWATCH_INFLUXDB_TOKEN"), Var("INFLUXDB_TOKEN")])
        .flags(&[Flag::value(17, "--influxdb-token", "TOKEN", "InfluxDB 2 API token")])
        .secret();
    /// InfluxDB 2 organisation.
    INFLUXDB_ORG: Key<String> = Key::new("influxdb.org")
        .env(&[Var("BANDWATCH_INFLUXDB_ORG"), Var("INFLUXDB_ORG")])
        .flags(&[Flag::value(18, "--influxdb-org", "ORG", "InfluxDB 2 organisation")]);
    /// InfluxDB 2 bucket.
    INFLUXDB_BUCKET: Key<String> = Key::new("influxdb.bucket")
        .default("network_metrics")
        .env(&[Var("BANDWATCH_INFLUXDB_BUCKET"), Var("INFLUXDB_BUCKET")])
        .flags(&[Flag::value(
            19,
            "--influxdb-bucket",
            "BUCKET",
            "InfluxDB 2 bucket (default network_metrics)",
        )]);
    /// InfluxDB 1.x database.
    INFLUXDB_DATABASE: Key<String> = Key::new("influxdb.database")
        .env(&[Var("BANDWATCH_INFLUXDB_DATABASE")]);
    /// InfluxDB 1.x user.
    INFLUXDB_USERNAME: Key<String> = Key::new("influxdb.username")
        .env(&[Var("BANDWATCH_INFLUXDB_USERNAME")]);
    /// InfluxDB 1.x password.
    INFLUXDB_PASSWORD: Key<String> = Key::new("influxdb.password")
        .env(&[Var("BANDWATCH_INFLUXDB_PASSWORD")])
        .secret();
    /// Where batches wait while the server is away.
    INFLUXDB_BUFFER_DIR: Key<PathBuf> = Key::new("influxdb.buffer_dir")
        .default("./data/influx-buffer")
        .env(&[Var("BANDWATCH_INFLUXDB_BUFFER_DIR")]);
    /// The most the buffer may hold, kept in bytes.
    INFLUXDB_BUFFER_MB: Key<f64, u64> = Key::new("influxdb.buffer_max_mb")
        .default("100")
        .env(&[Var("BANDWATCH_INFLUXDB_BUFFER_MB")])
        .hint("megabytes, e.g. 100")
        .check(export::buffer_bytes);

    /// Whether the dashboard and API are served.
    WEB_ENABLED: Key<bool> = Key::new("web.enabled")
        .default("true")
        .env(&[Var("BANDWATCH_WEB")])
        .flags(&[Flag::switch(22, "--no-web", "false", "Do not serve the dashboard and API")]);
    /// Where they listen.
    WEB_LISTEN: Key<String, SocketAddr> = Key::new("web.listen")
        .default(web::DEFAULT_LISTEN)
        .env(&[
            Var("BANDWATCH_WEB_LISTEN"),
            Env::HostPort { host: "DASHBOARD_HOST", port: "DASHBOARD_PORT" },
        ])
        .flags(&[Flag::value(
            20,
            "--listen",
            "ADDR:PORT",
            concat!(
                "Where the dashboard and API listen (default 127.0.0.1:8080; ",
                "any other address needs a token)"
            ),
        )])
        .check(web::listen);
    /// Their access token.
    WEB_TOKEN: Key<String> = Key::new("web.token")
        .env(&[Var("BANDWATCH_WEB_TOKEN")])
        .flags(&[Flag::value(
            21,
            "--web-token",
            "TOKEN",
            concat!(
                "Access token for the dashboard and API ",
                "(generated and printed when listening beyond loopback without one)"
            ),
        )])
        .secret()
        .check(web::token);
    /// How often the page refreshes without the live stream.
    WEB_AUTO_REFRESH: Key<String, Option<Duration>> = Key::new("web.auto_refresh")
        .default(web::DEFAULT_AUTO_REFRESH)
        .env(&[Var("BANDWATCH_WEB_AUTO_REFRESH"), Var("DASHBOARD_AUTO_REFRESH")])
        .check(web::auto_refresh);
    /// Host names the dashboard answers to besides its own (DNS-rebinding guard).
    WEB_ALLOWED_HOSTS: Key<Vec<String>> = Key::new("web.allowed_hosts")
        .default("")
        .env(&[Var("BANDWATCH_WEB_ALLOWED_HOSTS")])
        .check(web::allowed_hosts);

    /// Whether the devices source runs: "auto" (when capture is allowed), true or false.
    DEVICES_ENABLED: Key<String, devices::DevicesMode> = Key::new("devices.enabled")
        .default("auto")
        .env(&[Var("BANDWATCH_DEVICES")])
        .check(devices::mode);
    /// How bytes per device are counted.
    DEVICES_BACKEND: Key<String, devices::DeviceBackend> = Key::new("devices.backend")
        .default("capture")
        .env(&[Var("BANDWATCH_DEVICES_BACKEND")])
        .check(devices::backend);
    /// The interfaces to account on (globs; empty: every one but loopback).
    DEVICES_INTERFACES: Key<Vec<String>> = Key::new("devices.interfaces")
        .default("")
        .env(&[Var("BANDWATCH_DEVICES_INTERFACES")])
        .check(checks::globs);
    /// Whether the capture socket is promiscuous (a mirror port).
    DEVICES_PROMISCUOUS: Key<bool> = Key::new("devices.promiscuous")
        .default("false")
        .env(&[Var("BANDWATCH_DEVICES_PROMISCUOUS")]);
    /// The capture ring per interface, in bytes (`"256KiB"`, `"1MiB"` or a number).
    DEVICES_RING_SIZE: Key<String, u64> = Key::new("devices.ring_size")
        .default("256KiB")
        .env(&[Var("BANDWATCH_DEVICES_RING_SIZE")])
        .hint("bytes per interface, e.g. \"256KiB\" or \"1MiB\"")
        .check(devices::ring_size);
    /// The local networks (CIDRs; empty: the interfaces' own subnets).
    DEVICES_LAN: Key<Vec<String>, Vec<IpNet>> = Key::new("devices.lan")
        .default("")
        .env(&[Var("BANDWATCH_DEVICES_LAN")])
        .check(devices::lan);
    /// The old monitor's `registered_devices.json`.
    DEVICES_REGISTRY: Key<PathBuf> = Key::new("devices.registry")
        .env(&[Var("BANDWATCH_DEVICES_REGISTRY")]);
    /// Known devices written in the config (`name@address` items in the environment).
    DEVICES_KNOWN: Key<Vec<Setting<KnownEntry>>> = Key::new("devices.known")
        .default("")
        .env(&[Var("BANDWATCH_DEVICES_KNOWN")]);
    /// The DHCP leases file (dnsmasq's format).
    DEVICES_LEASES: Key<PathBuf> = Key::new("devices.leases")
        .env(&[Var("BANDWATCH_DEVICES_LEASES")]);
    /// The most devices held one by one.
    DEVICES_MAX_TRACKED: Key<i64, u32> = Key::new("devices.max_tracked")
        .default("4096")
        .env(&[Var("BANDWATCH_DEVICES_MAX_TRACKED")])
        .check(|s, key| checks::whole(s, key, 1..=1_000_000, "4096"));
    /// Bytes per second above which a device is active.
    DEVICES_ACTIVE_FLOOR: Key<f64> = Key::new("devices.active_floor")
        .default("2000")
        .env(&[Var("BANDWATCH_DEVICES_ACTIVE_FLOOR")])
        .hint("bytes per second, e.g. 2000")
        .check(devices::active_floor);
    /// The rolling window of `device-bandwidth`.
    DEVICES_THRESHOLD_WINDOW: Key<String, Duration> = Key::new("devices.threshold_window")
        .default("1h")
        .env(&[Var("BANDWATCH_DEVICES_THRESHOLD_WINDOW")])
        .check(|s, key| checks::period(s, key, "1h"));
    /// The shortest break that ends a run of activity.
    DEVICES_IDLE_GAP: Key<String, Duration> = Key::new("devices.idle_gap")
        .default("5m")
        .env(&[Var("BANDWATCH_DEVICES_IDLE_GAP")])
        .check(|s, key| checks::period(s, key, "5m"));
    /// Devices Prometheus exports one by one.
    DEVICES_EXPORT_TOP: Key<i64, u32> = Key::new("devices.export_top")
        .default("20")
        .env(&[Var("BANDWATCH_DEVICES_EXPORT_TOP")])
        .check(|s, key| checks::whole(s, key, 0..=100_000, "20"));
    /// `device-spike`: a multiple of the device's recent average.
    DEVICES_SPIKE_FACTOR: Key<f64> = Key::new("devices.spike_factor")
        .default("3")
        .env(&[Var("BANDWATCH_DEVICES_SPIKE_FACTOR")])
        .hint("a multiple of the recent average above 1, e.g. 3")
        .check(checks::spike_factor);
    /// `device-spike`: the least rise that counts, kept in bits per second.
    DEVICES_SPIKE_FLOOR: Key<f64> = Key::new("devices.spike_floor_mbps")
        .default("1")
        .env(&[Var("BANDWATCH_DEVICES_SPIKE_FLOOR")])
        .hint("megabits per second, e.g. 1")
        .check(checks::floor_mbps_as_bps);

    /// The day of the month a month starts on (reports, data caps).
    CALENDAR_BILLING_DAY: Key<i64, u32> = Key::new("calendar.billing_day")
        .default("1")
        .env(&[Var("BANDWATCH_BILLING_DAY")])
        .flags(&[Flag::value(
            40,
            "--billing-day",
            "DAY",
            "Day of the month a month starts on, 1 to 31 (vnstat's MonthRotate)",
        )])
        .check(|s, key| checks::whole(s, key, 1..=31, "1 (calendar months) or 15"));
}

/// Environment variables that start with `BANDWATCH_` but are not settings (used by the
/// test suite), so they are not reported as typos.
pub const NON_SETTING_ENV: &[&str] = &[
    "BANDWATCH_CONFIG",
    "BANDWATCH_REQUIRE_ROOT_TESTS",
    "BANDWATCH_BIN",
    "BANDWATCH_BLESS",
    "BANDWATCH_SCREENSHOT_TO",
    "BANDWATCH_PROBE_SCALE",
    "BANDWATCH_INFLUXD",
    "BANDWATCH_TEST_MYSQL_URL",
    "BANDWATCH_TEST_POSTGRES_URL",
];

/// Every name of the seed tool's environment that bandwatch knows: those of the keys above
/// (everything not `BANDWATCH_*`) and the email channel's.
pub fn seed_env_names() -> impl Iterator<Item = &'static str> {
    ALL.iter()
        .flat_map(|k| k.env.iter())
        .flat_map(|e| match *e {
            Var(v) | Env::Minutes(v) | Env::BytesPerSecond(v) => [Some(v), None],
            Env::HostPort { host, port } => [Some(host), Some(port)],
        })
        .flatten()
        .filter(|v| !v.starts_with("BANDWATCH_"))
        .chain(super::notify::SEED_ENV)
}

/// First words of seed names that other software's environments use too (systemd sets
/// `MEMORY_PRESSURE_WATCH` for services), so in the process environment they alone do not
/// make a name look like the seed tool's; in `.env`, which is bandwatch's own, they do.
const COMMON_FIRST_WORDS: &[&str] = &[
    "CPU", "MEMORY", "DISK", "SYSTEM", "LOG", "DATA", "HISTORY", "CHECK",
];

/// Whether `var`, a name bandwatch does not read, looks like one of the seed tool's: it
/// begins with the first word of one (`DASHBOARD_THEME`), or is a letter or two off one
/// (`BANDWITH_THRESHOLD_MBPS`).
pub fn looks_like_seed_env(var: &str, in_dotenv: bool) -> bool {
    let first = |name: &str| name.split_once('_').map(|(w, _)| w.to_string());
    let word = first(var);
    seed_env_names().any(|known| {
        let same_family = word.is_some()
            && word == first(known)
            && (in_dotenv
                || !word
                    .as_deref()
                    .is_some_and(|w| COMMON_FIRST_WORDS.contains(&w)));
        let allowed = if known.len() >= 8 { 2 } else { 1 };
        same_family || edit_distance(var, known) <= allowed
    })
}

/// Letters to insert, delete, change or swap with a neighbour to turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between a[..i] and b[..j].
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let change = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + change);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

/// Whether some key is set by the environment variable `var`.
pub fn is_setting_env(var: &str) -> bool {
    ALL.iter().any(|k| {
        k.env.iter().any(|e| match e {
            Var(v) | Env::Minutes(v) | Env::BytesPerSecond(v) => *v == var,
            Env::HostPort { host, port } => *host == var || *port == var,
        })
    })
}

/// The key named `name` (`monitor.interval`).
pub fn by_name(name: &str) -> Option<&'static KeyDef> {
    ALL.iter().copied().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn names_flags_and_help_places_are_unique_and_sections_known() {
        let mut names = BTreeSet::new();
        let mut flags = BTreeSet::new();
        let mut orders = BTreeSet::new();
        for k in ALL {
            assert!(names.insert(k.name), "{} declared twice", k.name);
            assert!(
                SECTIONS.contains(&k.section()),
                "{}: unknown section",
                k.name
            );
            assert!(k.env_name().starts_with("BANDWATCH_"), "{}", k.name);
            for f in k.flags {
                assert!(flags.insert(f.name), "{} used twice", f.name);
                assert!(orders.insert(f.order), "{}: help place taken", f.name);
                assert!(!f.help.ends_with('.'), "{}: clap adds no full stop", f.name);
            }
        }
    }

    #[test]
    fn seed_lookalikes_are_recognised_and_known_names_are_not() {
        let known: Vec<&str> = seed_env_names().collect();
        for name in [
            "BANDWIDTH_THRESHOLD_MBPS",
            "NETWORK_CHECK_INTERVAL",
            "LOG_LEVEL",
            "LOG_FILE",
            "DASHBOARD_AUTO_REFRESH",
            "EMAIL_PASSWORD",
            "DATA_RATE_THRESHOLD",
        ] {
            assert!(known.contains(&name), "{name} is a known seed name");
        }
        for (var, in_dotenv) in [
            ("DASHBOARD_THEME", false),
            ("EMAIL_SENDER", false),
            ("BANDWITH_THRESHOLD_MBPS", false),
            ("CPU_TRESHOLD_PERCENT", false),
            ("LOG_FORMAT", true),
            ("MEMORY_LIMIT", true),
        ] {
            assert!(looks_like_seed_env(var, in_dotenv), "{var}");
        }
        for (var, in_dotenv) in [
            ("PATH", false),
            ("HOME", false),
            ("MEMORY_PRESSURE_WATCH", false),
            ("SYSTEMD_EXEC_PID", false),
            ("LOG_FORMAT", false),
            ("INVOCATION_ID", false),
            ("XDG_RUNTIME_DIR", true),
        ] {
            assert!(!looks_like_seed_env(var, in_dotenv), "{var}");
        }
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("abc", "acb"), 1);
        assert_eq!(edit_distance("", "ab"), 2);
    }

    #[test]
    fn sections_of_one_key_are_declared_together() {
        let mut seen: Vec<&str> = Vec::new();
        for k in ALL {
            if seen.last() != Some(&k.section()) {
                assert!(
                    !seen.contains(&k.section()),
                    "{} is apart from its section",
                    k.name
                );
                seen.push(k.section());
            }
        }
        let file_order: Vec<&str> = SECTIONS
            .iter()
            .copied()
            .filter(|s| seen.contains(s))
            .collect();
        assert_eq!(seen, file_order, "keys follow the order of SECTIONS");
    }
}
