//! Email over SMTP: validated settings, a multipart/alternative message per rendered email,
//! and errors that say whether a retry can help and what to change.
//!
//! The network sits behind [`MailTransport`] so the logic is tested with a fake; the real
//! transport is lettre's blocking client over rustls (ring provider), one connection per send.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};

use crate::render::email::EmailMessage;
use crate::render::Secret;

/// How long one SMTP conversation may take unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The boxed source of a failure.
pub use super::{SendError, Service, Source};

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain connect, then STARTTLS, which must be offered (port 587 or 25).
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No encryption at all; only accepted together with `allow_plain`.
    Plain,
}

impl TlsMode {
    /// The name used in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartTls => "starttls",
            Self::Implicit => "implicit",
            Self::Plain => "plain",
        }
    }
}

/// The `[email]` channel settings as configured, before validation.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// The mail server's host name (also the name its certificate must carry).
    pub server: String,
    /// The server port (587 for STARTTLS, 465 for implicit TLS, 25 for relays).
    pub port: u16,
    /// How the connection is protected.
    pub tls: TlsMode,
    /// Must be true for `TlsMode::Plain`, so clear text is never chosen by accident.
    pub allow_plain: bool,
    /// The login name, when the server wants one.
    pub username: Option<String>,
    /// The password; only used together with `username`.
    pub password: Option<Secret>,
    /// The sender address, `alerts@example.com` or `bandwatch <alerts@example.com>`.
    pub from: String,
    /// The recipients, at least one.
    pub to: Vec<String>,
    /// How long one conversation with the server may take.
    pub timeout: Duration,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            server: String::new(),
            port: 587,
            tls: TlsMode::StartTls,
            allow_plain: false,
            username: None,
            password: None,
            from: String::new(),
            to: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("allow_plain", &self.allow_plain)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What went wrong in one SMTP conversation, as a transport reports it.
#[derive(Debug)]
pub enum TransportFailure {
    /// The TCP connection could not be made (refused, unreachable, name not found).
    Connect(Source),
    /// The server did not answer in time.
    Timeout(Source),
    /// STARTTLS was required but the server does not offer it.
    StartTlsNotOffered,
    /// The TLS handshake failed (certificate, protocol, or TLS spoken to a plain port).
    Tls(Source),
    /// The server rejected the login.
    Auth(Source),
    /// A 4xx reply: the server asks to try again later.
    Transient(u16, Source),
    /// A 5xx reply: the server refuses the message.
    Rejected(u16, Source),
    /// Anything else (malformed reply, connection dropped mid-way).
    Other(Source),
}

/// The seam to the network: sends one finished message to the envelope's recipients.
pub trait MailTransport: Send + Sync {
    /// Delivers `message` (RFC 5322 bytes) to every recipient of `envelope`.
    fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), TransportFailure>;
}

/// The validated settings: parsed addresses and the transport to send through.
pub struct SmtpSender<T = LettreTransport> {
    transport: T,
    target: String,
    tls: TlsMode,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl<T> fmt::Debug for SmtpSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSender")
            .field("target", &self.target)
            .field("tls", &self.tls)
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

/// The parts of the settings that do not depend on the transport.
#[derive(Debug, Clone)]
struct Validated {
    target: String,
    from: Mailbox,
    to: Vec<Mailbox>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> SendError {
    SendError::InvalidSetting {
        service: Service::Email,
        field,
        reason: reason.into(),
    }
}

/// Whether `text` is a mailbox the sender accepts (`name@example.com` or
/// `Name <name@example.com>`), for configuration checks that must agree with sending.
pub fn is_mailbox(text: &str) -> bool {
    text.trim().parse::<Mailbox>().is_ok()
}

fn parse_mailbox(field: &'static str, text: &str) -> Result<Mailbox, SendError> {
    text.trim().parse::<Mailbox>().map_err(|e| {
        invalid(
            field,
            format!("'{text}' is not an email address ({e}); write 'name@example.com' or 'Name <name@example.com>'"),
        )
    })
}

impl SmtpSettings {
    /// Checks every field; the error names the first bad one and never shows the password.
    fn check(&self) -> Result<Validated, SendError> {
        let server = self.server.trim();
        if server.is_empty() || server.contains(char::is_whitespace) || server.contains('/') {
            return Err(invalid(
                "server",
                format!(
                    "'{}' is not a host name; write e.g. 'mail.example.com'",
                    self.server
                ),
            ));
        }
        if self.port == 0 {
            return Err(invalid(
                "port",
                "0 is not a port; use 587 (starttls), 465 (implicit) or 25",
            ));
        }
        if self.tls == TlsMode::Plain && !self.allow_plain {
            return Err(invalid(
                "tls",
                "'plain' sends alerts and the password unencrypted; set allow_plain = true to accept that, or use tls = \"starttls\" (port 587) or \"implicit\" (port 465)",
            ));
        }
        if self.password.is_some() && self.username.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(
                "password",
                "a password is set but no username; set username too",
            ));
        }
        if self.timeout.is_zero() {
            return Err(invalid(
                "timeout",
                "must be greater than 0; the default is 30s",
            ));
        }
        let from = parse_mailbox("from", &self.from)?;
        if self.to.is_empty() {
            return Err(invalid("to", "no recipients; list at least one address"));
        }
        let to = self
            .to
            .iter()
            .map(|t| parse_mailbox("to", t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Validated {
            target: format!("{server}:{}", self.port),
            from,
            to,
        })
    }

