//! Errors that are the user's to fix: they end the program with exit code 2.

/// A problem with what the user gave us (configuration, paths); the message says the fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Exit code for bad input, as for command-line usage errors.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a failure while running.
pub const EXIT_FAILURE: u8 = 1;

/// The exit code an error deserves.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<BadInput>().is_some()
        || err.downcast_ref::<crate::config::ConfigError>().is_some()
    {
        EXIT_BAD_INPUT
    } else {
        EXIT_FAILURE
    }
}
