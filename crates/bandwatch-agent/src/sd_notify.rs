//! The service manager's notification protocol (systemd's `sd_notify`): one datagram of
//! `KEY=VALUE` lines to the unix socket named in `NOTIFY_SOCKET`. Implemented here over std's
//! `UnixDatagram` because it is that small, and so that nothing links libsystemd.
//!
//! [`ServiceEnv::parse`] reads the environment's text (pure, tested on literals);
//! [`NotifySocket`] is the one touch of the OS, behind the [`Notify`] trait.

use std::ffi::OsStr;
use std::os::linux::net::SocketAddrExt as _;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// Sends one state message to the service manager.
pub trait Notify: Send {
    /// Sends `state` (newline-separated `KEY=VALUE` lines) as one datagram.
    fn notify(&self, state: &str) -> std::io::Result<()>;
}

/// What the service manager asked for through the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEnv {
    /// Where to send notifications: a path, or an abstract name (`@name` in the variable).
    pub socket: NotifyAddr,
    /// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, when the watchdog is on for
    /// this process.
    pub ping_every: Option<Duration>,
}

/// The address of the notification socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyAddr {
    /// A socket in the file system.
    Path(std::path::PathBuf),
    /// A Linux abstract socket (written `@name`; the name is without the `@`).
    Abstract(Vec<u8>),
}

impl ServiceEnv {
    /// Reads this process's environment (`NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`);
    /// `Ok(None)` when no service manager is listening.
    pub fn from_env() -> Result<Option<Self>, String> {
        let socket = std::env::var_os("NOTIFY_SOCKET");
        let usec = std::env::var("WATCHDOG_USEC").ok();
        let pid = std::env::var("WATCHDOG_PID").ok();
        Self::parse(
            socket.as_deref(),
            usec.as_deref(),
            pid.as_deref(),
            std::process::id(),
        )
    }

    /// The settings from the variables' values; `own_pid` is this process's id, since a
    /// `WATCHDOG_PID` naming another process means the watchdog is not ours to feed.
    pub fn parse(
        socket: Option<&OsStr>,
        watchdog_usec: Option<&str>,
        watchdog_pid: Option<&str>,
        own_pid: u32,
    ) -> Result<Option<Self>, String> {
        let Some(socket) = socket.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let bytes = socket.as_bytes();
        let socket = match bytes.first() {
            Some(b'/') => NotifyAddr::Path(socket.into()),
            Some(b'@') => NotifyAddr::Abstract(bytes[1..].to_vec()),
            _ => {
                return Err(format!(
                    "NOTIFY_SOCKET={} is neither an absolute path nor an @abstract name; \
                     the service manager's notifications are off",
                    socket.to_string_lossy()
                ))
            }
        };
        let ours = watchdog_pid.is_none_or(|p| p.trim().parse::<u32>() == Ok(own_pid));
        let ping_every = match watchdog_usec.filter(|_| ours) {
            None => None,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(0) => None,
                Ok(usec) => Some(Duration::from_micros(usec) / 2),
                Err(_) => {
                    return Err(format!(
                        "WATCHDOG_USEC={text} is not a number of microseconds; \
                         set WatchdogSec= in the unit, not the variable"
                    ))
                }
            },
        };
        Ok(Some(Self { socket, ping_every }))
    }
}

/// An unbound datagram socket that sends to the service manager's socket.
#[derive(Debug)]
pub struct NotifySocket {
    socket: UnixDatagram,
    to: SocketAddr,
}

impl NotifySocket {
    /// A socket for sending to `addr`.
    pub fn open(addr: &NotifyAddr) -> std::io::Result<Self> {
        let to = match addr {
            NotifyAddr::Path(p) => SocketAddr::from_pathname(p)?,
            NotifyAddr::Abstract(name) => SocketAddr::from_abstract_name(name)?,
        };
        Ok(Self {
            socket: UnixDatagram::unbound()?,
            to,
        })
    }
}

impl Notify for NotifySocket {
    fn notify(&self, state: &str) -> std::io::Result<()> {
        self.socket.send_to_addr(state.as_bytes(), &self.to)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        socket: &str,
        usec: Option<&str>,
        pid: Option<&str>,
    ) -> Result<Option<ServiceEnv>, String> {
        ServiceEnv::parse(Some(OsStr::new(socket)), usec, pid, 42)
    }

    #[test]
    fn no_socket_means_no_service_manager() {
        assert_eq!(ServiceEnv::parse(None, Some("1000"), None, 42), Ok(None));
        assert_eq!(parse("", None, None), Ok(None));
    }

    #[test]
    fn paths_and_abstract_names_are_told_apart() {
        let env = parse("/run/systemd/notify", None, None)
            .expect("ok")
            .expect("some");
        assert_eq!(env.socket, NotifyAddr::Path("/run/systemd/notify".into()));
        assert_eq!(env.ping_every, None);
        let env = parse("@/org/freedesktop/systemd1/notify/1", None, None)
            .expect("ok")
            .expect("some");
        assert_eq!(
            env.socket,
            NotifyAddr::Abstract(b"/org/freedesktop/systemd1/notify/1".to_vec())
        );
        let err = parse("relative/path", None, None).expect_err("refused");
        assert!(err.contains("NOTIFY_SOCKET=relative/path"), "{err}");
    }

    #[test]
    fn the_watchdog_is_pinged_at_half_its_timeout_when_it_is_ours() {
        let half = |usec, pid| {
            parse("/n", usec, pid)
                .expect("ok")
                .expect("some")
                .ping_every
        };
        assert_eq!(half(Some("30000000"), None), Some(Duration::from_secs(15)));
        assert_eq!(
            half(Some("200000"), Some("42")),
            Some(Duration::from_millis(100))
        );
        // Meant for another process (a parent that exec'd us keeps its own watchdog).
        assert_eq!(half(Some("200000"), Some("7")), None);
        assert_eq!(half(Some("0"), None), None);
        let err = parse("/n", Some("30s"), None).expect_err("refused");
        assert!(err.contains("WATCHDOG_USEC=30s"), "{err}");
    }

    #[test]
    fn a_message_arrives_as_one_datagram_on_a_path_and_an_abstract_socket() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).expect("bind");
        let sender = NotifySocket::open(&NotifyAddr::Path(path)).expect("open");
        sender.notify("READY=1\nSTATUS=up").expect("send");
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=up");

        let name = format!("bandwatch-test-{}", std::process::id()).into_bytes();
        let listener =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(&name).expect("addr"))
                .expect("bind abstract");
        let sender = NotifySocket::open(&NotifyAddr::Abstract(name)).expect("open");
        sender.notify("WATCHDOG=1").expect("send");
        let n = listener.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"WATCHDOG=1");
    }
}
