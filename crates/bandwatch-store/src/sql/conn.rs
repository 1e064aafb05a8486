//! One small value-level layer over the two sqlx drivers, so the store's logic is written once:
//! statements take `?` placeholders and a slice of [`Arg`]s, rows come back as [`Row`]s.

use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlDatabaseError, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, MySql, MySqlPool, PgPool, Postgres, Row as _};

use super::target::{Dialect, Target};
use crate::error::{Op, Problem, StoreError};

/// A statement argument.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Int(i64),
    /// NaN and infinities are stored as NULL (MySQL cannot hold them) and read back as NaN.
    Real(f64),
    Bool(bool),
    Text(&'a str),
    OptInt(Option<i64>),
    OptText(Option<&'a str>),
}

/// How to read one result column.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    Int,
    Real,
    Text,
}

#[derive(Debug, Clone)]
enum Val {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
}

/// One result row, read as the query's [`Col`]s said.
#[derive(Debug, Clone)]
pub(crate) struct Row(Vec<Val>);

impl Row {
    pub(crate) fn opt_int(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Val::Int(v)) => *v,
            _ => None,
        }
    }

    pub(crate) fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or(0)
    }

    /// NULL reads as NaN.
    pub(crate) fn real(&self, i: usize) -> f64 {
        match self.0.get(i) {
            Some(Val::Real(Some(v))) => *v,
            _ => f64::NAN,
        }
    }

    pub(crate) fn opt_text(&self, i: usize) -> Option<String> {
        match self.0.get(i) {
            Some(Val::Text(v)) => v.clone(),
            _ => None,
        }
    }

    pub(crate) fn text(&self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }
}

/// A raw sample row for the bulk insert.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SampleRow {
    pub series: i64,
    pub ts: i64,
    pub value: f64,
    /// 1 for rates: kept for rollups only, never returned as raw points.
    pub derived: i16,
}

/// The connection pool of one server.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    My(MySqlPool),
    Pg(PgPool),
}

/// An open transaction.
pub(crate) enum Tx {
    My(sqlx::Transaction<'static, MySql>),
    Pg(sqlx::Transaction<'static, Postgres>),
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match *a {
                Arg::Int(v) => q.bind(v),
                Arg::Real(v) => q.bind(v.is_finite().then_some(v)),
                Arg::Bool(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::OptInt(v) => q.bind(v),
                Arg::OptText(v) => q.bind(v),
            };
        }
        q
    }};
}

macro_rules! read_row {
    ($row:expr, $cols:expr, $text:expr) => {{
        let mut out = Vec::with_capacity($cols.len());
        for (i, c) in $cols.iter().enumerate() {
            out.push(match c {
                Col::Int => Val::Int($row.try_get::<Option<i64>, _>(i)?),
                Col::Real => Val::Real($row.try_get::<Option<f64>, _>(i)?),
                Col::Text => Val::Text($text($row, i)?),
            });
        }
        Row(out)
    }};
}

/// Text of a MySQL column; columns with a binary collation (`utf8mb4_bin`, used so keys are
/// case-sensitive) are reported as VARBINARY, so bytes are accepted too.
fn mysql_text(row: &sqlx::mysql::MySqlRow, i: usize) -> sqlx::Result<Option<String>> {
    match row.try_get::<Option<String>, _>(i) {
        Ok(v) => Ok(v),
        Err(sqlx::Error::ColumnDecode { .. }) => Ok(row
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map(|b| String::from_utf8_lossy(&b).into_owned())),
        Err(e) => Err(e),
    }
}

fn pg_text(row: &sqlx::postgres::PgRow, i: usize) -> sqlx::Result<Option<String>> {
    row.try_get::<Option<String>, _>(i)
}

/// `?` placeholders as PostgreSQL's `$1, $2, …` (the store's SQL has no `?` in literals).
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Rows per multi-row INSERT statement on MySQL (well below `max_allowed_packet`).
const MYSQL_ROWS_PER_INSERT: usize = 8000;
/// Rows per UNNEST insert on PostgreSQL.
const PG_ROWS_PER_INSERT: usize = 50_000;

