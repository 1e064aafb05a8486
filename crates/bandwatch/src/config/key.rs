//! What a configuration key is: its dotted name, the raw type the layers give, its default,
//! the environment variables and flags that set it, how `config check` shows it, and the
//! check that turns the raw value into the typed one. Every key is declared once, in
//! `keys.rs`; the file, environment and flag layers, the validation and `config check` all
//! read that declaration.

use std::path::PathBuf;

use super::error::ConfigError;
use super::origin::Setting;
use super::probe::TargetTable;
use bandwatch_collect::devices::KnownEntry;

/// The shape of a raw value, before validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A number (`1`, `0.5`).
    Number,
    /// A whole number.
    Whole,
    /// true or false.
    Switch,
    /// A string.
    Text,
    /// A file or directory.
    Path,
    /// A list of strings (comma-separated in the environment).
    List,
    /// Probe targets: specs or `[[probe.targets]]` tables.
    Targets,
    /// Known LAN devices: `[[devices.known]]` tables.
    Known,
}

/// A raw value as one layer gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// [`Kind::Number`].
    Number(f64),
    /// [`Kind::Whole`].
    Whole(i64),
    /// [`Kind::Switch`].
    Switch(bool),
    /// [`Kind::Text`].
    Text(String),
    /// [`Kind::Path`].
    Path(PathBuf),
    /// [`Kind::List`].
    List(Vec<String>),
    /// [`Kind::Targets`], each target with where it was written.
    Targets(Vec<Setting<TargetTable>>),
    /// [`Kind::Known`], each device with where it was written.
    Known(Vec<Setting<KnownEntry>>),
}

impl Value {
    /// The kind of this value.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Number(_) => Kind::Number,
            Self::Whole(_) => Kind::Whole,
            Self::Switch(_) => Kind::Switch,
            Self::Text(_) => Kind::Text,
            Self::Path(_) => Kind::Path,
            Self::List(_) => Kind::List,
            Self::Targets(_) => Kind::Targets,
            Self::Known(_) => Kind::Known,
        }
    }
}

/// A Rust type a raw value of one kind converts to.
pub trait Raw: Sized {
    /// The kind of raw value this type is read from.
    const KIND: Kind;
    /// The value, when it is of this kind.
    fn from_value(v: Value) -> Option<Self>;
}

macro_rules! raw {
    ($($ty:ty => $kind:ident),* $(,)?) => {$(
        impl Raw for $ty {
            const KIND: Kind = Kind::$kind;
            fn from_value(v: Value) -> Option<Self> {
                match v {
                    Value::$kind(x) => Some(x),
                    _ => None,
                }
            }
        }
    )*};
}

raw! {
    f64 => Number,
    i64 => Whole,
    bool => Switch,
    String => Text,
    PathBuf => Path,
    Vec<String> => List,
    Vec<Setting<TargetTable>> => Targets,
    Vec<Setting<KnownEntry>> => Known,
}

/// An environment variable that sets a key; the first one set (and not empty) wins.
#[derive(Debug, Clone, Copy)]
pub enum Env {
    /// The value as text.
    Var(&'static str),
    /// A number of minutes (the seed tool's `ALERT_COOLDOWN_MINUTES`).
    Minutes(&'static str),
    /// A rate in bytes per second for a key in megabits per second (the spike monitor's
    /// `DATA_RATE_THRESHOLD`).
    BytesPerSecond(&'static str),
    /// The host and the port of an address in two variables, either of which may be missing
    /// (the seed tool's `DASHBOARD_HOST` and `DASHBOARD_PORT`); the missing half comes from
    /// the key's default.
    HostPort {
        /// The variable holding the host.
        host: &'static str,
        /// The variable holding the port.
        port: &'static str,
    },
}

/// A command-line flag that sets a key.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The flag as typed, e.g. `--interval`.
    pub name: &'static str,
    /// The placeholder shown in `--help` (`SECONDS`); empty for a switch.
    pub value_name: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
    /// Its place in `--help`, which groups flags by what people reach for first rather
    /// than by section.
    pub order: usize,
    /// For a switch: the value it sets, written as the environment would write it.
    pub sets: Option<&'static str>,
    /// Whether `-h` (the short help) leaves it out.
    pub hidden_in_short_help: bool,
}

impl Flag {
    /// A flag that takes a value (repeatable when the key is a list).
    pub const fn value(
        order: usize,
        name: &'static str,
        value_name: &'static str,
        help: &'static str,
    ) -> Self {
        Self {
            name,
            value_name,
            help,
            order,
            sets: None,
            hidden_in_short_help: false,
        }
    }

    /// A switch that sets the key to `sets`.
    pub const fn switch(
        order: usize,
        name: &'static str,
        sets: &'static str,
        help: &'static str,
    ) -> Self {
        Self {
            name,
            value_name: "",
            help,
            order,
            sets: Some(sets),
            hidden_in_short_help: false,
        }
    }

    /// The same flag, shown only by `--help` (for containers and tests).
    pub const fn long_help_only(mut self) -> Self {
        self.hidden_in_short_help = true;
        self
    }

    /// The flag without its dashes, as clap names it.
    pub fn long(&self) -> &'static str {
        self.name.trim_start_matches('-')
    }
}

/// How `config check` shows a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// As it is.
    Plain,
    /// As `"***"`: a password or token.
    Secret,
    /// A URL with its password replaced by `***`.
    RedactedUrl,
}

