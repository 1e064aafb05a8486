//! Parser of `/proc/net/dev`: one line per interface, `name:` followed by 8 receive and
//! 8 transmit counters.

use std::fmt;

/// How many counters the kernel prints after each interface name.
const FIELDS: usize = 16;

/// The counters of one interface as the kernel reports them (since boot or driver load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfaceCounters<'a> {
    /// Interface name, e.g. `eth0`.
    pub name: &'a str,
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

/// A line of `/proc/net/dev` that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ParseError {
    /// 1-based line number in the text.
    pub line: usize,
    /// What was wrong with it.
    pub problem: LineProblem,
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
        /// The text found there.
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
                write!(f, "counter {field} is '{text}', not a non-negative integer")
            }
        }
    }
}

/// Parses the whole text of `/proc/net/dev`, in the kernel's interface order.
///
/// Header lines (they contain `|`) and blank lines are skipped; any other line must be an
/// interface line.
pub fn parse_proc_net_dev(text: &str) -> Result<Vec<IfaceCounters<'_>>, ParseError> {
    let mut out = Vec::with_capacity(8);
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.contains('|') {
            continue;
        }
        let counters = parse_line(line).map_err(|problem| ParseError {
            line: index + 1,
            problem,
        })?;
        out.push(counters);
    }
    Ok(out)
}

/// Parses one interface line such as `  eth0: 1234 5 0 0 …` or, as old kernels print
/// large counters, `eth0:123456789 …` with no space after the colon.
fn parse_line(line: &str) -> Result<IfaceCounters<'_>, LineProblem> {
    // Linux forbids ':' in interface names, so the first colon ends the name.
    let (name, rest) = line.split_once(':').ok_or(LineProblem::NoColon)?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(LineProblem::BadName);
    }
    let v = parse_fields(rest)?;
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
fn parse_fields(rest: &str) -> Result<[u64; FIELDS], LineProblem> {
    let mut v = [0u64; FIELDS];
    let mut found = 0;
    for (slot, text) in v.iter_mut().zip(rest.split_ascii_whitespace()) {
        *slot = text.parse().map_err(|_| LineProblem::NotANumber {
            field: found + 1,
            text: text.to_owned(),
        })?;
        found += 1;
    }
    if found < FIELDS {
        return Err(LineProblem::TooFewFields { found });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODERN: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   44877     555    0    0    0     0          0         0    44877     555    0    0    0     0       0          0
  eth0: 149773044    5127    1    2    0     0          0        17   345958    3150    3    4    0     0       0          0
";

    #[test]
    fn parses_modern_kernel_text() {
        let v = parse_proc_net_dev(MODERN).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name, "lo");
        assert_eq!(
            v[1],
            IfaceCounters {
                name: "eth0",
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
        let text = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
  eth0:3917623411 2891001    0    0    0     0          0         0 123456789  987654    0    0    0     0       0          0
";
        let v = parse_proc_net_dev(text).unwrap();
        assert_eq!(v[0].name, "eth0");
        assert_eq!(v[0].rx_bytes, 3_917_623_411);
        assert_eq!(v[0].tx_bytes, 123_456_789);
        assert_eq!(v[0].tx_packets, 987_654);
    }

    #[test]
    fn tolerates_blank_lines_tabs_extra_columns_and_no_header() {
        let text = "\n\t wlan0 :\t1  2 3 4 5 6 7 8   9 10 11 12 13 14 15 16 99\n\n";
        let v = parse_proc_net_dev(text).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].name, "wlan0");
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
    fn u64_counters_are_exact() {
        let text = "x: 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0";
        assert_eq!(parse_proc_net_dev(text).unwrap()[0].rx_bytes, u64::MAX);
    }

    #[test]
    fn empty_text_has_no_interfaces() {
        assert!(parse_proc_net_dev("").unwrap().is_empty());
    }

    #[test]
    fn malformed_lines_name_line_and_problem() {
        let head = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n";
        let cases = [
            ("eth0 1 2 3", LineProblem::NoColon),
            (": 1 2 3", LineProblem::BadName),
            ("et h0: 1", LineProblem::BadName),
            ("eth0: 1 2 3", LineProblem::TooFewFields { found: 3 }),
            (
                "eth0: 1 2 -3 4 5 6 7 8 9 10 11 12 13 14 15 16",
                LineProblem::NotANumber {
                    field: 3,
                    text: "-3".into(),
                },
            ),
        ];
        for (line, problem) in cases {
            let text = format!("{head}  lo: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n{line}\n");
            let err = parse_proc_net_dev(&text).unwrap_err();
            assert_eq!(err, ParseError { line: 4, problem }, "for {line:?}");
        }
    }

    #[test]
    fn error_message_says_line_and_problem() {
        let err = parse_proc_net_dev("a\nb: x").unwrap_err();
        assert_eq!(err.to_string(), "line 1: no ':' after the interface name");
    }

    #[test]
    fn parses_fixture_files() {
        let basic = include_str!("../../tests/fixtures/proc_net_dev_basic.txt");
        let names: Vec<_> = parse_proc_net_dev(basic)
            .unwrap()
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["lo", "eth0", "wlan0", "docker0", "wg0"]);
        let many = include_str!("../../tests/fixtures/proc_net_dev_64.txt");
        assert_eq!(parse_proc_net_dev(many).unwrap().len(), 64);
        let old = include_str!("../../tests/fixtures/proc_net_dev_old_kernel.txt");
        let old = parse_proc_net_dev(old).unwrap();
        assert_eq!(old[1].name, "eth0");
        assert_eq!(old[1].rx_bytes, 2_147_483_000);
    }
}
