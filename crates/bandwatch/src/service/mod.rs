//! What installing bandwatch as a service needs from the binary itself: its version with the
//! commit it was built from, shell completions and the manual page, the last two generated
//! from the clap definition so they never drift from `--help`.

pub mod completions;
pub mod man;

/// `bandwatch --version`: the package version and the git commit it was built from (`build.rs`
/// embeds it; "unknown" when built outside a git checkout).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BANDWATCH_GIT_COMMIT"),
    ")"
);