/// Everything about a key except its validated type.
#[derive(Debug)]
pub struct KeyDef {
    /// Dotted name in the TOML file, e.g. `monitor.interval`.
    pub name: &'static str,
    /// The raw type.
    pub kind: Kind,
    /// The built-in default, written as the environment would write it; `None`: not set.
    pub default: Option<&'static str>,
    /// The environment variables that set it, in the order they are tried.
    pub env: &'static [Env],
    /// The flags that set it.
    pub flags: &'static [Flag],
    /// What a good value looks like, for a value from the environment that is not one.
    pub hint: &'static str,
    /// How `config check` shows it.
    pub show: Show,
}

impl KeyDef {
    /// The file section (`monitor`).
    pub fn section(&self) -> &'static str {
        self.name.split_once('.').map_or("", |(s, _)| s)
    }

    /// The name within the section (`interval`).
    pub fn field(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(_, f)| f)
    }

    /// The `BANDWATCH_*` variable, for messages and the documentation.
    pub fn env_name(&self) -> &'static str {
        self.env
            .iter()
            .find_map(|e| match e {
                Env::Var(v) if v.starts_with("BANDWATCH_") => Some(*v),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The flag, for messages (`--influxdb-token`).
    pub fn flag_name(&self) -> Option<&'static str> {
        self.flags.first().map(|f| f.name)
    }
}

/// The check that turns a raw `T` into the validated `U`; it gets the key's name for its
/// messages.
pub type Check<T, U> = fn(&Setting<T>, &'static str) -> Result<U, ConfigError>;

/// A key whose raw value is a `T` and whose validated value is a `U`.
pub struct Key<T, U = T> {
    /// The declaration.
    pub def: KeyDef,
    check: Check<T, U>,
}

// The signature is the one every check has.
#[allow(clippy::unnecessary_wraps)]
fn as_given<T: Clone>(s: &Setting<T>, _key: &'static str) -> Result<T, ConfigError> {
    Ok(s.value.clone())
}

#[allow(clippy::mismatching_type_param_order)] // a key taken as given: raw and validated alike
impl<T: Raw + Clone> Key<T, T> {
    /// A key with no default, no environment variable, no flag, taken as given.
    pub const fn new(name: &'static str) -> Self {
        Self {
            def: KeyDef {
                name,
                kind: T::KIND,
                default: None,
                env: &[],
                flags: &[],
                hint: "",
                show: Show::Plain,
            },
            check: as_given::<T>,
        }
    }
}

impl<T, U> Key<T, U> {
    /// With a built-in default, written as the environment would write it.
    pub const fn default(mut self, text: &'static str) -> Self {
        self.def.default = Some(text);
        self
    }

    /// Set by these environment variables.
    pub const fn env(mut self, env: &'static [Env]) -> Self {
        self.def.env = env;
        self
    }

    /// Set by these flags.
    pub const fn flags(mut self, flags: &'static [Flag]) -> Self {
        self.def.flags = flags;
        self
    }

    /// What a good value looks like (`megabits per second, e.g. 50`).
    pub const fn hint(mut self, hint: &'static str) -> Self {
        self.def.hint = hint;
        self
    }

    /// Shown as `"***"` by `config check`.
    pub const fn secret(mut self) -> Self {
        self.def.show = Show::Secret;
        self
    }

    /// Shown by `config check` with the password of the URL hidden.
    pub const fn redacted_url(mut self) -> Self {
        self.def.show = Show::RedactedUrl;
        self
    }

    /// Validated by `check` into a `V`.
    pub const fn check<V>(self, check: Check<T, V>) -> Key<T, V> {
        Key {
            def: self.def,
            check,
        }
    }

    /// Runs the check.
    pub fn validate(&self, s: &Setting<T>) -> Result<U, ConfigError> {
        (self.check)(s, self.def.name)
    }
}
