//! Ctrl+C and SIGTERM end a run through its [`Cancel`] token, from a thread of their own
//! that [`SignalWatch::stop`] joins.

use std::thread::JoinHandle;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

use crate::cancel::Cancel;

/// Turns SIGINT and SIGTERM into a cancellation while it lives.
#[derive(Debug)]
pub struct SignalWatch {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl SignalWatch {
    /// Listens for SIGINT and SIGTERM; the first one cancels `cancel` (and says which it
    /// was in the log).
    pub fn start(cancel: &Cancel) -> std::io::Result<Self> {
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        let handle = signals.handle();
        let cancel = cancel.clone();
        let thread = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for signal in signals.forever() {
                    if signal == SIGINT {
                        tracing::info!("interrupted (Ctrl+C)");
                    } else {
                        tracing::info!("terminated (SIGTERM)");
                    }
                    cancel.cancel();
                }
            })?;
        Ok(Self {
            handle,
            thread: Some(thread),
        })
    }

    /// Stops listening and joins the thread.
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("the signal thread panicked");
            }
        }
    }
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        self.finish();
    }
}
