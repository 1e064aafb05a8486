//! Parser of `/proc/net/dev`: one line per interface, `name:` followed by 8 receive and
//! 8 transmit counters.
//!
//! It works on bytes, because the kernel prints interface names verbatim and they need not
//! be UTF-8, and one line that cannot be understood costs only that line: the interfaces on
//! the other lines are still returned.

use std::fmt;

use super::name;

/// How many counters the kernel prints after each interface name.
const FIELDS: usize = 16;

/// Longest piece of a bad counter quoted in an error, in bytes.
const QUOTE_MAX: usize = 32;

/// The counters of one interface as the kernel reports them (since boot or driver load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfaceCounters<'a> {
    /// Interface name as the kernel printed it, e.g. `eth0` (any bytes; see [`name::shown`]).
    pub name: &'a [u8],
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets received.
    pub rx_packets: u64,
    /// Receive errors.
    pub rx_errs: u64,
    /// Received packets dropped.
    pub rx_drop: u64,
    /// Multicast packets received.
    pub rx_multicast: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Transmit errors.
    pub tx_errs: u64,
    /// Packets dropped on transmit.
    pub tx_drop: u64,
}

/// Everything read from one text of `/proc/net/dev`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcNetDev<'a> {
    /// The interfaces of the lines understood, in the kernel's order.
    pub interfaces: Vec<IfaceCounters<'a>>,
    /// The lines that were not, in order.
    pub bad_lines: Vec<ParseError>,
}

/// A line of `/proc/net/dev` that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// 1-based line number in the text.
    pub line: usize,
    /// The interface the line is about, as shown, when a name could be read from it.
    pub iface: Option<String>,
    /// What was wrong with it.
    pub problem: LineProblem,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.iface {
            Some(iface) => write!(
                f,
                "line {} (interface {iface:?}): {}",
                self.line, self.problem
            ),
            None => write!(f, "line {}: {}", self.line, self.problem),
        }
    }
}

/// What was wrong with a malformed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// No `:` separating the interface name from its counters.
    NoColon,
    /// Nothing, or something with spaces, before the `:`.
    BadName,
    /// Fewer than 16 counters after the name.
    TooFewFields {
        /// How many there were.
        found: usize,
    },
    /// A counter that is not a non-negative integer.
    NotANumber {
        /// 1-based position of the counter after the name.
        field: usize,
        /// The text found there (bytes outside UTF-8 escaped, at most 32 bytes).
        text: String,
    },
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoColon => f.write_str("no ':' after the interface name"),
            Self::BadName => f.write_str("missing or invalid interface name before ':'"),
            Self::TooFewFields { found } => {
                write!(
                    f,
                    "expected {FIELDS} counters after the name, found {found}"
                )
            }
            Self::NotANumber { field, text } => {
                write!(f, "counter {field} is {text:?}, not a non-negative integer")
            }
        }
    }
}

/// Parses the whole text of `/proc/net/dev`, in the kernel's interface order.
///
/// Lines are split at `\n` only. Blank lines and header lines (no `:`, and a `|`) are
/// skipped; any other line must be an interface line, and one that is not is reported in
/// [`ProcNetDev::bad_lines`] without affecting the others.
pub fn parse_proc_net_dev(text: &[u8]) -> ProcNetDev<'_> {
    let mut out = ProcNetDev {
        interfaces: Vec::with_capacity(8),
        bad_lines: Vec::new(),
    };
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        if is_blank(line) || is_header(line) {
            continue;
        }
        match parse_line(line) {
            Ok(counters) => out.interfaces.push(counters),
            Err((iface, problem)) => out.bad_lines.push(ParseError {
                line: index + 1,
                iface: iface.map(|raw| name::shown(raw).into_owned()),
                problem,
            }),
        }
    }
    out
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The two title lines. An interface line always has a `:` (names cannot hold one), while
/// its name may hold a `|`, so a `|` alone does not make a header.
fn is_header(line: &[u8]) -> bool {
    !line.contains(&b':') && line.contains(&b'|')
}

/// A bad line's interface name (when one could be read) and problem.
type LineFailure<'a> = (Option<&'a [u8]>, LineProblem);

