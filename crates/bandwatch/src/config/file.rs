//! The TOML file layer: finding the file and reading it with line numbers kept.

use std::ops::Range;
use std::path::{Path, PathBuf};

use bandwatch_collect::devices::KnownEntry;
use bandwatch_engine::RuleSpec;
use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::caps::CapTable;
use super::error::ConfigError;
use super::key::{KeyDef, Kind, Value};
use super::keys;
use super::layer::RawConfig;
use super::notify::{NotifyOrigins, NotifySection};
use super::origin::{KeyOrigins, Origin, Setting};
use super::probe::TargetEntry;
use super::reports::ReportTable;

/// Writes the system-wide config file's path where a literal is needed (the `--config`
/// help); [`SYSTEM_CONFIG`] everywhere else.
#[macro_export]
macro_rules! system_config {
    () => {
        "/etc/bandwatch/config.toml"
    };
}

/// The system-wide config file, the last place looked (the systemd unit points here).
pub const SYSTEM_CONFIG: &str = system_config!();

/// Which config file to read: the one given, or the first that exists of the usual places.
pub fn discover(
    given: Option<Setting<PathBuf>>,
    cwd: &Path,
    xdg_config_home: Option<PathBuf>,
) -> Option<Setting<PathBuf>> {
    if given.is_some() {
        return given;
    }
    let mut candidates = vec![cwd.join("bandwatch.toml")];
    if let Some(xdg) = xdg_config_home {
        candidates.push(xdg.join("bandwatch").join("config.toml"));
    }
    candidates.push(PathBuf::from(SYSTEM_CONFIG));
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .map(|p| Setting::new(p, Origin::Default))
}

/// Reads and parses the file into a layer.
pub fn load(file: &Setting<PathBuf>, cwd: &Path) -> Result<RawConfig, ConfigError> {
    let bytes = std::fs::read(cwd.join(&file.value)).map_err(|source| ConfigError::ReadFile {
        path: file.value.clone(),
        given_by: file.origin.clone(),
        source,
    })?;
    let path = shown(&file.value, cwd);
    let text = utf8(bytes, &path)?;
    parse(&text, &path)
}

/// The file's text, or an error saying where it stops being UTF-8: the file was found and
/// read, so the fault is its encoding, not its path.
fn utf8(bytes: Vec<u8>, path: &Path) -> Result<String, ConfigError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = &bytes[..offset];
        // One more piece than there are newlines: the 1-based line.
        let line = before.split(|&b| b == b'\n').count();
        ConfigError::NotUtf8 {
            path: path.to_path_buf(),
            offset,
            line,
            byte: bytes[offset],
        }
    })
}

/// The path as a person would type it: files in the working directory as `./name`.
pub fn shown(path: &Path, cwd: &Path) -> PathBuf {
    match path.strip_prefix(cwd) {
        Ok(rel) => Path::new(".").join(rel),
        Err(_) => path.to_path_buf(),
    }
}

