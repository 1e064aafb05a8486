//! The data caps of a run: the agent's cap tracker over the `[[caps]]` of the configuration,
//! seeded from the history in the local time zone.

use bandwatch_agent::caps::{Caps, Zone};
use bandwatch_core::Timestamp;
use bandwatch_store::Store;

use crate::config::Config;

/// The cap tracker, when any cap is configured.
pub fn seed(config: &Config, store: &dyn Store, now: Timestamp) -> Option<Caps> {
    if config.caps.is_empty() {
        return None;
    }
    let specs = config.caps.iter().map(|c| c.spec.clone()).collect();
    Some(Caps::seed(store, specs, Box::new(Zone(chrono::Local)), now))
}
