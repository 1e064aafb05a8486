//! `generate`'s flags checked and resolved once into what to do: serve, or send (where, and
//! a plan per direction). Every mistake is a [`BadInput`] naming the flag and the fix.

use std::time::Duration;

use bandwatch_generate::rate::{self, intensity_bps, parse_rate, DEFAULT_INTENSITY};
use bandwatch_generate::{Plan, Target};

use crate::cli::GenerateArgs;
use crate::error::BadInput;

/// The port `--serve` listens on and `--peer` connects to when none is given.
pub const DEFAULT_PORT: u16 = 5210;
/// How long to send when `--duration` is not given.
const DEFAULT_DURATION: Duration = Duration::from_secs(60);
/// The longest `--duration`.
const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// What `bandwatch generate` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Be the far end, listening here.
    Serve {
        /// `ADDR:PORT`.
        listen: String,
    },
    /// Send and/or receive.
    Send {
        /// Our own sink, or a far end.
        target: Target,
        /// What we send.
        upload: Option<Plan>,
        /// What the far end sends us.
        download: Option<Plan>,
    },
}

/// The request the flags make, or what is wrong with them.
pub fn resolve(args: &GenerateArgs) -> Result<Request, BadInput> {
    if args.serve {
        return serve(args);
    }
    if args.listen.is_some() {
        return Err(BadInput(
            "--listen is where --serve listens: add --serve to be the far end, or give \
             --peer HOST:PORT to send to one"
                .into(),
        ));
    }
    if args.download_only && args.upload_only {
        return Err(BadInput(
            "--download-only and --upload-only exclude each other: give one of them, or \
             neither for both directions at once"
                .into(),
        ));
    }
    let duration = duration(args.duration.as_deref())?;
    let upload = (!args.download_only)
        .then(|| way_rate(args, "--upload-intensity", args.upload_intensity))
        .transpose()?
        .map(|bps| Plan::new(bps, duration));
    let download = (!args.upload_only)
        .then(|| way_rate(args, "--download-intensity", args.download_intensity))
        .transpose()?
        .map(|bps| Plan::new(bps, duration));
    unused_intensity(args)?;
    let target = args
        .peer
        .as_deref()
        .map_or(Target::Loopback, |p| Target::Peer(with_port(p)));
    Ok(Request::Send {
        target,
        upload,
        download,
    })
}

/// `--serve`: only `--listen` means anything; the client chooses the rest.
fn serve(args: &GenerateArgs) -> Result<Request, BadInput> {
    let client_only = [
        ("--duration", args.duration.is_some()),
        ("--download-intensity", args.download_intensity.is_some()),
        ("--upload-intensity", args.upload_intensity.is_some()),
        ("--download-only", args.download_only),
        ("--upload-only", args.upload_only),
        ("--rate", args.rate.is_some()),
    ];
    if let Some((flag, _)) = client_only.iter().find(|(_, given)| *given) {
        return Err(BadInput(format!(
            "{flag} is chosen by the sending side: the far end (--serve) serves whatever each \
             `bandwatch generate --peer` asks for; drop {flag} here and give it there"
        )));
    }
    let listen = args
        .listen
        .as_deref()
        .map_or_else(|| format!("0.0.0.0:{DEFAULT_PORT}"), with_port);
    Ok(Request::Serve { listen })
}

/// One direction's rate in bits per second: `--rate`, else its intensity (default 5).
fn way_rate(args: &GenerateArgs, flag: &str, intensity: Option<i64>) -> Result<u64, BadInput> {
    if let Some(text) = &args.rate {
        if intensity.is_some() {
            return Err(BadInput(format!(
                "--rate and {flag} both set the rate: give one of them"
            )));
        }
        return parse_rate(text).map_err(|e| BadInput(format!("--rate: {e}")));
    }
    let i = intensity.unwrap_or(i64::from(DEFAULT_INTENSITY));
    u8::try_from(i).ok().and_then(intensity_bps).ok_or_else(|| {
        BadInput(format!(
            "{flag} {i} is out of range: give {} (1 Mbit/s) to {} (1 Gbit/s), or --rate \
                 for an exact rate such as 200M",
            rate::MIN_INTENSITY,
            rate::MAX_INTENSITY
        ))
    })
}

/// An intensity for the direction an `-only` flag turned off is a mistake worth naming.
fn unused_intensity(args: &GenerateArgs) -> Result<(), BadInput> {
    let unused = if args.download_only && args.upload_intensity.is_some() {
        Some(("--upload-intensity", "--download-only"))
    } else if args.upload_only && args.download_intensity.is_some() {
        Some(("--download-intensity", "--upload-only"))
    } else {
        None
    };
    unused.map_or(Ok(()), |(flag, only)| {
        Err(BadInput(format!(
            "{flag} has no effect with {only}: drop one of them"
        )))
    })
}

