//! Real MySQL/MariaDB and PostgreSQL servers for the SQL store tests: a fresh database per
//! test (dropped at the end), plain-SQL read-back, and the address to point
//! `bandwatch_testkit::proxy::Proxy` (a TCP proxy that can cut the line) at.
//!
//! A server that is not running skips its tests (they pass, printing SKIPPED) unless
//! `BANDWATCH_REQUIRE_ROOT_TESTS=1`, which makes them fail. Admin URLs may be overridden with
//! `BANDWATCH_TEST_MYSQL_URL` and `BANDWATCH_TEST_POSTGRES_URL`.

#![allow(dead_code)]

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bandwatch_testkit::{require, this_test};
use sqlx::{Connection, Row};

/// Which server a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    MySql,
    Postgres,
}

impl Server {
    /// The admin URL (a database that exists, to create and drop test databases from).
    pub fn admin_url(self) -> String {
        match self {
            Server::MySql => std::env::var("BANDWATCH_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into()),
            Server::Postgres => std::env::var("BANDWATCH_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        }
    }

    fn address(self) -> String {
        let url = url::Url::parse(&self.admin_url()).expect("admin url");
        let port = url.port().unwrap_or(match self {
            Server::MySql => 3306,
            Server::Postgres => 5432,
        });
        format!("{}:{port}", url.host_str().expect("host"))
    }

    /// True when the server answers; otherwise SKIPPED (or a failure when required).
    pub fn available(self) -> bool {
        let addr = self.address();
        let up = addr
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
        let missing = if up {
            Vec::new()
        } else {
            vec![format!("a {self:?} server at {addr}")]
        };
        require(
            &this_test(),
            &missing,
            "start it with `bash .ci/deps/databases.sh`, or point BANDWATCH_TEST_MYSQL_URL / \
             BANDWATCH_TEST_POSTGRES_URL at one",
        )
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A database created for one test and dropped when this goes out of scope.
pub struct FreshDb {
    pub server: Server,
    pub name: String,
    /// The URL of the fresh database.
    pub url: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "bw_test_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl FreshDb {
    /// A new empty database, or None when the server is not running (test skipped).
    pub fn create(server: Server) -> Option<Self> {
        if !server.available() {
            return None;
        }
        let name = unique_name();
        admin(server, &format!("CREATE DATABASE {name}"));
        let mut url = url::Url::parse(&server.admin_url()).expect("admin url");
        url.set_path(&format!("/{name}"));
        Some(Self {
            server,
            name,
            url: url.to_string(),
        })
    }

    /// The URL of this database on another host and port (through a proxy).
    pub fn url_via(&self, port: u16) -> String {
        let mut url = url::Url::parse(&self.url).expect("url");
        url.set_host(Some("127.0.0.1")).expect("host");
        url.set_port(Some(port)).expect("port");
        url.to_string()
    }

    /// Runs `sql` and reads every column of every row as text (cast in the query).
    pub fn text_rows(&self, sql: &str) -> Vec<Vec<String>> {
        rt().block_on(async {
            match self.server {
                Server::MySql => {
                    let mut c = sqlx::MySqlConnection::connect(&self.url)
                        .await
                        .expect("connect");
                    let rows = sqlx::query(sql).fetch_all(&mut c).await.expect(sql);
                    rows.iter()
                        .map(|r| {
                            (0..r.len())
                                .map(|i| {
                                    r.try_get::<String, _>(i).unwrap_or_else(|_| {
                                        String::from_utf8(r.get::<Vec<u8>, _>(i)).expect("utf-8")
                                    })
                                })
                                .collect()
                        })
                        .collect()
                }
                Server::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&self.url)
                        .await
                        .expect("connect");
                    let rows = sqlx::query(sql).fetch_all(&mut c).await.expect(sql);
                    rows.iter()
                        .map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect())
                        .collect()
                }
            }
        })
    }

    /// One integer from `sql`.
    pub fn int(&self, sql: &str) -> i64 {
        let text = self.text_rows(&format!("SELECT CAST(({sql}) AS {}) ", self.text_type()));
        text[0][0].parse().expect("an integer")
    }

    /// Runs statements without reading anything.
    pub fn exec(&self, sql: &str) {
        rt().block_on(async {
            match self.server {
                Server::MySql => {
                    let mut c = sqlx::MySqlConnection::connect(&self.url)
                        .await
                        .expect("connect");
                    sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
                }
                Server::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&self.url)
                        .await
                        .expect("connect");
                    sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
                }
            }
        });
    }

    /// The type to cast to for text.
    pub fn text_type(&self) -> &'static str {
        match self.server {
            Server::MySql => "CHAR",
            Server::Postgres => "TEXT",
        }
    }

    /// The column names of `table`, in their order.
    pub fn columns(&self, table: &str) -> Vec<String> {
        let schema = match self.server {
            Server::MySql => "DATABASE()",
            Server::Postgres => "current_schema()",
        };
        self.text_rows(&format!(
            "SELECT CAST(column_name AS {}) FROM information_schema.columns \
             WHERE table_schema = {schema} AND table_name = '{table}' ORDER BY ordinal_position",
            self.text_type()
        ))
        .into_iter()
        .map(|mut r| r.remove(0))
        .collect()
    }

    /// `column` (a date-time) as `YYYY-MM-DD HH:MM:SS.mmm` text.
    pub fn datetime_text(&self, column: &str) -> String {
        match self.server {
            Server::MySql => {
                format!("SUBSTRING(DATE_FORMAT({column}, '%Y-%m-%d %H:%i:%s.%f'), 1, 23)")
            }
            Server::Postgres => format!("to_char({column}, 'YYYY-MM-DD HH24:MI:SS.MS')"),
        }
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let sql = match self.server {
            Server::MySql => format!("DROP DATABASE IF EXISTS {}", self.name),
            Server::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        };
        admin(self.server, &sql);
    }
}

fn admin(server: Server, sql: &str) {
    let url = server.admin_url();
    rt().block_on(async {
        match server {
            Server::MySql => {
                let mut c = sqlx::MySqlConnection::connect(&url)
                    .await
                    .expect("admin connect");
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
            }
            Server::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url)
                    .await
                    .expect("admin connect");
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
            }
        }
    });
}

/// The upstream address of a server.
pub fn upstream(server: Server) -> String {
    server.address()
}