/// Parses file text into a layer; `path` is only used in messages and origins. Each key is
/// looked up in the key table; an unknown one is refused with the keys its section has.
pub fn parse(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
    let fail = |span: Option<Range<usize>>, message: &str| {
        let (line, column) = span.map_or((1, 1), |s| line_col(text, s.start));
        ConfigError::File {
            path: path.to_path_buf(),
            line,
            column,
            message: message.trim().to_string(),
        }
    };
    let toml_error = |e: toml::de::Error| fail(e.span(), e.message());
    let at = |span: Range<usize>| Origin::File {
        path: path.to_path_buf(),
        line: line_col(text, span.start).0,
    };
    let doc = DeTable::parse(text).map_err(toml_error)?;
    let mut raw = RawConfig::default();
    for (name, value) in doc.into_inner() {
        match name.get_ref().as_ref() {
            "rules" => {
                let list: Spanned<Vec<Spanned<RuleSpec>>> = read(value).map_err(toml_error)?;
                let origin = at(list.span());
                let rules = list
                    .into_inner()
                    .into_iter()
                    .map(|r| take(r, &at))
                    .collect();
                raw.rules = Some(Setting::new(rules, origin));
            }
            "caps" => {
                let list: Spanned<Vec<Spanned<CapTable>>> = read(value).map_err(toml_error)?;
                let origin = at(list.span());
                let caps = list
                    .into_inner()
                    .into_iter()
                    .map(|c| take(c, &at))
                    .collect();
                raw.caps = Some(Setting::new(caps, origin));
            }
            "reports" => {
                let list: Spanned<Vec<Spanned<ReportTable>>> = read(value).map_err(toml_error)?;
                let origin = at(list.span());
                let reports = list
                    .into_inner()
                    .into_iter()
                    .map(|r| take(r, &at))
                    .collect();
                raw.reports = Some(Setting::new(reports, origin));
            }
            "notify" => {
                let origins = notify_origins(&value, &at);
                let mut section: Setting<NotifySection> =
                    take(read(value).map_err(toml_error)?, &at);
                section.value.origins = origins;
                raw.notify = Some(section);
            }
            section if keys::SECTIONS.contains(&section) => {
                let span = value.span();
                let DeValue::Table(table) = value.into_inner() else {
                    return Err(fail(
                        Some(span),
                        &format!("`{section}` must be a table, like [{section}]"),
                    ));
                };
                for (field, value) in table {
                    let key = keys::by_name(&format!("{section}.{}", field.get_ref())).ok_or_else(
                        || fail(Some(field.span()), &unknown_key(section, field.get_ref())),
                    )?;
                    raw.set(key, value_of(key, value, &at).map_err(toml_error)?);
                }
            }
            other => {
                return Err(fail(
                    Some(name.span()),
                    &unknown_field(other, keys::SECTIONS),
                ))
            }
        }
    }
    Ok(raw)
}

/// Where each key of `[notify]` and of each channel was written.
fn notify_origins(
    value: &Spanned<DeValue<'_>>,
    at: &impl Fn(Range<usize>) -> Origin,
) -> NotifyOrigins {
    let DeValue::Table(table) = value.get_ref() else {
        return NotifyOrigins::default();
    };
    let mut out = NotifyOrigins {
        keys: key_origins(table, at(value.span()), at),
        channels: Vec::new(),
    };
    let channels = table
        .iter()
        .find(|(k, _)| k.get_ref() == "channels")
        .map(|(_, v)| v.get_ref());
    if let Some(DeValue::Array(list)) = channels {
        for entry in list {
            out.channels.push(match entry.get_ref() {
                DeValue::Table(t) => key_origins(t, at(entry.span()), at),
                _ => KeyOrigins::default(),
            });
        }
    }
    out
}

/// Where each key of `table` (starting at `origin`) was written, and each key of the
/// tables one level down as `key.sub` (`match.iface`).
fn key_origins(
    table: &DeTable<'_>,
    origin: Origin,
    at: &impl Fn(Range<usize>) -> Origin,
) -> KeyOrigins {
    let mut out = KeyOrigins::at(origin);
    for (key, value) in table {
        out.insert(key.get_ref().as_ref(), at(key.span()));
        if let DeValue::Table(inner) = value.get_ref() {
            for (sub, _) in inner {
                out.insert(
                    format!("{}.{}", key.get_ref(), sub.get_ref()),
                    at(sub.span()),
                );
            }
        }
    }
    out
}