impl Db {
    /// Makes one connection to check the URL, credentials and database at once, then
    /// returns a lazily connecting pool (it reconnects by itself after an outage). With
    /// `read_only`, every session the pool opens is read-only on the server, so no statement
    /// can change the database.
    pub(crate) async fn connect(
        target: &Target,
        max_connections: u32,
        timeout: Duration,
        read_only: bool,
    ) -> Result<Self, StoreError> {
        let bad_url = |e: sqlx::Error| StoreError::BadUrl {
            url: target.redacted.clone(),
            reason: target.scrub(&e.to_string()),
        };
        let late = || StoreError::Unreachable {
            address: target.address.clone(),
            detail: format!("no answer within {} s", timeout.as_secs_f64()),
        };
        match target.dialect {
            Dialect::MySql => {
                let opts = MySqlConnectOptions::from_url(&target.url)
                    .map_err(bad_url)?
                    .charset("utf8mb4");
                let conn = tokio::time::timeout(timeout, MySqlConnection::connect_with(&opts))
                    .await
                    .map_err(|_| late())?
                    .map_err(|e| classify_connect(e, target))?;
                let _ = conn.close().await;
                let mut pool = MySqlPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(timeout);
                if read_only {
                    pool = pool.after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::Executor::execute(&mut *conn, "SET SESSION TRANSACTION READ ONLY")
                                .await
                                .map(|_| ())
                        })
                    });
                }
                Ok(Self::My(pool.connect_lazy_with(opts)))
            }
            Dialect::Postgres => {
                let mut opts = PgConnectOptions::from_url(&target.url).map_err(bad_url)?;
                if read_only {
                    opts = opts.options([("default_transaction_read_only", "on")]);
                }
                let conn = tokio::time::timeout(timeout, PgConnection::connect_with(&opts))
                    .await
                    .map_err(|_| late())?
                    .map_err(|e| classify_connect(e, target))?;
                let _ = conn.close().await;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(timeout)
                    .connect_lazy_with(opts);
                Ok(Self::Pg(pool))
            }
        }
    }

    /// Starts a transaction.
    pub(crate) async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Self::My(p) => Tx::My(p.begin().await?),
            Self::Pg(p) => Tx::Pg(p.begin().await?),
        })
    }

    /// Runs statements that cannot run in a transaction block (DDL on MySQL commits anyway).
    pub(crate) async fn raw(&self, sql: &str) -> sqlx::Result<()> {
        match self {
            Self::My(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Self::Pg(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        }
    }

    /// Closes every connection.
    pub(crate) async fn close(&self) {
        match self {
            Self::My(p) => p.close().await,
            Self::Pg(p) => p.close().await,
        }
    }
}

impl Tx {
    /// Which SQL this transaction speaks.
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Self::My(_) => Dialect::MySql,
            Self::Pg(_) => Dialect::Postgres,
        }
    }

    /// Runs one statement; returns the rows it changed.
    pub(crate) async fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> sqlx::Result<u64> {
        match self {
            Self::My(tx) => {
                let q = bind_args!(sqlx::query(sql), args);
                Ok(q.execute(&mut **tx).await?.rows_affected())
            }
            Self::Pg(tx) => {
                let sql = numbered(sql);
                let q = bind_args!(sqlx::query(&sql), args);
                Ok(q.execute(&mut **tx).await?.rows_affected())
            }
        }
    }

    /// Runs one query and reads every row.
    pub(crate) async fn fetch(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        cols: &[Col],
    ) -> sqlx::Result<Vec<Row>> {
        match self {
            Self::My(tx) => {
                let q = bind_args!(sqlx::query(sql), args);
                let rows = q.fetch_all(&mut **tx).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(read_row!(r, cols, mysql_text));
                }
                Ok(out)
            }
            Self::Pg(tx) => {
                let sql = numbered(sql);
                let q = bind_args!(sqlx::query(&sql), args);
                let rows = q.fetch_all(&mut **tx).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(read_row!(r, cols, pg_text));
                }
                Ok(out)
            }
        }
    }

    /// The first row of a query, if any.
    pub(crate) async fn fetch_one(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        cols: &[Col],
    ) -> sqlx::Result<Option<Row>> {
        Ok(self.fetch(sql, args, cols).await?.into_iter().next())
    }

    /// Inserts raw samples; a row already stored (same series and time) is left as it is, so
    /// a batch whose commit could not be confirmed may be written again.
    pub(crate) async fn insert_samples(&mut self, rows: &[SampleRow]) -> sqlx::Result<()> {
        match self {
            Self::My(tx) => {
                for chunk in rows.chunks(MYSQL_ROWS_PER_INSERT) {
                    let sql = mysql_samples_sql(chunk);
                    sqlx::raw_sql(&sql).execute(&mut **tx).await?;
                }
            }
            Self::Pg(tx) => {
                for chunk in rows.chunks(PG_ROWS_PER_INSERT) {
                    let series: Vec<i64> = chunk.iter().map(|r| r.series).collect();
                    let ts: Vec<i64> = chunk.iter().map(|r| r.ts).collect();
                    let values: Vec<Option<f64>> = chunk
                        .iter()
                        .map(|r| r.value.is_finite().then_some(r.value))
                        .collect();
                    let derived: Vec<i16> = chunk.iter().map(|r| r.derived).collect();
                    sqlx::query(
                        "INSERT INTO bw_samples (series_id, ts, value, derived) \
                         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::DOUBLE PRECISION[], $4::SMALLINT[]) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(series)
                    .bind(ts)
                    .bind(values)
                    .bind(derived)
                    .execute(&mut **tx)
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Commits.
    pub(crate) async fn commit(self) -> sqlx::Result<()> {
        match self {
            Self::My(tx) => tx.commit().await,
            Self::Pg(tx) => tx.commit().await,
        }
    }
}

/// One multi-row INSERT with the numbers written out: no parameter limit, no prepared
/// statement per batch size. `{:e}` prints the shortest text that reads back as the same
/// double, and MySQL reads exponent literals as doubles.
fn mysql_samples_sql(rows: &[SampleRow]) -> String {
    use std::fmt::Write as _;
    let mut sql = String::with_capacity(64 + rows.len() * 40);
    sql.push_str("INSERT IGNORE INTO bw_samples (series_id, ts, value, derived) VALUES ");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        if r.value.is_finite() {
            let _ = write!(sql, "({},{},{:e},{})", r.series, r.ts, r.value, r.derived);
        } else {
            let _ = write!(sql, "({},{},NULL,{})", r.series, r.ts, r.derived);
        }
    }
    sql
}

/// The MySQL error number of a server error.
fn mysql_number(e: &sqlx::Error) -> Option<u16> {
    match e {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<MySqlDatabaseError>()
            .map(MySqlDatabaseError::number),
        _ => None,
    }
}

/// The SQLSTATE of a server error.
fn sqlstate(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(db) => db.code().map(std::borrow::Cow::into_owned),
        _ => None,
    }
}

/// The error of a call the server did not answer in time (classified as a lost connection).
pub(crate) fn timed_out(limit: Duration) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "no answer from the database server within {} s",
            limit.as_secs_f64()
        ),
    ))
}

