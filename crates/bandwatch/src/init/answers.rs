//! What `init` asks, what it proposes, and what it accepts: the interfaces to watch, the two
//! limits, the router to probe and where to notify. Every check is a pure function of the
//! answer's text; the questions read from any [`Prompt`].

use std::io::{self, BufRead, Write};

use super::prompt::Prompt;
use super::route::Gateway;

/// What `init` found on this machine to propose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The interfaces in `/proc/net/dev`, loopback left out.
    pub interfaces: Vec<String>,
    /// The default gateway from `/proc/net/route`.
    pub gateway: Option<Gateway>,
}

/// Where alerts go.
#[derive(Debug, Clone, PartialEq)]
pub enum Notify {
    /// Nowhere (the log only).
    Nowhere,
    /// An email channel.
    Email(Email),
    /// A generic webhook channel.
    Webhook {
        /// Where the JSON is posted.
        url: String,
    },
}

/// An email channel's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// SMTP server.
    pub server: String,
    /// SMTP port (587 with STARTTLS, 465 with implicit TLS).
    pub port: u16,
    /// Login; empty for a server that takes mail without one.
    pub username: String,
    /// Login password (never shown once typed).
    pub password: String,
    /// Sender address.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
}

/// Everything the file is written from.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    /// Interface globs; empty watches all.
    pub interfaces: Vec<String>,
    /// Upload limit, Mbit/s.
    pub upload_mbps: f64,
    /// Download limit, Mbit/s.
    pub download_mbps: f64,
    /// The router's probe spec, if one is probed.
    pub router: Option<String>,
    /// Where alerts go.
    pub notify: Notify,
}

/// The limits bandwatch starts with (the defaults of the key table).
const UPLOAD_MBPS: f64 = 50.0;
const DOWNLOAD_MBPS: f64 = 100.0;

impl Answers {
    /// What every question proposes: all interfaces, the default limits, the default
    /// gateway as the router (when there is one) and no notifications.
    pub fn proposed(facts: &Facts) -> Self {
        Self {
            interfaces: Vec::new(),
            upload_mbps: UPLOAD_MBPS,
            download_mbps: DOWNLOAD_MBPS,
            router: facts.gateway.as_ref().map(|g| g.addr.to_string()),
            notify: Notify::Nowhere,
        }
    }

    /// Whether the answers hold a secret (the file is then readable by its owner only).
    pub fn has_secret(&self) -> bool {
        match &self.notify {
            Notify::Email(e) => !e.password.is_empty(),
            // A webhook URL often carries its token.
            Notify::Webhook { .. } => true,
            Notify::Nowhere => false,
        }
    }
}

/// Asks every question, proposing what `facts` suggest.
pub fn ask<R: BufRead, W: Write>(p: &mut Prompt<R, W>, facts: &Facts) -> io::Result<Answers> {
    let proposed = Answers::proposed(facts);
    p.say(
        "bandwatch init: a few questions for bandwatch.toml. Enter takes the answer in [brackets].",
    )?;
    let found = if facts.interfaces.is_empty() {
        String::new()
    } else {
        format!(" (this machine has {})", facts.interfaces.join(", "))
    };
    p.say(&format!("\nWhich network interfaces to watch{found}."))?;
    let interfaces = p.ask(
        "Names or globs like eth*, separated by commas, or all",
        "all",
        interfaces,
    )?;
    p.say("\nA warning is raised when an interface goes faster than its limit.")?;
    let upload_mbps = p.ask(
        "Upload (sending) limit in Mbit/s",
        &number_text(proposed.upload_mbps),
        mbps,
    )?;
    let download_mbps = p.ask(
        "Download (receiving) limit in Mbit/s",
        &number_text(proposed.download_mbps),
        mbps,
    )?;
    let gateway = facts.gateway.as_ref().map_or_else(
        || "\nThe router to probe for reachability (no default route was found).".to_string(),
        |g| {
            format!(
                "\nThe router to probe for reachability: your default gateway is {} (on {}).",
                g.addr, g.iface
            )
        },
    );
    p.say(&gateway)?;
    let router = p.ask(
        "Router address or host name, or none",
        proposed.router.as_deref().unwrap_or("none"),
        router,
    )?;
    p.say("\nWhere alerts go besides the log.")?;
    let notify = match p.ask("Notify by email, webhook or none", "none", channel)? {
        Channel::Nowhere => Notify::Nowhere,
        Channel::Email => Notify::Email(ask_email(p)?),
        Channel::Webhook => Notify::Webhook {
            url: p.ask("Webhook URL (https://…)", "", webhook_url)?,
        },
    };
    Ok(Answers {
        interfaces,
        upload_mbps,
        download_mbps,
        router,
        notify,
    })
}

