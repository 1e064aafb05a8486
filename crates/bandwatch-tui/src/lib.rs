//! bandwatch's terminal view (`bandwatch top`), without I/O: a [`State`] fed by
//! [`Action`]s (keys, frames, alert events, resizes) through the pure [`update`], and
//! [`render()`], which draws a `&State` into a ratatui frame one region at a time. The binary
//! owns the terminal, the event loop and the data feed; this crate only decides what is shown.

pub mod action;
pub mod model;
pub mod render;
pub mod state;
pub mod update;
pub mod vocab;

pub use action::{Action, Effect, Key};
pub use render::render;
pub use state::{Options, Pane, State, Units};
pub use update::update;
pub use vocab::Vocabulary;