/// Parses one interface line such as `  eth0: 1234 5 0 0 …` or, as old kernels print
/// large counters, `eth0:123456789 …` with no space after the colon.
fn parse_line(line: &[u8]) -> Result<IfaceCounters<'_>, LineFailure<'_>> {
    // Linux forbids ':' in interface names, so the first colon ends the name.
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or((None, LineProblem::NoColon))?;
    let (name, rest) = (line[..colon].trim_ascii(), &line[colon + 1..]);
    // Linux also forbids whitespace; only ASCII whitespace counts here, as in the kernel:
    // a name holding U+2028 or U+00A0 is a real interface.
    if name.is_empty() || name.iter().any(u8::is_ascii_whitespace) {
        return Err((None, LineProblem::BadName));
    }
    let v = parse_fields(rest).map_err(|problem| (Some(name), problem))?;
    Ok(IfaceCounters {
        name,
        rx_bytes: v[0],
        rx_packets: v[1],
        rx_errs: v[2],
        rx_drop: v[3],
        rx_multicast: v[7],
        tx_bytes: v[8],
        tx_packets: v[9],
        tx_errs: v[10],
        tx_drop: v[11],
    })
}

/// The 16 counters; any further columns are ignored so that a kernel which appends a
/// column does not stop monitoring (the known ones keep their positions).
fn parse_fields(rest: &[u8]) -> Result<[u64; FIELDS], LineProblem> {
    let mut v = [0u64; FIELDS];
    let mut found = 0;
    let fields = rest
        .split(u8::is_ascii_whitespace)
        .filter(|field| !field.is_empty());
    for (slot, text) in v.iter_mut().zip(fields) {
        *slot = parse_u64(text).ok_or_else(|| LineProblem::NotANumber {
            field: found + 1,
            text: name::shown(&text[..text.len().min(QUOTE_MAX)]).into_owned(),
        })?;
        found += 1;
    }
    if found < FIELDS {
        return Err(LineProblem::TooFewFields { found });
    }
    Ok(v)
}

/// A decimal `u64` of ASCII digits only (no sign, no spaces), as the kernel prints them.
fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MODERN: &[u8] = b"\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   44877     555    0    0    0     0          0         0    44877     555    0    0    0     0       0          0
  eth0: 149773044    5127    1    2    0     0          0        17   345958    3150    3    4    0     0       0          0
