//! The few SQL spellings that differ between MySQL/MariaDB and PostgreSQL.

use super::target::Dialect;

/// `INSERT IGNORE` (MySQL) or `INSERT` (PostgreSQL, paired with [`on_conflict_nothing`]).
pub(crate) fn insert_ignore(d: Dialect) -> &'static str {
    match d {
        Dialect::MySql => "INSERT IGNORE",
        Dialect::Postgres => "INSERT",
    }
}

/// The tail that makes an INSERT skip rows whose key exists.
pub(crate) fn on_conflict_nothing(d: Dialect) -> &'static str {
    match d {
        Dialect::MySql => "",
        Dialect::Postgres => " ON CONFLICT DO NOTHING",
    }
}

/// `column` rounded down to a multiple of `width` (both integers, non-negative times).
pub(crate) fn floor_to(d: Dialect, column: &str, width: i64) -> String {
    match d {
        Dialect::MySql => format!("(({column} DIV {width}) * {width})"),
        Dialect::Postgres => format!("(({column} / {width}) * {width})"),
    }
}

/// `expr` cast to a 64-bit integer (SUM of integers is DECIMAL/NUMERIC otherwise).
pub(crate) fn to_bigint(d: Dialect, expr: &str) -> String {
    match d {
        Dialect::MySql => format!("CAST({expr} AS SIGNED)"),
        Dialect::Postgres => format!("CAST({expr} AS BIGINT)"),
    }
}

/// A `?` placeholder holding `YYYY-MM-DD HH:MM:SS.mmm` text, read as the date-time type of the
/// compatibility tables.
pub(crate) fn datetime_param(d: Dialect) -> &'static str {
    match d {
        Dialect::MySql => "CAST(? AS DATETIME(3))",
        Dialect::Postgres => "CAST(? AS TIMESTAMP(3))",
    }
}

/// `?, ?, …` with `n` placeholders.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
