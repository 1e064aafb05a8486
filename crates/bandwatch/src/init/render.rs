//! The commented `bandwatch.toml` that `init` writes from the answers: only the keys a new
//! user is likely to change, each with a line saying what it does, and pointers to the rest.

use std::fmt::Write as _;

use super::answers::{Answers, Email, Notify};
use crate::config::{float, quote};

/// The file's text.
pub fn render(a: &Answers) -> String {
    let mut out = String::from(HEADER);
    let globs: Vec<String> = a.interfaces.iter().map(|g| quote(g)).collect();
    let _ = write!(
        out,
        "\n[monitor]\n\
         # Interfaces to watch, as shell globs (\"eth*\"); empty watches all of them.\n\
         interfaces = [{}]\n\
         # Interfaces never to watch, e.g. [\"docker*\", \"veth*\"].\n\
         exclude = []\n\
         # Seconds between samples (0.1 to 3600).\n\
         interval = 1.0\n",
        globs.join(", ")
    );
    let _ = write!(
        out,
        "\n[thresholds]\n\
         # A warning when an interface sends (upload) or receives (download) faster than this,\n\
         # in megabits per second.\n\
         upload_mbps = {}\n\
         download_mbps = {}\n",
        float(a.upload_mbps),
        float(a.download_mbps)
    );
    out.push_str(
        "\n[store]\n\
         # The history: one SQLite file. `bandwatch serve` shows it read-only, even while\n\
         # `bandwatch run` records it.\n\
         path = \"./data/bandwatch.db\"\n",
    );
    out.push_str(
        "\n[probe]\n\
         # Devices to check every 30 s: an address or host name (ICMP echo),\n\
         # \"tcp://host:port\" or \"https://host/\". `bandwatch test` probes them once.\n",
    );
    match &a.router {
        Some(spec) => {
            let _ = writeln!(
                out,
                "targets = [{{ name = \"router\", target = {} }}]",
                quote(spec)
            );
        }
        None => out.push_str("targets = []\n"),
    }
    out.push_str(
        "\n[web]\n\
         # The dashboard and API, served by `bandwatch run`: http://127.0.0.1:8080/\n\
         # Any address but loopback needs a token (one is printed at start).\n\
         listen = \"127.0.0.1:8080\"\n",
    );
    out.push_str(&notify(&a.notify));
    out
}

const HEADER: &str = "\
# bandwatch configuration, written by `bandwatch init`.
#
# Keys not written here keep their built-in defaults. `bandwatch config check` prints every
# value in effect and where it came from; bandwatch.example.toml and the README
# (\"Configuration\") describe every key. Environment variables (BANDWATCH_*, also read
# from ./.env) and command-line flags override this file.
";

fn notify(n: &Notify) -> String {
    match n {
        Notify::Nowhere => "\n\
            # Where alerts go besides the log: nowhere yet. An email channel looks like this\n\
            # (the README's \"Notifications\" lists webhook, Slack, Telegram, MQTT and more);\n\
            # `bandwatch notify test` sends a test message through each.\n\
            # [[notify.channels]]\n\
            # name = \"mail\"\n\
            # type = \"email\"\n\
            # server = \"smtp.example.com\"\n\
            # port = 587\n\
            # username = \"bandwatch@example.com\"\n\
            # password = \"app-password\"\n\
            # from = \"bandwatch@example.com\"\n\
            # to = [\"ops@example.com\"]\n"
            .to_string(),
        Notify::Email(e) => email(e),
        Notify::Webhook { url } => format!(
            "\n\
             # Alerts are posted as JSON to this URL (`bandwatch notify test` sends a test).\n\
             [[notify.channels]]\n\
             name = \"webhook\"\n\
             type = \"webhook\"\n\
             url = {}\n",
            quote(url)
        ),
    }
}

fn email(e: &Email) -> String {
    let mut out = String::from(
        "\n\
         # Alerts by email over SMTP with STARTTLS (`bandwatch notify test` sends a test).\n\
         [[notify.channels]]\n\
         name = \"mail\"\n\
         type = \"email\"\n",
    );
    let _ = writeln!(out, "server = {}", quote(&e.server));
    let _ = writeln!(out, "port = {}", e.port);
    if !e.username.is_empty() {
        let _ = writeln!(out, "username = {}", quote(&e.username));
        let _ = writeln!(out, "password = {}", quote(&e.password));
    }
    let _ = writeln!(out, "from = {}", quote(&e.from));
    let to: Vec<String> = e.to.iter().map(|t| quote(t)).collect();
    let _ = writeln!(out, "to = [{}]", to.join(", "));
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::init::answers::Facts;

    fn parses(text: &str) -> crate::config::Config {
        crate::config::from_file_text(text, Path::new("bandwatch.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn the_defaults_read_back_as_the_defaults_plus_the_router() {
        let mut a = Answers::proposed(&Facts::default());
        let config = parses(&render(&a));
        assert_eq!(config, crate::config::defaults());
        a.router = Some("192.168.1.1".into());
        let config = parses(&render(&a));
        assert_eq!(config.probe.targets.len(), 1);
        assert_eq!(config.probe.targets[0].target.name, "router");
    }

    #[test]
    fn every_answer_reads_back_and_odd_text_stays_text() {
        let a = Answers {
            interfaces: vec!["eth*".into(), "wl\"an0".into()],
            upload_mbps: 0.5,
            download_mbps: 250.0,
            router: Some("nas.lan".into()),
            notify: Notify::Email(Email {
                server: "smtp.example.com".into(),
                port: 465,
                username: "me@example.com".into(),
                password: "p\"a\\ss\nword".into(),
                from: "me@example.com".into(),
                to: vec!["ops@example.com".into()],
            }),
        };
        let text = render(&a);
        let config = parses(&text);
        assert_eq!(config.monitor.interfaces, ["eth*", "wl\"an0"]);
        assert!((config.thresholds.upload_bps - 0.5e6).abs() < 1e-6);
        assert!((config.thresholds.download_bps - 250e6).abs() < 1e-6);
        let ch = &config.notify.channels[0].value;
        assert_eq!(ch.password.as_deref(), Some("p\"a\\ss\nword"));
        assert_eq!(ch.port, Some(465));
        let hook = Answers {
            notify: Notify::Webhook {
                url: "https://hooks.example.com/T0/abc".into(),
            },
            ..a
        };
        let config = parses(&render(&hook));
        assert_eq!(
            config.notify.channels[0].value.url.as_deref(),
            Some("https://hooks.example.com/T0/abc")
        );
    }
}