fn ask_email<R: BufRead, W: Write>(p: &mut Prompt<R, W>) -> io::Result<Email> {
    let server = p.ask("SMTP server (like smtp.example.com)", "", host)?;
    let port = p.ask("SMTP port (587 for STARTTLS)", "587", port)?;
    let username = p.ask("SMTP user name (empty for none)", "", |s| {
        Ok::<_, String>(s.to_string())
    })?;
    let password = if username.is_empty() {
        String::new()
    } else {
        p.secret("SMTP password")?
    };
    let from_proposed = if username.contains('@') {
        username.as_str()
    } else {
        ""
    };
    let from = p.ask("Sender address", from_proposed, address)?;
    let to = p.ask(
        "Send alerts to (addresses, separated by commas)",
        "",
        addresses,
    )?;
    Ok(Email {
        server,
        port,
        username,
        password,
        from,
        to,
    })
}

/// `50.0` as `50`, for a proposed answer.
fn number_text(v: f64) -> String {
    format!("{v}")
}

/// Interface globs: `all` (or nothing) watches every interface.
pub fn interfaces(text: &str) -> Result<Vec<String>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("all") {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(str::trim)
        .map(|name| {
            if name.is_empty() || name.chars().any(char::is_whitespace) {
                return Err(format!(
                    "'{name}' is not an interface name; separate names with commas"
                ));
            }
            globset::Glob::new(name)
                .map(|_| name.to_string())
                .map_err(|e| format!("'{name}' is not a valid glob: {}", e.kind()))
        })
        .collect()
}

/// A limit in Mbit/s: a number above 0.
pub fn mbps(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1e7 => Ok(v),
        _ => Err(format!(
            "'{}' is not a number of megabits per second above 0, like 50 or 0.5",
            text.trim()
        )),
    }
}

/// The router: an address or host name as `bandwatch test` takes it, or none.
pub fn router(text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    if ["none", "no", "-", ""]
        .iter()
        .any(|n| text.eq_ignore_ascii_case(n))
    {
        return Ok(None);
    }
    bandwatch_collect::Target::parse(Some("router"), text)
        .map(|_| Some(text.to_string()))
        .map_err(|e| format!("{e}; give an address like 192.168.1.1, a host name, or none"))
}

/// Which kind of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// None.
    Nowhere,
    /// Email over SMTP.
    Email,
    /// A webhook.
    Webhook,
}

/// `email`, `webhook` or `none` (or their first letters).
pub fn channel(text: &str) -> Result<Channel, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "email" | "e" | "mail" => Ok(Channel::Email),
        "webhook" | "w" => Ok(Channel::Webhook),
        "none" | "n" | "no" => Ok(Channel::Nowhere),
        other => Err(format!("'{other}' is not one of email, webhook or none")),
    }
}

/// A host name or address, without scheme or port.
pub fn host(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.contains(['/', ':', ' ', '@']) {
        return Err(format!(
            "'{text}' is not a host name; write it like smtp.example.com"
        ));
    }
    Ok(text.to_string())
}

/// A port number.
pub fn port(text: &str) -> Result<u16, String> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("'{}' is not a port number from 1 to 65535", text.trim()))
}

/// One email address (its form is checked fully when the file is read).
pub fn address(text: &str) -> Result<String, String> {
    let text = text.trim();
    match text.split_once('@') {
        Some((user, domain))
            if !user.is_empty() && !domain.is_empty() && !text.contains(char::is_whitespace) =>
        {
            Ok(text.to_string())
        }
        _ => Err(format!(
            "'{text}' is not an email address like ops@example.com"
        )),
    }
}

/// At least one address, separated by commas.
pub fn addresses(text: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(address)
        .collect::<Result<_, _>>()?;
    if list.is_empty() {
        return Err("give at least one address, like ops@example.com".into());
    }
    Ok(list)
}

