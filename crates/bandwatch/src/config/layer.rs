//! A partial configuration: what one layer (defaults, file, environment, flags) says.
//! Layers are overlaid, then validated once into [`super::Config`].

use std::path::PathBuf;

use bandwatch_engine::RuleSpec;

use super::origin::Setting;

macro_rules! raw_config {
    ($($field:ident : $ty:ty),* $(,)?) => {
        /// What one layer sets; `None` leaves the value to a lower layer.
        #[derive(Debug, Default, Clone)]
        pub struct RawConfig {
            $(
                #[doc = concat!("The `", stringify!($field), "` setting, if this layer sets it.")]
                pub $field: Option<Setting<$ty>>,
            )*
        }

        impl RawConfig {
            /// This layer with `top` laid over it: every value `top` sets wins.
            #[must_use]
            pub fn overlay(self, top: RawConfig) -> RawConfig {
                RawConfig { $($field: top.$field.or(self.$field),)* }
            }
        }
    };
}

raw_config! {
    interval: f64,
    duration: f64,
    interfaces: Vec<String>,
    exclude: Vec<String>,
    loopback_in_total: bool,
    upload_mbps: f64,
    download_mbps: f64,
    cooldown: String,
    cpu_percent: f64,
    memory_percent: f64,
    disk_percent: f64,
    output: String,
    db_path: PathBuf,
    raw_retention: String,
    minute_retention: String,
    hour_retention: String,
    flush_interval: String,
    log_level: String,
    log_file: PathBuf,
    proc_root: PathBuf,
    sys_root: PathBuf,
    system_enabled: bool,
    system_interval: String,
    probe_targets: Vec<Setting<super::probe::TargetTable>>,
    probe_interval: String,
    probe_timeout: String,
    probe_count: i64,
    probe_down_after: i64,
    probe_flap_changes: i64,
    probe_flap_window: String,
    probe_rtt_limit: String,
    probe_loss_limit: f64,
    store_url: String,
    store_optional: bool,
    prometheus: bool,
    prometheus_port: i64,
    prometheus_bind: String,
    influxdb: bool,
    influxdb_url: String,
    influxdb_token: String,
    influxdb_org: String,
    influxdb_bucket: String,
    influxdb_database: String,
    influxdb_username: String,
    influxdb_password: String,
    influxdb_buffer_dir: PathBuf,
    influxdb_buffer_mb: f64,
    web_enabled: bool,
    web_listen: String,
    web_token: String,
    web_auto_refresh: String,
    rules: Vec<Setting<RuleSpec>>,
    notify: super::notify::NotifySection,
    seed_email: super::notify::ChannelSpec,
}
