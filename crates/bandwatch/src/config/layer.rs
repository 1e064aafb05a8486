//! A partial configuration: what one layer (defaults, file, environment, flags) says.
//! Layers are overlaid, then validated once into [`super::Config`].

use std::collections::BTreeMap;

use bandwatch_engine::RuleSpec;

use super::error::ConfigError;
use super::key::{Key, KeyDef, Raw, Value};
use super::keys;
use super::notify::{ChannelTable, NotifySection};
use super::origin::{Origin, Setting};

/// The raw value of every key a layer sets, by dotted name.
pub type Values = BTreeMap<&'static str, Setting<Value>>;

/// What one layer sets; a key it does not set is left to a lower layer.
#[derive(Debug, Default, Clone)]
pub struct RawConfig {
    /// The keys of the table.
    pub values: Values,
    /// `[[rules]]` (file only).
    pub rules: Option<Setting<Vec<Setting<RuleSpec>>>>,
    /// `[[caps]]` (file only).
    pub caps: Option<Setting<Vec<Setting<super::caps::CapTable>>>>,
    /// `[[reports]]` (file only).
    pub reports: Option<Setting<Vec<Setting<super::reports::ReportTable>>>>,
    /// `[notify]` (file only).
    pub notify: Option<Setting<NotifySection>>,
    /// The email channel of the seed tool's `SMTP_*` variables (environment only).
    pub seed_email: Option<Setting<ChannelTable>>,
}

impl RawConfig {
    /// Sets a key.
    pub fn set(&mut self, key: &'static KeyDef, value: Setting<Value>) {
        debug_assert_eq!(
            key.kind,
            value.value.kind(),
            "{} given a value of the wrong kind",
            key.name
        );
        self.values.insert(key.name, value);
    }

    /// This layer with `top` laid over it: every value `top` sets wins.
    #[must_use]
    pub fn overlay(mut self, top: RawConfig) -> RawConfig {
        self.values.extend(top.values);
        RawConfig {
            values: self.values,
            rules: top.rules.or(self.rules),
            caps: top.caps.or(self.caps),
            reports: top.reports.or(self.reports),
            notify: top.notify.or(self.notify),
            seed_email: top.seed_email.or(self.seed_email),
        }
    }

    /// Takes the raw value of `key`, if some layer set it.
    pub fn take<T: Raw, U>(&mut self, key: &Key<T, U>) -> Option<Setting<T>> {
        let s = self.values.remove(key.def.name)?;
        match T::from_value(s.value) {
            Some(v) => Some(Setting::new(v, s.origin)),
            None => unreachable!("every layer gives {} as a {:?}", key.def.name, key.def.kind),
        }
    }
}

/// The built-in defaults as a layer, read from the table as the environment would give them.
pub fn defaults() -> RawConfig {
    let mut raw = RawConfig::default();
    for key in keys::ALL {
        if let Some(text) = key.default {
            match super::env::parse(key, text, &Origin::Default) {
                Ok(v) => raw.set(key, v),
                Err(e) => unreachable!("the default of {} is valid: {e}", key.name),
            }
        }
    }
    raw
}

/// The merged layers, taken key by key by the sections of the configuration.
pub struct Layers(pub RawConfig);

impl Layers {
    /// The checked value of `key` with where it was set, if some layer set it.
    pub fn setting<T: Raw, U>(
        &mut self,
        key: &Key<T, U>,
    ) -> Result<Option<Setting<U>>, ConfigError> {
        let Some(raw) = self.0.take(key) else {
            return Ok(None);
        };
        key.validate(&raw)
            .map(|v| Some(Setting::new(v, raw.origin)))
    }

    /// The checked value of an optional key.
    pub fn opt<T: Raw, U>(&mut self, key: &Key<T, U>) -> Result<Option<U>, ConfigError> {
        Ok(self.setting(key)?.map(|s| s.value))
    }

    /// The checked value of a key with a default, with where it was set.
    pub fn required<T: Raw, U>(&mut self, key: &Key<T, U>) -> Result<Setting<U>, ConfigError> {
        match self.setting(key)? {
            Some(s) => Ok(s),
            None => unreachable!("the defaults layer sets {}", key.def.name),
        }
    }

    /// The checked value of a key with a default.
    pub fn get<T: Raw, U>(&mut self, key: &Key<T, U>) -> Result<U, ConfigError> {
        Ok(self.required(key)?.value)
    }
}
