//! Turning the layered raw values into the validated [`Config`]: each section takes its keys
//! (each checked as its declaration says), then the checks that span keys run (probe
//! timing, the InfluxDB API, rule and channel names).

use super::error::ConfigError;
use super::layer::{Layers, RawConfig};
use super::{calendar, devices, export, probe, web};
use super::{Config, LogConfig, MonitorConfig, Paths, StoreConfig, SystemSettings, Thresholds};

/// Validates every key; the first problem found is returned.
pub fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
    let mut l = Layers(raw);
    let thresholds = Thresholds::take(&mut l)?;
    let system = SystemSettings::take(&mut l)?;
    let mut probe = probe::ProbeSettings::take(&mut l)?;
    let prometheus = export::PrometheusSettings::take(&mut l)?;
    let influxdb = export::InfluxSettings::take(&mut l)?;
    let web = web::WebSettings::take(&mut l)?;
    let devices = devices::DevicesSettings::take(&mut l)?;
    // A registered device with `probe = true` is also a probe target, so one device has both
    // its bandwidth and its reachability.
    probe.add_known_devices(&devices.registry);
    let monitor = MonitorConfig::take(&mut l)?;
    let output = l.get(&super::keys::OUTPUT)?;
    let store = StoreConfig::take(&mut l)?;
    let log = LogConfig::take(&mut l)?;
    let paths = Paths::take(&mut l)?;
    let caps = super::caps::validate(l.0.caps.take())?;
    let calendar = calendar::CalendarSettings::take(&mut l)?;
    let builtins = super::rules::BuiltinInputs {
        thresholds: &thresholds,
        system: &system,
        probe: &probe,
        devices: &devices,
        caps: &caps,
    };
    let rules = super::rules::validate(l.0.rules.take(), &builtins)?;
    let notify = super::notify::validate(l.0.notify.take(), l.0.seed_email.take())?;
    let reports = super::reports::validate(l.0.reports.take(), &notify)?;
    debug_assert!(
        l.0.values.is_empty(),
        "not validated: {:?}",
        l.0.values.keys()
    );
    Ok(Config {
        monitor,
        thresholds,
        output,
        store,
        log,
        paths,
        rules,
        notify,
        system,
        probe,
        prometheus,
        influxdb,
        web,
        devices,
        caps,
        calendar,
        reports,
    })
}