/// A value as the key's kind, with where it was written.
fn value_of(
    key: &KeyDef,
    value: Spanned<DeValue<'_>>,
    at: &impl Fn(Range<usize>) -> Origin,
) -> Result<Setting<Value>, toml::de::Error> {
    let typed = |s: Spanned<Value>| take(s, at);
    Ok(match key.kind {
        Kind::Number => typed(map(read::<Spanned<f64>>(value)?, Value::Number)),
        Kind::Whole => typed(map(read::<Spanned<i64>>(value)?, Value::Whole)),
        Kind::Switch => typed(map(read::<Spanned<bool>>(value)?, Value::Switch)),
        // A text key whose check also takes true or false (`web.auto_refresh`) may be
        // written as a TOML boolean.
        Kind::Text => match value.get_ref() {
            DeValue::Boolean(b) => typed(Spanned::new(value.span(), Value::Text(b.to_string()))),
            _ => typed(map(read::<Spanned<String>>(value)?, Value::Text)),
        },
        Kind::Path => typed(map(read::<Spanned<PathBuf>>(value)?, Value::Path)),
        Kind::List => typed(map(read::<Spanned<Vec<String>>>(value)?, Value::List)),
        Kind::Targets => {
            let list: Spanned<Vec<Spanned<TargetEntry>>> = read(value)?;
            let origin = at(list.span());
            let targets = list
                .into_inner()
                .into_iter()
                .map(|t| {
                    let origin = at(t.span());
                    Setting::new(t.into_inner().0, origin)
                })
                .collect();
            Setting::new(Value::Targets(targets), origin)
        }
        Kind::Known => {
            let list: Spanned<Vec<Spanned<KnownEntry>>> = read(value)?;
            let origin = at(list.span());
            let known = list.into_inner().into_iter().map(|d| take(d, at)).collect();
            Setting::new(Value::Known(known), origin)
        }
    })
}

fn read<'de, T: Deserialize<'de>>(value: Spanned<DeValue<'de>>) -> Result<T, toml::de::Error> {
    T::deserialize(ValueDeserializer::from(value))
}

fn map<T>(s: Spanned<T>, f: impl FnOnce(T) -> Value) -> Spanned<Value> {
    let span = s.span();
    Spanned::new(span, f(s.into_inner()))
}

fn take<T>(s: Spanned<T>, at: &impl Fn(Range<usize>) -> Origin) -> Setting<T> {
    let origin = at(s.span());
    Setting::new(s.into_inner(), origin)
}

/// The message for a key its section does not have, listing the keys it has.
fn unknown_key(section: &str, field: &str) -> String {
    let fields: Vec<&str> = keys::ALL
        .iter()
        .filter(|k| k.section() == section)
        .map(|k| k.field())
        .collect();
    unknown_field(field, &fields)
}

/// Worded as serde words it, so every unknown name in the file reads alike (the tables
/// inside sections are checked by serde itself).
fn unknown_field(field: &str, expected: &[&str]) -> String {
    let quoted: Vec<String> = expected.iter().map(|e| format!("`{e}`")).collect();
    match quoted.as_slice() {
        [] => format!("unknown field `{field}`, there are no fields"),
        [one] => format!("unknown field `{field}`, expected {one}"),
        [a, b] => format!("unknown field `{field}`, expected {a} or {b}"),
        all => format!(
            "unknown field `{field}`, expected one of {}",
            all.join(", ")
        ),
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_line() {
        let raw = parse("[monitor]\n\ninterval = 0.5\n", Path::new("b.toml")).unwrap();
        let s = &raw.values["monitor.interval"];
        assert_eq!(s.value, Value::Number(0.5));
        assert_eq!(
            s.origin,
            Origin::File {
                path: PathBuf::from("b.toml"),
                line: 3
            }
        );
    }

    #[test]
    fn unknown_key_names_line() {
        let err = parse("[monitor]\nintervall = 1\n", Path::new("b.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("b.toml line 2"), "{msg}");
        assert!(msg.contains("intervall"), "{msg}");
    }

    #[test]
    fn unknown_names_list_what_there_is() {
        let err = parse("[alerts]\n", Path::new("b.toml")).unwrap_err();
        assert!(
            err.to_string()
                .contains("expected one of `monitor`, `thresholds`"),
            "{err}"
        );
        let err = parse("[output]\nformt = \"json\"\n", Path::new("b.toml")).unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown field `formt`, expected `format`"),
            "{err}"
        );
        let err = parse("monitor = 5\n", Path::new("b.toml")).unwrap_err();
        assert!(err.to_string().contains("must be a table"), "{err}");
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 0), (1, 1));
    }
}