/// `--duration`: seconds (`60`, `2.5`) or a time (`90s`, `2m`), more than 0 and at most 24 h.
fn duration(text: Option<&str>) -> Result<Duration, BadInput> {
    let Some(text) = text else {
        return Ok(DEFAULT_DURATION);
    };
    let bad = || {
        BadInput(format!(
            "--duration '{text}' is not a duration: give seconds (60, 2.5) or a time such as \
             90s or 2m"
        ))
    };
    let d = match text.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 && secs <= MAX_DURATION.as_secs_f64() => {
            Duration::from_secs_f64(secs)
        }
        Ok(_) => Duration::MAX,
        Err(_) => humantime::parse_duration(text.trim()).map_err(|_| bad())?,
    };
    if d.is_zero() || d < Duration::from_millis(1) || d > MAX_DURATION {
        return Err(BadInput(format!(
            "--duration '{text}' is out of range: give more than 0 and at most 24h"
        )));
    }
    Ok(d)
}

/// `HOST:PORT`, with [`DEFAULT_PORT`] added when there is no port.
fn with_port(addr: &str) -> String {
    let has_port = match addr.rsplit_once(':') {
        // `[::1]:5210` or `host:5210`; a bare IPv6 address has colons but no brackets.
        Some((host, port)) => {
            port.parse::<u16>().is_ok() && (host.ends_with(']') || !host.contains(':'))
        }
        None => false,
    };
    if has_port {
        addr.to_string()
    } else if addr.contains(':') && !addr.starts_with('[') {
        format!("[{addr}]:{DEFAULT_PORT}")
    } else {
        format!("{addr}:{DEFAULT_PORT}")
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn resolved(args: &[&str]) -> Result<Request, BadInput> {
        let cli =
            Cli::try_parse_from(["bandwatch", "generate"].iter().chain(args)).expect("parses");
        let Some(Command::Generate(g)) = &cli.command else {
            panic!("not generate")
        };
        resolve(g)
    }

    fn error(args: &[&str]) -> String {
        resolved(args).expect_err("refused").0
    }

    #[test]
    fn the_defaults_are_both_ways_at_intensity_5_for_60_s_on_loopback() {
        let plan = Plan::new(21_544_347, Duration::from_secs(60));
        assert_eq!(
            resolved(&[]).expect("ok"),
            Request::Send {
                target: Target::Loopback,
                upload: Some(plan),
                download: Some(plan)
            }
        );
    }

    #[test]
    fn flags_set_each_direction() {
        let r = resolved(&[
            "--duration",
            "2.5",
            "--download-only",
            "--download-intensity",
            "10",
            "--peer",
            "10.0.0.2",
        ])
        .expect("ok");
        assert_eq!(
            r,
            Request::Send {
                target: Target::Peer("10.0.0.2:5210".into()),
                upload: None,
                download: Some(Plan::new(1_000_000_000, Duration::from_millis(2500)))
            }
        );
        let Request::Send { upload, .. } =
            resolved(&["--rate", "200M", "--duration", "2m"]).expect("ok")
        else {
            panic!("send")
        };
        assert_eq!(
            upload,
            Some(Plan::new(200_000_000, Duration::from_secs(120)))
        );
    }

    #[test]
    fn serve_listens_on_the_default_port() {
        assert_eq!(
            resolved(&["--serve"]).expect("ok"),
            Request::Serve {
                listen: "0.0.0.0:5210".into()
            }
        );
        assert_eq!(
            resolved(&["--serve", "--listen", "[::]:7000"]).expect("ok"),
            Request::Serve {
                listen: "[::]:7000".into()
            }
        );
    }

    #[test]
    fn mistakes_name_the_flag_and_the_fix() {
        for (args, expected) in [
            (
                &["--upload-intensity", "0"][..],
                "--upload-intensity 0 is out of range: give 1 (1 Mbit/s) to 10 (1 Gbit/s)",
            ),
            (
                &["--download-intensity", "11"],
                "--download-intensity 11 is out of range",
            ),
            (
                &["--download-intensity", "-1"],
                "--download-intensity -1 is out of range",
            ),
            (&["--download-only", "--upload-only"], "exclude each other"),
            (&["--rate", "fast"], "--rate: 'fast' is not a rate"),
            (
                &["--rate", "1M", "--upload-intensity", "3"],
                "--rate and --upload-intensity both set the rate",
            ),
            (
                &["--download-only", "--upload-intensity", "3"],
                "--upload-intensity has no effect with --download-only",
            ),
            (&["--duration", "0"], "--duration '0' is out of range"),
            (&["--duration", "-3"], "--duration '-3' is out of range"),
            (
                &["--duration", "soon"],
                "--duration 'soon' is not a duration",
            ),
            (&["--duration", "25h"], "at most 24h"),
            (
                &["--listen", "0.0.0.0:1"],
                "--listen is where --serve listens",
            ),
            (
                &["--serve", "--rate", "1M"],
                "--rate is chosen by the sending side",
            ),
        ] {
            let e = error(args);
            assert!(e.contains(expected), "{args:?}: {e}");
        }
    }

    #[test]
    fn ports_are_added_where_missing() {
        assert_eq!(with_port("host"), "host:5210");
        assert_eq!(with_port("host:1"), "host:1");
        assert_eq!(with_port("[::1]:1"), "[::1]:1");
        assert_eq!(with_port("::1"), "[::1]:5210");
        assert_eq!(with_port("[::1]"), "[::1]:5210");
    }
}