    /// Validates the settings into a sender that uses lettre over the network.
    pub fn validate(&self) -> Result<SmtpSender<LettreTransport>, SendError> {
        let v = self.check()?;
        let transport = LettreTransport::new(self)?;
        Ok(SmtpSender::from_parts(v, self.tls, transport))
    }

    /// Validates the settings into a sender over the given transport (tests, other stacks).
    pub fn validate_with<T: MailTransport>(
        &self,
        transport: T,
    ) -> Result<SmtpSender<T>, SendError> {
        let v = self.check()?;
        Ok(SmtpSender::from_parts(v, self.tls, transport))
    }
}

impl<T: MailTransport> SmtpSender<T> {
    fn from_parts(v: Validated, tls: TlsMode, transport: T) -> Self {
        Self {
            transport,
            target: v.target,
            tls,
            from: v.from,
            to: v.to,
        }
    }

    /// `server:port`, as errors name it.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The finished message: From, To, Subject, and a multipart/alternative plain + HTML body.
    pub fn build(&self, msg: &EmailMessage) -> Result<lettre::Message, SendError> {
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .subject(msg.subject.clone());
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .multipart(body(msg))
            .map_err(|e| SendError::Message {
                reason: e.to_string(),
            })
    }

    /// Sends one email to every recipient in one conversation.
    ///
    /// This blocks for up to `timeout`; async callers run it under `spawn_blocking`.
    pub fn send(&self, msg: &EmailMessage) -> Result<(), SendError> {
        let message = self.build(msg)?;
        self.transport
            .send(message.envelope(), &message.formatted())
            .map_err(|f| classify(f, &self.target, self.tls))
    }
}

/// The body: text and HTML as alternatives; the HTML together with the images it shows by
/// `cid:` (multipart/related) when it has any.
fn body(msg: &EmailMessage) -> MultiPart {
    if msg.inline.is_empty() {
        return MultiPart::alternative_plain_html(msg.text.clone(), msg.html.clone());
    }
    let mut related = MultiPart::related().singlepart(SinglePart::html(msg.html.clone()));
    for image in &msg.inline {
        // The renderers set the type; one that does not parse leaves the image out rather
        // than the whole message.
        let Ok(content_type) = ContentType::parse(&image.content_type) else {
            continue;
        };
        related = related.singlepart(
            Attachment::new_inline(image.cid.clone()).body(image.data.clone(), content_type),
        );
    }
    MultiPart::alternative()
        .singlepart(SinglePart::plain(msg.text.clone()))
        .multipart(related)
}

/// Turns a transport failure into a retryable or permanent error that says what to do.
pub fn classify(failure: TransportFailure, target: &str, tls: TlsMode) -> SendError {
    let retry = |reason: String, source: Source| SendError::Retryable {
        service: Service::Email,
        target: target.to_string(),
        reason,
        source: Some(source),
    };
    let fail = |reason: String, source: Option<Source>| SendError::Permanent {
        service: Service::Email,
        target: target.to_string(),
        reason,
        source,
    };
    match failure {
        TransportFailure::Connect(e) => retry(
            format!("cannot connect ({e}); check that the server runs and that 'server' and 'port' are right"),
            e,
        ),
        TransportFailure::Timeout(e) => retry(
            format!("no answer in time ({e}); check the port and firewall, or raise 'timeout'"),
            e,
        ),
        TransportFailure::StartTlsNotOffered => fail(
            format!("STARTTLS not offered by {target}; set tls = \"implicit\" for port 465 or allow plain (tls = \"plain\", allow_plain = true) on a trusted network"),
            None,
        ),
        TransportFailure::Tls(e) => {
            let hint = match tls {
                TlsMode::Implicit => "implicit TLS expects a TLS port (465); for 587 or 25 set tls = \"starttls\"",
                _ => "check that the server's certificate is valid for 'server'",
            };
            fail(format!("TLS failed ({e}); {hint}"), Some(e))
        }
        TransportFailure::Auth(e) => fail(
            format!("login rejected ({e}); check 'username' and 'password'"),
            Some(e),
        ),
        TransportFailure::Transient(code, e) => retry(
            format!("server answered {code}, try again later ({e})"),
            e,
        ),
        TransportFailure::Rejected(code, e) => fail(
            format!("server refused the message with {code} ({e}); check 'from', 'to' and the server's relay rules"),
            Some(e),
        ),
        TransportFailure::Other(e) => retry(format!("conversation failed ({e})"), e),
    }
}

/// lettre's blocking SMTP client, one connection per message.
pub struct LettreTransport {
    inner: lettre::SmtpTransport,
    tls: TlsMode,
}

impl fmt::Debug for LettreTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LettreTransport")
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl LettreTransport {
    /// Builds the client for validated settings.
    fn new(settings: &SmtpSettings) -> Result<Self, SendError> {
        let server = settings.server.trim().to_string();
        let tls = match settings.tls {
            TlsMode::Plain => Tls::None,
            mode => {
                let params = TlsParameters::new_rustls(server.clone()).map_err(|e| {
                    invalid("server", format!("cannot set up TLS for '{server}': {e}"))
                })?;
                if mode == TlsMode::Implicit {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = lettre::SmtpTransport::builder_dangerous(server)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(settings.timeout));
        if let Some(user) = &settings.username {
            let password = settings
                .password
                .as_ref()
                .map_or_else(String::new, |p| p.expose().to_string());
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Self {
            inner: builder.build(),
            tls: settings.tls,
        })
    }
}

impl MailTransport for LettreTransport {
    fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), TransportFailure> {
        lettre::Transport::send_raw(&self.inner, envelope, message)
            .map(|_| ())
            .map_err(|e| failure_of(e, self.tls))
    }
}

/// Sorts lettre's error into the cases that need different advice.
fn failure_of(e: lettre::transport::smtp::Error, tls: TlsMode) -> TransportFailure {
    let text = e.to_string();
    if let Some(code) = e.status() {
        let n = u16::from(code);
        return if e.is_transient() {
            TransportFailure::Transient(n, Box::new(e))
        } else if matches!(n, 530 | 534 | 535) {
            TransportFailure::Auth(Box::new(e))
        } else {
            TransportFailure::Rejected(n, Box::new(e))
        };
    }
    if e.is_timeout() {
        return TransportFailure::Timeout(Box::new(e));
    }
    if e.is_tls() || (tls != TlsMode::Plain && is_tls_io_error(&e)) {
        return TransportFailure::Tls(Box::new(e));
    }
    if text.contains("STARTTLS is not supported") {
        return TransportFailure::StartTlsNotOffered;
    }
    if text.contains("No compatible authentication mechanism") {
        return TransportFailure::Auth(Box::new(e));
    }
    if text.starts_with("Connection error") {
        return TransportFailure::Connect(Box::new(e));
    }
    TransportFailure::Other(Box::new(e))
}

/// rustls reports handshake failures as `InvalidData` I/O errors, which lettre 0.11 files under
/// "network error"; its `is_tls()` only covers setting TLS up, so look through the chain.
fn is_tls_io_error(e: &(dyn StdError + 'static)) -> bool {
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::InvalidData {
                return true;
            }
        }
        next = err.source();
    }
    false
}
