//! Carrying alerts over a restart: the alerts open at the last shutdown go on firing instead
//! of being announced again.

use bandwatch_engine::Engine;
use bandwatch_store::Store;

/// Hands `engine` the alerts `store` holds as open; returns how many there were.
pub fn restore_open_alerts(
    store: &dyn Store,
    engine: &mut Engine,
) -> bandwatch_store::Result<usize> {
    let open = store.open_alerts()?;
    if !open.is_empty() {
        tracing::info!(
            alerts = open.len(),
            "alerts still open from the last run carry on"
        );
    }
    engine.restore(&open);
    Ok(open.len())
}