/// An `http://` or `https://` URL with a host.
pub fn webhook_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let host = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace));
    match host {
        Some(_) => Ok(text.to_string()),
        None => Err(format!("'{text}' is not an http:// or https:// URL")),
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn facts() -> Facts {
        Facts {
            interfaces: vec!["eth0".into(), "wlan0".into()],
            gateway: Some(Gateway {
                addr: Ipv4Addr::new(192, 168, 1, 1),
                iface: "eth0".into(),
            }),
        }
    }

    fn answer(text: &str) -> (Answers, String) {
        let mut out = Vec::new();
        let a = ask(&mut Prompt::new(text.as_bytes(), &mut out), &facts()).expect("answered");
        (a, String::from_utf8(out).expect("utf-8"))
    }

    #[test]
    fn enter_everywhere_takes_what_is_proposed() {
        let (a, shown) = answer("\n\n\n\n\n");
        assert_eq!(a, Answers::proposed(&facts()));
        assert_eq!(a.router.as_deref(), Some("192.168.1.1"));
        assert!(shown.contains("this machine has eth0, wlan0"), "{shown}");
        assert!(
            shown.contains("your default gateway is 192.168.1.1 (on eth0)"),
            "{shown}"
        );
        assert!(shown.contains("[192.168.1.1]"), "{shown}");
    }

    #[test]
    fn an_email_channel_with_a_password_and_wrong_answers_asked_again() {
        let text = "eth*, wlan0\nfast\n20\n200\nnone\nemail\nsmtp.example.com\n\nalerts@example.com\nhunter2 secret\n\nops@example.com, noc@example.com\n";
        let (a, shown) = answer(text);
        assert_eq!(a.interfaces, ["eth*", "wlan0"]);
        assert!((a.upload_mbps - 20.0).abs() < f64::EPSILON);
        assert!((a.download_mbps - 200.0).abs() < f64::EPSILON);
        assert_eq!(a.router, None);
        assert_eq!(
            a.notify,
            Notify::Email(Email {
                server: "smtp.example.com".into(),
                port: 587,
                username: "alerts@example.com".into(),
                password: "hunter2 secret".into(),
                from: "alerts@example.com".into(),
                to: vec!["ops@example.com".into(), "noc@example.com".into()],
            })
        );
        assert!(a.has_secret());
        assert!(
            shown.contains("'fast' is not a number of megabits"),
            "{shown}"
        );
        assert!(
            !shown.contains("hunter2"),
            "the password is never shown: {shown}"
        );
    }

    #[test]
    fn a_webhook_and_a_router_by_name() {
        let (a, _) = answer("all\n\n\nnas.lan\nw\nftp://x\nhttps://hooks.example.com/T0/abc\n");
        assert_eq!(a.router.as_deref(), Some("nas.lan"));
        assert_eq!(
            a.notify,
            Notify::Webhook {
                url: "https://hooks.example.com/T0/abc".into()
            }
        );
    }

    #[test]
    fn without_a_gateway_no_router_is_proposed() {
        let facts = Facts::default();
        assert_eq!(Answers::proposed(&facts).router, None);
        let mut out = Vec::new();
        let a = ask(&mut Prompt::new("\n\n\n\n\n".as_bytes(), &mut out), &facts).unwrap();
        assert_eq!(a.router, None);
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("no default route was found"));
    }

    #[test]
    fn checks_name_what_is_wrong() {
        assert_eq!(interfaces(" ALL ").unwrap(), Vec::<String>::new());
        assert!(interfaces("eth0 eth1")
            .unwrap_err()
            .contains("separate names with commas"));
        assert!(interfaces("eth[").unwrap_err().contains("not a valid glob"));
        assert!(mbps("0").is_err() && mbps("-3").is_err() && mbps("NaN").is_err());
        assert!((mbps(" 0.5 ").unwrap() - 0.5).abs() < f64::EPSILON);
        assert_eq!(router("None").unwrap(), None);
        assert!(router("tcp://nas").unwrap_err().contains("none"));
        assert!(port("0").is_err() && port("70000").is_err());
        assert!(address("ops").is_err() && address("a b@c").is_err());
        assert!(addresses(" , ").is_err());
        assert!(webhook_url("https://").is_err());
        assert!(host("smtp.example.com:587").is_err());
        assert_eq!(channel("Webhook").unwrap(), Channel::Webhook);
    }
}
