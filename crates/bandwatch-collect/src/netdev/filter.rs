//! Which interfaces to watch: shell-style include and exclude patterns on the name.

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::error::{CollectError, Result};

/// Include/exclude globs on interface names. No include pattern means every interface; an
/// exclude match always wins.
#[derive(Debug, Clone, Default)]
pub struct InterfaceFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl InterfaceFilter {
    /// Compiles the patterns; an invalid one is an error naming it.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self> {
        Ok(Self {
            include: compile(include)?,
            exclude: compile(exclude)?,
        })
    }

    /// A filter that lets every interface through.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether the interface called `name` is watched.
    pub fn matches(&self, name: &str) -> bool {
        if self.exclude.as_ref().is_some_and(|set| set.is_match(name)) {
            return false;
        }
        self.include.as_ref().is_none_or(|set| set.is_match(name))
    }
}

fn compile(patterns: &[String]) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|source| CollectError::InvalidPattern {
            pattern: pattern.clone(),
            source,
        })?;
        builder.add(glob);
    }
    let set = builder
        .build()
        .map_err(|source| CollectError::InvalidPattern {
            pattern: patterns.join(", "),
            source,
        })?;
    Ok(Some(set))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn filter(include: &[&str], exclude: &[&str]) -> InterfaceFilter {
        InterfaceFilter::new(&strings(include), &strings(exclude)).unwrap()
    }

    #[test]
    fn empty_include_means_all() {
        let f = filter(&[], &[]);
        assert!(f.matches("eth0") && f.matches("lo") && f.matches("total"));
        assert!(InterfaceFilter::all().matches("wg0"));
    }

    #[test]
    fn include_globs_select_and_exclude_wins() {
        let f = filter(&["eth*", "wl?0"], &["eth1", "*.10*"]);
        assert!(f.matches("eth0"));
        assert!(f.matches("wlp0"));
        assert!(!f.matches("wlan0"), "? is exactly one character");
        assert!(!f.matches("eth1"), "excluded although included");
        assert!(!f.matches("eth0.100"));
        assert!(!f.matches("lo"));
    }

    #[test]
    fn exclude_alone_keeps_the_rest() {
        let f = filter(&[], &["veth*", "lo"]);
        assert!(f.matches("eth0"));
        assert!(!f.matches("veth1a2b"));
        assert!(!f.matches("lo"));
    }

    #[test]
    fn invalid_glob_names_pattern_and_says_what_to_do() {
        let err = InterfaceFilter::new(&strings(&["eth*"]), &strings(&["[eth"])).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("interface pattern '[eth' is not a valid glob: "),
            "{msg}"
        );
        assert!(
            msg.ends_with("; use shell-style patterns like 'eth*' or 'wl?0'"),
            "{msg}"
        );
        assert!(std::error::Error::source(&err).is_some());
        assert!(matches!(err, CollectError::InvalidPattern { pattern, .. } if pattern == "[eth"));
    }
}