";

    const ZEROS: &str = "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0";

    /// Parses text that must hold no bad line.
    fn good(text: &[u8]) -> Vec<IfaceCounters<'_>> {
        let parsed = parse_proc_net_dev(text);
        assert_eq!(
            parsed.bad_lines,
            [],
            "in {:?}",
            String::from_utf8_lossy(text)
        );
        parsed.interfaces
    }

    fn names<'a>(v: &[IfaceCounters<'a>]) -> Vec<&'a [u8]> {
        v.iter().map(|c| c.name).collect()
    }

    #[test]
    fn parses_modern_kernel_text() {
        let v = good(MODERN);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name, b"lo");
        assert_eq!(
            v[1],
            IfaceCounters {
                name: b"eth0",
                rx_bytes: 149_773_044,
                rx_packets: 5127,
                rx_errs: 1,
                rx_drop: 2,
                rx_multicast: 17,
                tx_bytes: 345_958,
                tx_packets: 3150,
                tx_errs: 3,
                tx_drop: 4,
            }
        );
    }

    #[test]
    fn parses_name_glued_to_first_counter() {
        let text = b"\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
  eth0:3917623411 2891001    0    0    0     0          0         0 123456789  987654    0    0    0     0       0          0
";
        let v = good(text);
        assert_eq!(v[0].name, b"eth0");
        assert_eq!(v[0].rx_bytes, 3_917_623_411);
        assert_eq!(v[0].tx_bytes, 123_456_789);
        assert_eq!(v[0].tx_packets, 987_654);
    }

    #[test]
    fn tolerates_blank_lines_tabs_extra_columns_and_no_header() {
        let text = b"\n\t wlan0 :\t1  2 3 4 5 6 7 8   9 10 11 12 13 14 15 16 99\n\n";
        let v = good(text);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].name, b"wlan0");
        assert_eq!(
            (
                v[0].rx_bytes,
                v[0].rx_multicast,
                v[0].tx_bytes,
                v[0].tx_drop
            ),
            (1, 8, 9, 12)
        );
    }

    #[test]
    fn u64_counters_are_exact_and_overflow_is_not_a_number() {
        let text = b"x: 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0";
        assert_eq!(good(text)[0].rx_bytes, u64::MAX);
        let text = b"x: 18446744073709551616 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0";
        let parsed = parse_proc_net_dev(text);
        assert!(parsed.interfaces.is_empty());
        assert!(matches!(
            parsed.bad_lines[0].problem,
            LineProblem::NotANumber { field: 1, .. }
        ));
    }

    #[test]
    fn empty_text_has_no_interfaces() {
        assert_eq!(parse_proc_net_dev(b""), ProcNetDev::default());
    }

    /// The defect: `bad\xff` made the whole read fail as not UTF-8, and `u\u{2028}x` was
    /// refused as a name with whitespace (U+2028 is Unicode whitespace), so no interface
    /// at all was sampled. Now each is an interface like any other.
    #[test]
    fn names_of_any_bytes_are_interfaces() {
        let mut text = MODERN.to_vec();
        for odd in [
            b"bad\xff".as_slice(),
            "u\u{2028}x".as_bytes(),
            b"e\x1b[31mx",
            "nb\u{a0}sp".as_bytes(),
            b"a|b",
            b"\xc3",
        ] {
            text.extend_from_slice(b"  ");
            text.extend_from_slice(odd);
            text.extend_from_slice(b": 7 0 0 0 0 0 0 0 9 0 0 0 0 0 0 0\n");
        }
        let v = good(&text);
        assert_eq!(
            names(&v),
            [
                b"lo".as_slice(),
                b"eth0",
                b"bad\xff",
                "u\u{2028}x".as_bytes(),
                b"e\x1b[31mx",
                "nb\u{a0}sp".as_bytes(),
                b"a|b",
                b"\xc3",
            ]
        );
        assert!(v[2..].iter().all(|c| c.rx_bytes == 7 && c.tx_bytes == 9));
    }

    #[test]
    fn a_bad_line_costs_only_that_line() {
        let head = b"Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n";
        let cases = [
            (b"eth0 1 2 3".as_slice(), None, LineProblem::NoColon),
            (b": 1 2 3", None, LineProblem::BadName),
            (b"et h0: 1", None, LineProblem::BadName),
            (
                b"eth0: 1 2 3",
                Some("eth0"),
                LineProblem::TooFewFields { found: 3 },
            ),
            (
                b"eth0: 1 2 -3 4 5 6 7 8 9 10 11 12 13 14 15 16",
                Some("eth0"),
                LineProblem::NotANumber {
                    field: 3,
                    text: "-3".into(),
                },
            ),
            (
                b"b\xffd: 1 2 \xfe 4 5 6 7 8 9 10 11 12 13 14 15 16",
                Some("b\\xffd"),
                LineProblem::NotANumber {
                    field: 3,
                    text: "\\xfe".into(),
                },
            ),
        ];
        for (line, iface, problem) in cases {
            let mut text = head.to_vec();
            text.extend_from_slice(format!("  lo: {ZEROS}\n").as_bytes());
            text.extend_from_slice(line);
            text.extend_from_slice(format!("\n  eth9: {ZEROS}\n").as_bytes());
            let parsed = parse_proc_net_dev(&text);
            let shown = String::from_utf8_lossy(line);
            assert_eq!(
                names(&parsed.interfaces),
                [b"lo".as_slice(), b"eth9"],
                "{shown}"
            );
            let iface = iface.map(str::to_owned);
            assert_eq!(
                parsed.bad_lines,
                [ParseError {
                    line: 4,
                    iface,
                    problem
                }],
                "for {shown}"
            );
        }
    }

    #[test]
    fn error_message_says_line_interface_and_problem() {
        let parsed = parse_proc_net_dev(b"a\nb: x");
        assert_eq!(
            parsed.bad_lines[0].to_string(),
            "line 1: no ':' after the interface name"
        );
        assert_eq!(
            parsed.bad_lines[1].to_string(),
            "line 2 (interface \"b\"): counter 1 is \"x\", not a non-negative integer"
        );
        // A hostile counter is quoted escaped and cut short.
        let long = format!("e: \x1b[2J{}", "9".repeat(100));
        let msg = parse_proc_net_dev(long.as_bytes()).bad_lines[0].to_string();
        assert!(msg.contains("\"\\u{1b}[2J999"), "{msg}");
        assert!(!msg.contains('\x1b') && msg.len() < 120, "{msg}");
    }

    #[test]
    fn parses_fixture_files() {
        let basic = include_bytes!("../../tests/fixtures/proc_net_dev_basic.txt");
        assert_eq!(
            names(&good(basic)),
            [b"lo".as_slice(), b"eth0", b"wlan0", b"docker0", b"wg0"]
        );
        let many = include_bytes!("../../tests/fixtures/proc_net_dev_64.txt");
        assert_eq!(good(many).len(), 64);
        let old = include_bytes!("../../tests/fixtures/proc_net_dev_old_kernel.txt");
        let old = good(old);
        assert_eq!(old[1].name, b"eth0");
        assert_eq!(old[1].rx_bytes, 2_147_483_000);
    }

    /// A well-formed line for `name` with counters `n, n+1, …`.
    fn line_for(name: &[u8], n: u64) -> Vec<u8> {
        let mut line = b"  ".to_vec();
        line.extend_from_slice(name);
        line.push(b':');
        for i in 0..16 {
            line.extend_from_slice(format!(" {}", n + i).as_bytes());
        }
        line
    }

    /// A name the kernel would accept: 1–15 bytes, none of them `:`, `/`, NUL or ASCII
    /// whitespace.
    fn kernel_name() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            any::<u8>().prop_filter("allowed in a name", |b| {
                !matches!(b, b':' | b'/' | 0) && !b.is_ascii_whitespace()
            }),
            1..16,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes at all: no panic, and every reported interface came from a line that
        /// has a colon.
        #[test]
        fn any_bytes_parse_without_panic(text in prop::collection::vec(any::<u8>(), 0..512)) {
            let parsed = parse_proc_net_dev(&text);
            let lines = text.split(|&b| b == b'\n').count();
            prop_assert!(parsed.interfaces.len() + parsed.bad_lines.len() <= lines);
            for bad in &parsed.bad_lines {
                prop_assert!(bad.line >= 1 && bad.line <= lines);
                let _ = bad.to_string();
            }
        }

        /// Good lines mixed with garbage lines: every good line is kept, with its counters,
        /// in order.
        #[test]
        fn good_lines_survive_garbage_around_them(
            rows in prop::collection::vec(
                (kernel_name(), 0u64..u64::MAX / 2, prop::collection::vec(any::<u8>(), 0..80)),
                1..12,
            ),
        ) {
            let mut text = Vec::new();
            let mut want = Vec::new();
            for (i, (name, n, junk)) in rows.iter().enumerate() {
                text.extend_from_slice(&line_for(name, *n));
                text.push(b'\n');
                want.push((name.clone(), *n));
                // Garbage on its own line, never containing a newline.
                let junk: Vec<u8> = junk.iter().map(|&b| if b == b'\n' { b'x' } else { b }).collect();
                text.extend_from_slice(&junk);
                text.push(b'\n');
                if i % 3 == 0 {
                    text.extend_from_slice(b"Inter-|   Receive |  Transmit\n");
                }
            }
            let parsed = parse_proc_net_dev(&text);
            let got: Vec<(Vec<u8>, u64)> = parsed
                .interfaces
                .iter()
                .filter(|c| want.iter().any(|(name, _)| name.as_slice() == c.name))
                .map(|c| (c.name.to_vec(), c.rx_bytes))
                .collect();
            // A garbage line may by chance be a valid line naming an interface of its own;
            // what matters is that every good line is there, in order, with its counters.
            let mut it = got.iter();
            for w in &want {
                prop_assert!(it.any(|g| g == w), "{:?} missing from {:?}", w, got);
            }
        }
    }
}
