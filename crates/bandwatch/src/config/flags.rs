//! The command-line layer: the flags of the key table, each command taking its own set of
//! them (a [`FlagScope`]), added to clap's command and read back into a layer.

use std::marker::PhantomData;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};

use super::key::{Flag, KeyDef, Kind, Value};
use super::keys;
use super::layer::RawConfig;
use super::origin::{Origin, Setting};

/// The key flags a command takes.
pub trait FlagScope {
    /// The flags as typed (`--json`); `None`: every flag of the key table.
    const FLAGS: Option<&'static [&'static str]>;
    /// Help lines that differ from the key table's for this command (`--json` of a command
    /// that prints one document rather than one object per tick).
    const HELP: &'static [(&'static str, &'static str)] = &[];
    /// Whether the flags may also follow the command's own subcommands
    /// (`alerts silence … --db h.db`).
    const TO_SUBCOMMANDS: bool = false;
}

/// Whether the scope `S` takes `flag`.
fn in_scope<S: FlagScope>(flag: &Flag) -> bool {
    S::FLAGS.is_none_or(|names| names.contains(&flag.name))
}

/// The key flags given on the command line, whichever command took them.
#[derive(Debug, Default, Clone)]
pub struct FlagValues {
    given: Vec<(&'static KeyDef, Setting<Value>)>,
    /// The flags the command takes (`None`: all).
    scope: Option<&'static [&'static str]>,
}

impl FlagValues {
    /// These flags with `earlier` ones (given before the command's name, `bandwatch --json
    /// stats`) added where the command takes them and did not get them itself; the first
    /// one it does not take is returned as the error.
    pub fn after(&self, earlier: &FlagValues) -> Result<FlagValues, &'static str> {
        let mut out = self.clone();
        for (key, setting) in &earlier.given {
            let Origin::Flag(name) = setting.origin else {
                continue;
            };
            if self.scope.is_some_and(|names| !names.contains(&name)) {
                return Err(name);
            }
            if !out.given.iter().any(|(k, _)| k.name == key.name) {
                out.given.push((key, setting.clone()));
            }
        }
        Ok(out)
    }

    /// Whether the switch `name` (`--json`) was given.
    pub fn switched(&self, name: &str) -> bool {
        self.given
            .iter()
            .any(|(_, s)| matches!(s.origin, Origin::Flag(f) if f == name))
    }

    /// The path the flag `name` (`--proc-root`) was given, if it was.
    pub fn path(&self, name: &str) -> Option<&std::path::Path> {
        self.given
            .iter()
            .find_map(|(_, s)| match (&s.origin, &s.value) {
                (Origin::Flag(f), Value::Path(p)) if *f == name => Some(p.as_path()),
                _ => None,
            })
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

/// The flags of scope `S`, for a command's clap arguments (`#[command(flatten)]`).
pub struct KeyFlags<S> {
    values: FlagValues,
    scope: PhantomData<S>,
}

impl<S> std::fmt::Debug for KeyFlags<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.values.fmt(f)
    }
}

impl<S: FlagScope> Default for KeyFlags<S> {
    fn default() -> Self {
        Self {
            values: FlagValues {
                given: Vec::new(),
                scope: S::FLAGS,
            },
            scope: PhantomData,
        }
    }
}

impl<S> std::ops::Deref for KeyFlags<S> {
    type Target = FlagValues;

    fn deref(&self) -> &FlagValues {
        &self.values
    }
}

/// Every flag with its key.
fn flagged() -> impl Iterator<Item = (&'static KeyDef, &'static Flag)> {
    keys::ALL
        .iter()
        .flat_map(|k| k.flags.iter().map(move |f| (*k, f)))
}

/// The clap argument of a flag: typed as its key's kind, so a malformed number is refused
/// by clap naming the flag. `help` is the command's own wording, if it has one.
fn arg(key: &'static KeyDef, flag: &'static Flag, help: &'static str, taken: &[&str]) -> Arg {
    let mut arg = Arg::new(flag.long())
        .long(flag.long())
        .help(help)
        .display_order(flag.order)
        .hide_short_help(flag.hidden_in_short_help);
    // Two switches of one key (`--json`, `--quiet`) cannot both be meant.
    for other in key.flags.iter().filter(|o| o.name != flag.name) {
        if taken.contains(&other.name) {
            arg = arg.conflicts_with(other.long());
        }
    }
    if flag.sets.is_some() {
        return arg.action(ArgAction::SetTrue);
    }
    let arg = arg.value_name(flag.value_name);
    match key.kind {
        // `--interval -1` reaches the key's check, whose message names the key, rather than
        // being taken for an unknown flag.
        Kind::Number => arg
            .allow_negative_numbers(true)
            .value_parser(clap::value_parser!(f64)),
        Kind::Whole => arg
            .allow_negative_numbers(true)
            .value_parser(clap::value_parser!(i64)),
        Kind::Path => arg.value_parser(clap::value_parser!(PathBuf)),
        Kind::List => arg.action(ArgAction::Append),
        Kind::Switch | Kind::Text | Kind::Targets | Kind::Known => arg,
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
        Kind::Switch | Kind::Text | Kind::Targets | Kind::Known => {
            Value::Text(m.get_one::<String>(id)?.clone())
        }
    };
    Some(Ok(Setting::new(value, origin)))
}

/// The flags of scope `S`, with their keys.
fn scoped<S: FlagScope>() -> impl Iterator<Item = (&'static KeyDef, &'static Flag)> {
    flagged().filter(|(_, f)| in_scope::<S>(f))
}

impl<S: FlagScope> clap::FromArgMatches for KeyFlags<S> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = Self::default();
        flags.update_from_arg_matches(m)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        for (key, flag) in scoped::<S>() {
            if let Some(value) = read(m, key, flag) {
                self.values.given.retain(|(k, _)| k.name != key.name);
                self.values.given.push((key, value?));
            }
        }
        Ok(())
    }
}

impl<S: FlagScope> clap::Args for KeyFlags<S> {
    fn augment_args(cmd: Command) -> Command {
        let taken: Vec<&str> = scoped::<S>().map(|(_, f)| f.name).collect();
        scoped::<S>().fold(cmd, |cmd, (key, flag)| {
            let help = S::HELP
                .iter()
                .find(|(name, _)| *name == flag.name)
                .map_or(flag.help, |(_, h)| *h);
            cmd.arg(arg(key, flag, help, &taken).global(S::TO_SUBCOMMANDS))
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

/// Whether `name` is a flag of the key table (for the tests of each command's scope).
#[cfg(test)]
pub fn is_key_flag(name: &str) -> bool {
    flagged().any(|(_, f)| f.name == name)
}
