//! Database URLs: which server kind they name, where it is, and a form safe to print.

use url::Url;

use crate::error::{Result, StoreError};

/// The kinds of SQL server the store speaks; they differ in types, upserts and placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// MySQL or MariaDB.
    MySql,
    /// PostgreSQL.
    Postgres,
}

/// A parsed database URL.
#[derive(Clone)]
pub(crate) struct Target {
    pub dialect: Dialect,
    /// The URL with its scheme normalised for the driver (password included: never print it).
    pub url: Url,
    /// The URL without its password, for messages.
    pub redacted: String,
    /// `host:port` for messages.
    pub address: String,
    /// The user name, for messages.
    pub user: String,
    /// The database name, for messages.
    pub database: String,
    /// The password, only to scrub it out of driver messages.
    password: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("dialect", &self.dialect)
            .field("url", &self.redacted)
            .finish_non_exhaustive()
    }
}

/// `url` with any password replaced by `***` (in the user part and in `password=` query
/// parameters); works on text that is not a valid URL too, so it is safe for every message.
pub fn redacted_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let mut out = match head.find("://") {
        Some(i) => {
            let rest = &head[i + 3..];
            let auth_end = rest.find('/').unwrap_or(rest.len());
            let (auth, path) = rest.split_at(auth_end);
            let auth = match auth.rfind('@') {
                Some(at) => {
                    let (userinfo, host) = auth.split_at(at);
                    match userinfo.split_once(':') {
                        Some((user, _)) => format!("{user}:***{host}"),
                        None => auth.to_owned(),
                    }
                }
                None => auth.to_owned(),
            };
            format!("{}{auth}{path}", &head[..i + 3])
        }
        None => head.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.to_ascii_lowercase().contains("password") => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

impl Target {
    /// Reads `url`; names what is wrong with it when it cannot be used.
    pub(crate) fn parse(text: &str) -> Result<Self> {
        let redacted = redacted_url(text);
        let bad = |reason: String| StoreError::BadUrl {
            url: redacted.clone(),
            reason,
        };
        let mut url = Url::parse(text.trim()).map_err(|e| bad(e.to_string()))?;
        let dialect = match url.scheme() {
            "mysql" | "mariadb" => Dialect::MySql,
            "postgres" | "postgresql" => Dialect::Postgres,
            other => {
                return Err(StoreError::UnknownScheme {
                    scheme: other.to_owned(),
                    url: redacted,
                })
            }
        };
        let scheme = match dialect {
            Dialect::MySql => "mysql",
            Dialect::Postgres => "postgres",
        };
        url.set_scheme(scheme)
            .map_err(|()| bad("the scheme cannot be changed".into()))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("it names no host (mysql://user@host:port/database)".into()))?
            .to_owned();
        let port = url.port().unwrap_or(match dialect {
            Dialect::MySql => 3306,
            Dialect::Postgres => 5432,
        });
        let database = url.path().trim_start_matches('/').to_owned();
        if database.is_empty() {
            return Err(bad("it names no database (add /name after the host)".into()));
        }
        if database.contains('/') {
            return Err(bad(format!("'{database}' is not a database name")));
        }
        let password = url.password().unwrap_or_default().to_owned();
        Ok(Self {
            dialect,
            address: format!("{host}:{port}"),
            user: url.username().to_owned(),
            database,
            redacted,
            password,
            url,
        })
    }

    /// `text` with the password removed, for driver messages that might echo it.
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.password.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.password, "***")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redacted_url("mysql://root:s3cret@db:3306/bw"),
            "mysql://root:***@db:3306/bw"
        );
        assert_eq!(
            redacted_url("postgres://u:p@ss@h/db?sslmode=require&password=x"),
            "postgres://u:***@h/db?sslmode=require&password=***"
        );
        assert_eq!(redacted_url("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redacted_url("not a url:pw@x"), "not a url:pw@x");
    }

    #[test]
    fn parses_kinds_and_names_problems() {
        let t = Target::parse("mariadb://root:pw@127.0.0.1/test").unwrap();
        assert_eq!(t.dialect, Dialect::MySql);
        assert_eq!(t.address, "127.0.0.1:3306");
        assert_eq!((t.user.as_str(), t.database.as_str()), ("root", "test"));
        assert!(!format!("{t:?}").contains("pw"));
        let t = Target::parse("postgresql://h:5433/x").unwrap();
        assert_eq!(
            (t.dialect, t.address.as_str()),
            (Dialect::Postgres, "h:5433")
        );
        let e = Target::parse("mysql://root:pw@h:99999/x").unwrap_err();
        assert!(e.to_string().contains("invalid port"), "{e}");
        assert!(!e.to_string().contains("pw"), "{e}");
        let e = Target::parse("mysql://root@h").unwrap_err();
        assert!(e.to_string().contains("no database"), "{e}");
        let e = Target::parse("sqlite://x/y").unwrap_err();
        assert!(matches!(e, StoreError::UnknownScheme { .. }), "{e}");
    }
}