/// Classifies a failure of a running store; a lost server is [`Problem::ConnectionLost`].
pub(crate) fn problem_of(e: &sqlx::Error) -> Problem {
    use sqlx::Error as E;
    match e {
        E::Io(_)
        | E::PoolTimedOut
        | E::PoolClosed
        | E::WorkerCrashed
        | E::Protocol(_)
        | E::Tls(_) => return Problem::ConnectionLost,
        _ => {}
    }
    // MySQL: server shutdown, gone away, lost during query, connection killed.
    if let Some(n) = mysql_number(e) {
        match n {
            1053 | 1077 | 1152 | 1158..=1161 | 1927 | 2006 | 2013 => {
                return Problem::ConnectionLost
            }
            1205 | 1213 => return Problem::Locked,
            1021 | 1114 => return Problem::DiskFull,
            _ => {}
        }
    }
    if let Some(code) = sqlstate(e) {
        if code.starts_with("08") || matches!(code.as_str(), "57P01" | "57P02" | "57P03") {
            return Problem::ConnectionLost;
        }
        match code.as_str() {
            "40001" | "40P01" | "55P03" => return Problem::Locked,
            "53100" => return Problem::DiskFull,
            _ => {}
        }
    }
    Problem::Other(e.to_string())
}

/// Classifies the failure of the first connection into the error a person can act on.
fn classify_connect(e: sqlx::Error, t: &Target) -> StoreError {
    let detail = t.scrub(&e.to_string());
    if matches!(e, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut) {
        return StoreError::Unreachable {
            address: t.address.clone(),
            detail,
        };
    }
    let denied = || StoreError::AccessDenied {
        address: t.address.clone(),
        user: t.user.clone(),
        detail: detail.clone(),
    };
    let missing = || StoreError::NoSuchDatabase {
        address: t.address.clone(),
        database: t.database.clone(),
        detail: detail.clone(),
    };
    match mysql_number(&e) {
        Some(1044 | 1045 | 1698) => return denied(),
        Some(1049) => return missing(),
        _ => {}
    }
    if t.dialect == Dialect::Postgres {
        match sqlstate(&e).as_deref() {
            Some("28P01" | "28000") => return denied(),
            Some("3D000") => return missing(),
            _ => {}
        }
    }
    if let sqlx::Error::Configuration(_) = e {
        return StoreError::BadUrl {
            url: t.redacted.clone(),
            reason: detail,
        };
    }
    StoreError::Sql {
        op: Op::Connect,
        target: t.redacted.clone(),
        problem: Problem::Other(detail),
        source: e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"
        );
    }

    #[test]
    fn mysql_batches_spell_doubles_exactly_and_nan_as_null() {
        let rows = [
            SampleRow {
                series: 1,
                ts: 5,
                value: 0.1,
                derived: 0,
            },
            SampleRow {
                series: 2,
                ts: 6,
                value: f64::NAN,
                derived: 1,
            },
        ];
        let sql = mysql_samples_sql(&rows);
        assert!(sql.ends_with("VALUES (1,5,1e-1,0),(2,6,NULL,1)"), "{sql}");
        assert_eq!("1e-1".parse::<f64>().unwrap().to_bits(), 0.1f64.to_bits());
    }

    /// Against the real servers (skipped without them, unless required): a statement that
    /// got past the store's own refusal is refused by the server in a read-only session.
    #[test]
    fn read_only_sessions_refuse_changes_on_the_server() {
        let servers = [
            (
                "BANDWATCH_TEST_MYSQL_URL",
                "mysql://root@127.0.0.1:3306/test",
            ),
            (
                "BANDWATCH_TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
        ];
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for (var, default) in servers {
            let url = std::env::var(var).unwrap_or_else(|_| default.to_string());
            let target = Target::parse(&url).unwrap();
            let db = rt.block_on(Db::connect(&target, 1, Duration::from_secs(5), true));
            let db = match db {
                Ok(db) => db,
                Err(e) => {
                    let missing = [format!("a database server at {url} ({e})")];
                    let fix = "start it with `bash .ci/deps/databases.sh`";
                    assert!(!bandwatch_testkit::require(
                        &bandwatch_testkit::this_test(),
                        &missing,
                        fix
                    ));
                    continue;
                }
            };
            let table = format!("bw_read_only_probe_{}", std::process::id());
            let refused = rt.block_on(async {
                let mut tx = db.begin().await.unwrap();
                tx.exec(&format!("CREATE TABLE {table} (x INT)"), &[]).await
            });
            let err = refused.expect_err("a read-only session creates no table");
            assert!(
                err.to_string().to_lowercase().contains("read"),
                "{url}: {err}"
            );
            rt.block_on(db.close());
        }
    }

    #[test]
    fn outages_are_connection_lost() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(problem_of(&io), Problem::ConnectionLost);
        assert_eq!(
            problem_of(&sqlx::Error::PoolTimedOut),
            Problem::ConnectionLost
        );
        assert!(matches!(
            problem_of(&sqlx::Error::RowNotFound),
            Problem::Other(_)
        ));
    }
}
