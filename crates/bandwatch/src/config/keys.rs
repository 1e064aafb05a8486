//! Every configuration key once: its place in the file, its environment variable and flag.
//! Error messages and `config check` read this table, so names never drift apart.

/// One configurable key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Dotted name in the TOML file, e.g. `monitor.interval`.
    pub file: &'static str,
    /// Environment variable, e.g. `BANDWATCH_INTERVAL`.
    pub env: &'static str,
    /// True for values that must never be printed or logged.
    pub secret: bool,
}

macro_rules! keys {
    ($($name:ident = $file:literal, $env:literal $(, $secret:ident)?;)*) => {
        $(
            #[doc = concat!("The `", $file, "` key.")]
            pub const $name: Key = Key { file: $file, env: $env, secret: keys!(@secret $($secret)?) };
        )*
        /// All keys, in the order `config check` prints them.
        pub const ALL: &[Key] = &[$($name),*];
    };
    (@secret secret) => { true };
    (@secret) => { false };
}

keys! {
    INTERVAL = "monitor.interval", "BANDWATCH_INTERVAL";
    DURATION = "monitor.duration", "BANDWATCH_DURATION";
    INTERFACES = "monitor.interfaces", "BANDWATCH_INTERFACES";
    EXCLUDE = "monitor.exclude", "BANDWATCH_EXCLUDE";
    LOOPBACK_IN_TOTAL = "monitor.loopback_in_total", "BANDWATCH_LOOPBACK_IN_TOTAL";
    UPLOAD = "thresholds.upload_mbps", "BANDWATCH_UPLOAD_THRESHOLD";
    DOWNLOAD = "thresholds.download_mbps", "BANDWATCH_DOWNLOAD_THRESHOLD";
    COOLDOWN = "thresholds.cooldown", "BANDWATCH_COOLDOWN";
    CPU = "thresholds.cpu_percent", "BANDWATCH_CPU_THRESHOLD";
    MEMORY = "thresholds.memory_percent", "BANDWATCH_MEMORY_THRESHOLD";
    DISK = "thresholds.disk_percent", "BANDWATCH_DISK_THRESHOLD";
    OUTPUT = "output.format", "BANDWATCH_OUTPUT";
    DB = "store.path", "BANDWATCH_DB";
    RAW_RETENTION = "store.raw_retention", "BANDWATCH_RAW_RETENTION";
    MINUTE_RETENTION = "store.minute_retention", "BANDWATCH_MINUTE_RETENTION";
    HOUR_RETENTION = "store.hour_retention", "BANDWATCH_HOUR_RETENTION";
    FLUSH_INTERVAL = "store.flush_interval", "BANDWATCH_FLUSH_INTERVAL";
    LOG_LEVEL = "log.level", "BANDWATCH_LOG_LEVEL";
    LOG_FILE = "log.file", "BANDWATCH_LOG_FILE";
    PROC_ROOT = "paths.proc_root", "BANDWATCH_PROC_ROOT";
    SYS_ROOT = "paths.sys_root", "BANDWATCH_SYS_ROOT";
    SYSTEM_ENABLED = "system.enabled", "BANDWATCH_SYSTEM";
    SYSTEM_INTERVAL = "system.interval", "BANDWATCH_SYSTEM_INTERVAL";
    PROBE_TARGETS = "probe.targets", "BANDWATCH_TARGETS";
    PROBE_INTERVAL = "probe.interval", "BANDWATCH_PROBE_INTERVAL";
    PROBE_TIMEOUT = "probe.timeout", "BANDWATCH_PROBE_TIMEOUT";
    PROBE_COUNT = "probe.count", "BANDWATCH_PROBE_COUNT";
    PROBE_DOWN_AFTER = "probe.down_after", "BANDWATCH_PROBE_DOWN_AFTER";
    PROBE_FLAP_CHANGES = "probe.flap_changes", "BANDWATCH_PROBE_FLAP_CHANGES";
    PROBE_FLAP_WINDOW = "probe.flap_window", "BANDWATCH_PROBE_FLAP_WINDOW";
    PROBE_RTT_LIMIT = "probe.rtt_limit", "BANDWATCH_PROBE_RTT_LIMIT";
    PROBE_LOSS_LIMIT = "probe.loss_limit", "BANDWATCH_PROBE_LOSS_LIMIT";
    STORE_URL = "store.url", "BANDWATCH_STORE";
    STORE_OPTIONAL = "store.optional", "BANDWATCH_STORE_OPTIONAL";
    PROMETHEUS = "prometheus.enabled", "BANDWATCH_PROMETHEUS";
    PROMETHEUS_PORT = "prometheus.port", "BANDWATCH_PROMETHEUS_PORT";
    PROMETHEUS_BIND = "prometheus.bind", "BANDWATCH_PROMETHEUS_BIND";
    INFLUXDB = "influxdb.enabled", "BANDWATCH_INFLUXDB";
    INFLUXDB_URL = "influxdb.url", "BANDWATCH_INFLUXDB_URL";
    INFLUXDB_TOKEN = "influxdb.token", "BANDWATCH_INFLUXDB_TOKEN", secret;
    INFLUXDB_ORG = "influxdb.org", "BANDWATCH_INFLUXDB_ORG";
    INFLUXDB_BUCKET = "influxdb.bucket", "BANDWATCH_INFLUXDB_BUCKET";
    INFLUXDB_DATABASE = "influxdb.database", "BANDWATCH_INFLUXDB_DATABASE";
    INFLUXDB_USERNAME = "influxdb.username", "BANDWATCH_INFLUXDB_USERNAME";
    INFLUXDB_PASSWORD = "influxdb.password", "BANDWATCH_INFLUXDB_PASSWORD", secret;
    INFLUXDB_BUFFER_DIR = "influxdb.buffer_dir", "BANDWATCH_INFLUXDB_BUFFER_DIR";
    INFLUXDB_BUFFER_MB = "influxdb.buffer_max_mb", "BANDWATCH_INFLUXDB_BUFFER_MB";
    WEB_ENABLED = "web.enabled", "BANDWATCH_WEB";
    WEB_LISTEN = "web.listen", "BANDWATCH_WEB_LISTEN";
    WEB_TOKEN = "web.token", "BANDWATCH_WEB_TOKEN", secret;
    WEB_AUTO_REFRESH = "web.auto_refresh", "BANDWATCH_WEB_AUTO_REFRESH";
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

/// Finds a key by its environment variable.
pub fn by_env(var: &str) -> Option<Key> {
    ALL.iter().copied().find(|k| k.env == var)
}
