//! The devices source: bytes per LAN device, from packet headers (a live AF_PACKET capture
//! or a pcap file) or from the kernel's connection tracking.
//!
//! The parts meet at two seams: a [`Backend`] reads the kernel (or a file) and reports what it
//! saw to an [`Observer`] (a packet's addresses and wire length, or a flow's byte counts since
//! the last report); the accounting is the observer that turns those into per-device totals.

pub mod account;
pub mod backend;
pub mod capture;
pub mod conntrack;
pub mod ifaddrs;
pub mod lan;
pub mod metric;
pub mod namer;
pub mod names;
pub mod packet;
pub mod pcap;
pub mod reader;
pub mod registry;
pub mod source;

pub use account::{
    Accounting, AccountingConfig, Counts, DeviceDelta, DeviceKey, Drained, Identity,
};
pub use backend::{Backend, BackendStats, FlowBytes, Observer};
pub use lan::{LanError, LanNets};
pub use packet::{
    parse_ethernet, parse_ip, parse_linux_sll, parse_linux_sll2, parse_null, Mac, PacketMeta,
};
pub use pcap::{PcapBackend, PcapFileError};
pub use registry::{KnownDevice, KnownEntry, Limits, Registry, RegistryError};
pub use source::{announced, DevicesConfig, DevicesSource, Namer, SOURCE_NAME};
