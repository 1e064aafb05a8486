//! The command-line layer: every flag of the key table, added to clap's command and read
//! back into a layer.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};

use super::key::{Flag, KeyDef, Kind, Value};
use super::keys;
use super::layer::RawConfig;
use super::origin::{Origin, Setting};

/// The flags the key table declares, as given on the command line.
#[derive(Debug, Default, Clone)]
pub struct KeyFlags {
    given: Vec<(&'static KeyDef, Setting<Value>)>,
}

impl KeyFlags {
    /// Whether the switch `name` (`--json`) was given.
    pub fn switched(&self, name: &str) -> bool {
        self.given
            .iter()
            .any(|(_, s)| matches!(s.origin, Origin::Flag(f) if f == name))
    }

    /// What the flags set, as a layer.
    pub fn layer(&self) -> RawConfig {
        let mut raw = RawConfig::default();
        for (key, value) in &self.given {
            raw.set(key, value.clone());
        }
        raw
    }
}

/// Every flag with its key.
fn flagged() -> impl Iterator<Item = (&'static KeyDef, &'static Flag)> {
    keys::ALL
        .iter()
        .flat_map(|k| k.flags.iter().map(move |f| (*k, f)))
}

/// The clap argument of a flag: typed as its key's kind, so a malformed number is refused
/// by clap naming the flag.
fn arg(key: &'static KeyDef, flag: &'static Flag) -> Arg {
    let mut arg = Arg::new(flag.long())
        .long(flag.long())
        .global(true)
        .help(flag.help)
        .display_order(flag.order)
        .hide_short_help(flag.hidden_in_short_help);
    // Two switches of one key (`--json`, `--quiet`) cannot both be meant.
    for other in key.flags.iter().filter(|o| o.name != flag.name) {
        arg = arg.conflicts_with(other.long());
    }
    if flag.sets.is_some() {
        return arg.action(ArgAction::SetTrue);
    }
    let arg = arg.value_name(flag.value_name);
    match key.kind {
        Kind::Number => arg.value_parser(clap::value_parser!(f64)),
        Kind::Whole => arg.value_parser(clap::value_parser!(i64)),
        Kind::Path => arg.value_parser(clap::value_parser!(PathBuf)),
        Kind::List => arg.action(ArgAction::Append),
        Kind::Switch | Kind::Text | Kind::Targets => arg,
    }
}

/// The value a flag was given, if it was.
fn read(
    m: &ArgMatches,
    key: &'static KeyDef,
    flag: &'static Flag,
) -> Option<Result<Setting<Value>, clap::Error>> {
    let id = flag.long();
    let origin = Origin::Flag(flag.name);
    if let Some(sets) = flag.sets {
        let given = m.get_flag(id);
        return given.then(|| {
            super::env::parse(key, sets, &origin)
                .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e.to_string()))
        });
    }
    let value = match key.kind {
        Kind::Number => Value::Number(*m.get_one::<f64>(id)?),
        Kind::Whole => Value::Whole(*m.get_one::<i64>(id)?),
        Kind::Path => Value::Path(m.get_one::<PathBuf>(id)?.clone()),
        Kind::List => Value::List(m.get_many::<String>(id)?.cloned().collect()),
        Kind::Switch | Kind::Text | Kind::Targets => Value::Text(m.get_one::<String>(id)?.clone()),
    };
    Some(Ok(Setting::new(value, origin)))
}

impl clap::FromArgMatches for KeyFlags {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = Self::default();
        flags.update_from_arg_matches(m)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        for (key, flag) in flagged() {
            if let Some(value) = read(m, key, flag) {
                self.given.retain(|(k, _)| k.name != key.name);
                self.given.push((key, value?));
            }
        }
        Ok(())
    }
}

impl clap::Args for KeyFlags {
    fn augment_args(cmd: Command) -> Command {
        flagged().fold(cmd, |cmd, (key, flag)| cmd.arg(arg(key, flag)))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}
