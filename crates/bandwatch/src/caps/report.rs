//! `bandwatch report caps`: a placeholder until the caps work lands; it replaces this file.

use crate::cli::ReportArgs;
use crate::config::Config;
use crate::error::BadInput;

/// Shows the data caps; not available in this build yet.
pub fn run(_config: &Config, _args: &ReportArgs, _json: bool) -> anyhow::Result<()> {
    Err(BadInput(
        "`bandwatch report caps` is not available yet: data caps ([[caps]]) are not part of \
         this build"
            .into(),
    )
    .into())
}
