//! Warning about lines of `/proc/net/dev` that could not be read: once per interface (or
//! per line, when no name could be read) while the line stays bad, not on every tick.

use std::collections::HashSet;
use std::path::Path;

use super::parse::ParseError;

/// The bad lines already warned about, by what they are about.
#[derive(Debug, Default)]
pub(crate) struct BadLines {
    warned: HashSet<String>,
}

impl BadLines {
    /// Warns about each line of `errors` not warned about on an earlier tick, and forgets
    /// those that are gone, so a line that turns bad again is warned about again. Returns
    /// how many warnings were written.
    pub fn report(&mut self, path: &Path, errors: &[ParseError]) -> usize {
        if errors.is_empty() && self.warned.is_empty() {
            return 0;
        }
        let mut now = HashSet::with_capacity(errors.len());
        let mut written = 0;
        for e in errors {
            let key = match &e.iface {
                Some(iface) => iface.clone(),
                None => format!("\n{}", e.line),
            };
            if !self.warned.contains(&key) {
                written += 1;
                tracing::warn!(
                    file = %path.display(),
                    problem = %e,
                    "skipping a line of the interface counters that cannot be read; the \
                     other interfaces are still sampled"
                );
            }
            now.insert(key);
        }
        self.warned = now;
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netdev::parse::LineProblem;

    fn bad(line: usize, iface: Option<&str>) -> ParseError {
        ParseError {
            line,
            iface: iface.map(str::to_owned),
            problem: LineProblem::TooFewFields { found: 1 },
        }
    }

    #[test]
    fn each_bad_line_is_warned_about_once_while_it_stays_bad() {
        let mut log = BadLines::default();
        let p = Path::new("/proc/net/dev");
        let errors = [bad(3, Some("bad0")), bad(5, None)];
        assert_eq!(log.report(p, &errors), 2);
        for _ in 0..10 {
            assert_eq!(log.report(p, &errors), 0, "not again on later ticks");
        }
        // The interface moved to another line: still the same interface.
        assert_eq!(log.report(p, &[bad(4, Some("bad0")), bad(5, None)]), 0);
        // It was fixed, then broke again: worth a new warning.
        assert_eq!(log.report(p, &[bad(5, None)]), 0);
        assert_eq!(log.report(p, &[bad(4, Some("bad0")), bad(5, None)]), 1);
        assert_eq!(log.report(p, &[]), 0);
        assert!(log.warned.is_empty());
    }
}
