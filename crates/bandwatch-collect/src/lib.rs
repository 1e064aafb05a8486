//! bandwatch's sources. Each source reads one part of the machine on every tick and turns it
//! into a [`Frame`] of labelled samples; today that is [`netdev::NetdevSource`] (interface
//! counters from `/proc/net/dev` plus link state from `/sys/class/net`).
//!
//! Every read of the OS goes through [`fs::FileSystem`], with the `/proc` and `/sys` roots
//! taken from configuration, so the logic runs the same against the machine, a fixture tree
//! or an in-memory `FakeFs`.
//!
//! The fakes (`FakeFs`, `FakeFsUsage`) are not part of the public API: they exist only with
//! the `fake` feature, which other crates enable from `[dev-dependencies]`.

pub mod caps;
pub mod catalog;
pub mod devices;
pub mod error;
pub mod fs;
pub mod netdev;
pub mod probe;
pub mod system;

pub use bandwatch_core::Frame;
pub use catalog::catalog;
pub use error::{CollectError, Result};
#[cfg(any(test, feature = "fake"))]
pub use fs::FakeFs;
pub use fs::{FileSystem, KeptOpenFs, RealFs};
pub use netdev::{InterfaceFilter, NetdevConfig, NetdevSource};
pub use probe::{
    run_round, Host, ProbeConfig, ProbeError, ProbeKind, ProbeSource, Prober, RoundReport, Target,
    TargetError, UptimeTracker,
};
#[cfg(any(test, feature = "fake"))]
pub use system::FakeFsUsage;
pub use system::{FsUsage, StatvfsUsage, SystemConfig, SystemSource};

/// Something the agent asks for one [`Frame`] per tick.
pub trait Source {
    /// The source's name, as put in [`Frame::source`] (`netdev`, …).
    fn name(&self) -> &str;

    /// Takes one reading. `Ok(None)` means there is nothing to report this tick (the baseline
    /// tick, or no time has passed); an error leaves the source ready for the next tick.
    fn collect(&mut self) -> Result<Option<Frame>>;
}
