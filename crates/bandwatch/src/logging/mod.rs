//! Logs go to stderr (stdout is reserved for the per-tick output) and, when asked, to a
//! file rotated daily (`daily`).

mod daily;

use std::io::IsTerminal as _;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{fmt, EnvFilter, Layer as _};

use crate::config::LogConfig;
use crate::error::BadInput;

/// Keeps the file writer alive; dropping it flushes the log file.
pub struct LogGuard {
    _file: Option<WorkerGuard>,
}

/// Installs the global subscriber.
pub fn init(cfg: &LogConfig) -> Result<LogGuard, BadInput> {
    let filter = || EnvFilter::new(format!("{},hyper=warn,rusqlite=warn", cfg.level.as_str()));
    let console = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_filter(filter());
    let (file_layer, guard) = match &cfg.file {
        Some(path) => {
            let (writer, guard) = file_writer(path)?;
            let layer = fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = tracing_subscriber::registry()
        .with(console)
        .with(file_layer)
        .try_init();
    Ok(LogGuard { _file: guard })
}

fn file_writer(
    path: &Path,
) -> Result<(tracing_appender::non_blocking::NonBlocking, WorkerGuard), BadInput> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| {
        BadInput(format!(
            "log file '{}' has no file name; give a path such as ./logs/bandwatch.log",
            path.display()
        ))
    })?;
    std::fs::create_dir_all(dir).map_err(|e| {
        BadInput(format!("cannot create log directory {}: {e}; choose a writable --log-file or fix the permissions", dir.display()))
    })?;
    let file = daily::DailyFile::open(&dir.join(name)).map_err(|e| {
        BadInput(format!(
            "cannot open log file {}: {e}; choose a writable --log-file",
            path.display()
        ))
    })?;
    Ok(tracing_appender::non_blocking(file))
}
