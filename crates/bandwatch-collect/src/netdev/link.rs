//! Link state of one interface from `<sys_root>/class/net/<iface>/`.
//!
//! Virtual interfaces lack some of these files and some reads fail by design (see
//! [`carrier_from_read`]), so every reading is optional and none can fail the tick.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use crate::fs::FileSystem;

/// `IFF_LOOPBACK` from `<linux/if.h>`.
const IFF_LOOPBACK: u32 = 0x8;

/// The sysfs files read on every tick, built once per interface.
#[derive(Debug, Clone)]
pub struct LinkPaths {
    operstate: PathBuf,
    carrier: PathBuf,
    speed: PathBuf,
    mtu: PathBuf,
}

impl LinkPaths {
    /// The paths for `iface` (the kernel's bytes, not a shown form) under `sys_root`
    /// (normally `/sys`).
    pub fn new(sys_root: &Path, iface: impl AsRef<OsStr>) -> Self {
        let dir = iface_dir(sys_root, iface.as_ref());
        Self {
            operstate: dir.join("operstate"),
            carrier: dir.join("carrier"),
            speed: dir.join("speed"),
            mtu: dir.join("mtu"),
        }
    }
}

/// What sysfs says about a link; `None` where it could not say.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LinkState {
    /// Whether the link is usable, by the rule of [`link_up`]; `None` without `operstate`.
    pub up: Option<bool>,
    /// Whether there is a carrier.
    pub carrier: Option<bool>,
    /// Negotiated speed in bits per second, only when the driver knows it.
    pub speed_bits_per_second: Option<f64>,
    /// The largest packet the link sends, in bytes (`ip link set … mtu` changes it on a
    /// live interface; see [`LinkReader`] for how often it is read).
    pub mtu_bytes: Option<f64>,
}

/// Reads the link state: one read each of `operstate`, `carrier`, `speed` and `mtu`.
pub fn read_link_state<F: FileSystem + ?Sized>(fs: &F, paths: &LinkPaths) -> LinkState {
    let (up, carrier) = read_up(fs, paths);
    let (speed_bits_per_second, mtu_bytes) = read_static(fs, paths);
    LinkState {
        up,
        carrier,
        speed_bits_per_second,
        mtu_bytes,
    }
}

/// Whether the link is up, and its carrier: what can change from one tick to the next.
fn read_up<F: FileSystem + ?Sized>(fs: &F, paths: &LinkPaths) -> (Option<bool>, Option<bool>) {
    let carrier = carrier_from_read(fs.read_attribute(&paths.carrier));
    let up = fs
        .read_attribute(&paths.operstate)
        .ok()
        .map(|text| link_up(text.trim(), carrier));
    (up, carrier)
}

/// The speed and MTU: what changes only with the link.
fn read_static<F: FileSystem + ?Sized>(fs: &F, paths: &LinkPaths) -> (Option<f64>, Option<f64>) {
    let speed = fs
        .read_attribute(&paths.speed)
        .ok()
        .and_then(|text| parse_speed_mbps(&text))
        .map(|mbps| mbps as f64 * 1e6);
    let mtu = fs
        .read_attribute(&paths.mtu)
        .ok()
        .and_then(|text| parse_mtu(&text))
        .map(f64::from);
    (speed, mtu)
}

/// Seconds after which the speed and MTU are read again although the link did not change.
pub const STATIC_REFRESH_SECS: f64 = 10.0;

/// Reads one interface's link state tick after tick. The speed changes only when the link is
/// renegotiated, which takes it down and up, and the MTU only by `ip link set … mtu`; so
/// both are read again when `operstate` or `carrier` changed and otherwise every
/// [`STATIC_REFRESH_SECS`]: half the sysfs reads of a tick, each a syscall and a kernel
/// `sprintf`, for an MTU change seen within ten seconds instead of one tick.
#[derive(Debug, Clone)]
pub struct LinkReader {
    paths: LinkPaths,
    last: Option<LinkState>,
    since_static: f64,
}

impl LinkReader {
    /// A reader of the files at `paths`; its first reading reads all four.
    pub fn new(paths: LinkPaths) -> Self {
        Self {
            paths,
            last: None,
            since_static: 0.0,
        }
    }

    /// The link state after `secs` more seconds.
    pub fn read<F: FileSystem + ?Sized>(&mut self, fs: &F, secs: f64) -> LinkState {
        let (up, carrier) = read_up(fs, &self.paths);
        self.since_static += secs;
        let (speed_bits_per_second, mtu_bytes) = match self.last {
            Some(last)
                if last.up == up
                    && last.carrier == carrier
                    && self.since_static < STATIC_REFRESH_SECS =>
            {
                (last.speed_bits_per_second, last.mtu_bytes)
            }
            _ => {
                self.since_static = 0.0;
                read_static(fs, &self.paths)
            }
        };
        let state = LinkState {
            up,
            carrier,
            speed_bits_per_second,
            mtu_bytes,
        };
        self.last = Some(state);
        state
    }
}

/// Whether a link is up, from its `operstate` text and carrier.
///
/// The rule: `up` is up. `unknown` is up only when the carrier is 1, because loopback, tun,
/// WireGuard and many PPP drivers never set an operstate and carrier is their only link
/// signal. Anything else (`down`, `dormant`, `lowerlayerdown`, `notpresent`, `testing`) is
/// down.
pub fn link_up(operstate: &str, carrier: Option<bool>) -> bool {
    match operstate {
        "up" => true,
        "unknown" => carrier == Some(true),
        _ => false,
    }
}

/// The carrier from the result of reading the `carrier` file.
///
/// The kernel answers `EINVAL` while the interface is administratively down, which means no
/// carrier; a missing file or other error means we cannot tell.
pub fn carrier_from_read(read: io::Result<String>) -> Option<bool> {
    match read {
        Ok(text) => match text.trim() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => Some(false),
        Err(_) => None,
    }
}

/// The speed in Mbit/s from the `speed` file, when positive (drivers write -1 when unknown).
pub fn parse_speed_mbps(text: &str) -> Option<u64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .and_then(|v| u64::try_from(v).ok())
        .filter(|&v| v > 0)
}

/// The MTU in bytes from the `mtu` file, when positive.
pub fn parse_mtu(text: &str) -> Option<u32> {
    text.trim().parse::<u32>().ok().filter(|&v| v > 0)
}

/// The interface flags from the `flags` file (hexadecimal, like `0x1003`).
pub fn parse_flags(text: &str) -> Option<u32> {
    let t = text.trim();
    let hex = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X"))?;
    u32::from_str_radix(hex, 16).ok()
}

/// Whether `iface` is a loopback: `IFF_LOOPBACK` in its flags, or when the flags cannot be
/// read, the name `lo`.
pub fn is_loopback<F: FileSystem + ?Sized>(
    fs: &F,
    sys_root: &Path,
    iface: impl AsRef<OsStr>,
) -> bool {
    let iface = iface.as_ref();
    let flags = fs
        .read_to_string(&iface_dir(sys_root, iface).join("flags"))
        .ok()
        .and_then(|text| parse_flags(&text));
    match flags {
        Some(f) => f & IFF_LOOPBACK != 0,
        None => iface == "lo",
    }
}

/// Whether `iface` is backed by a device on a bus (PCI, USB, virtio …): only then is its
/// `speed` a limit on what it can carry. Virtual interfaces (veth, bridges, bonds, tun)
/// have no `device` link, and the speed some of them report is nominal: two namespaces
/// joined by a veth that says 10000 Mbit/s exchange far more than that.
pub fn is_physical<F: FileSystem + ?Sized>(
    fs: &F,
    sys_root: &Path,
    iface: impl AsRef<OsStr>,
) -> bool {
    // Every device directory has a `uevent` file, so this read is the existence test that
    // the file-reading seam can express.
    fs.read(&iface_dir(sys_root, iface.as_ref()).join("device/uevent"))
        .is_ok()
}

fn iface_dir(sys_root: &Path, iface: &OsStr) -> PathBuf {
    sys_root.join("class/net").join(iface)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::FakeFs;

    const SYS: &str = "/s";

    fn fs_with(iface: &str, files: &[(&str, &str)]) -> FakeFs {
        let fs = FakeFs::new();
        for (name, text) in files {
            fs.set(format!("{SYS}/class/net/{iface}/{name}"), *text);
        }
        fs
    }

    fn read(fs: &FakeFs, iface: &str) -> LinkState {
        read_link_state(fs, &LinkPaths::new(Path::new(SYS), iface))
    }

    #[test]
    fn speed_and_mtu_are_read_again_on_a_link_change_or_after_ten_seconds() {
        let fs = fs_with(
            "eth0",
            &[
                ("operstate", "up\n"),
                ("carrier", "1\n"),
                ("speed", "1000\n"),
                ("mtu", "1500\n"),
            ],
        );
        let mut reader = LinkReader::new(LinkPaths::new(Path::new(SYS), "eth0"));
        assert_eq!(
            reader.read(&fs, 1.0).mtu_bytes,
            Some(1500.0),
            "the first read reads all"
        );
        fs.set(format!("{SYS}/class/net/eth0/mtu"), "1400\n");
        fs.set(format!("{SYS}/class/net/eth0/speed"), "100\n");
        assert_eq!(
            reader.read(&fs, 1.0).mtu_bytes,
            Some(1500.0),
            "kept while nothing changed"
        );
        let later = reader.read(&fs, STATIC_REFRESH_SECS);
        assert_eq!(
            (later.mtu_bytes, later.speed_bits_per_second),
            (Some(1400.0), Some(1e8))
        );
        // A renegotiation takes the link down: the new speed is read on that very tick.
        fs.set(format!("{SYS}/class/net/eth0/speed"), "10\n");
        fs.set(format!("{SYS}/class/net/eth0/operstate"), "down\n");
        let down = reader.read(&fs, 0.1);
        assert_eq!(
            (down.up, down.speed_bits_per_second),
            (Some(false), Some(1e7))
        );
        fs.set(format!("{SYS}/class/net/eth0/speed"), "1000\n");
        fs.set(format!("{SYS}/class/net/eth0/operstate"), "up\n");
        assert_eq!(reader.read(&fs, 0.1).speed_bits_per_second, Some(1e9));
    }

    #[test]
    fn reads_a_wired_link() {
        let fs = fs_with(
            "eth0",
            &[
                ("operstate", "up\n"),
                ("carrier", "1\n"),
                ("speed", "1000\n"),
                ("mtu", "9000\n"),
            ],
        );
        assert_eq!(
            read(&fs, "eth0"),
            LinkState {
                up: Some(true),
                carrier: Some(true),
                speed_bits_per_second: Some(1e9),
                mtu_bytes: Some(9000.0),
            }
        );
    }

    #[test]
    fn missing_files_give_unknowns_not_errors() {
        assert_eq!(read(&FakeFs::new(), "veth0"), LinkState::default());
        let fs = fs_with("tun0", &[("operstate", "unknown\n")]);
        assert_eq!(
            read(&fs, "tun0"),
            LinkState {
                up: Some(false),
                ..LinkState::default()
            }
        );
    }

    #[test]
    fn carrier_einval_means_admin_down() {
        let fs = fs_with("ifb0", &[("operstate", "down\n"), ("speed", "-1\n")]);
        fs.fail_with_os_error(format!("{SYS}/class/net/ifb0/carrier"), 22);
        assert_eq!(
            read(&fs, "ifb0"),
            LinkState {
                up: Some(false),
                carrier: Some(false),
                speed_bits_per_second: None,
                mtu_bytes: None,
            }
        );
        let denied = Err(io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(carrier_from_read(denied), None);
        assert_eq!(carrier_from_read(Ok("garbage".into())), None);
    }

    #[test]
    fn up_rule() {
        assert!(link_up("up", None));
        assert!(link_up("up", Some(false)));
        assert!(link_up("unknown", Some(true)));
        assert!(!link_up("unknown", Some(false)));
        assert!(!link_up("unknown", None));
        for s in [
            "down",
            "dormant",
            "lowerlayerdown",
            "notpresent",
            "testing",
            "",
        ] {
            assert!(!link_up(s, Some(true)), "{s}");
        }
    }

    #[test]
    fn speed_only_when_positive() {
        assert_eq!(parse_speed_mbps("10000\n"), Some(10_000));
        assert_eq!(parse_speed_mbps("-1\n"), None);
        assert_eq!(parse_speed_mbps("0"), None);
        assert_eq!(parse_speed_mbps("fast"), None);
    }

    #[test]
    fn mtu_only_when_a_positive_number() {
        assert_eq!(parse_mtu("1500\n"), Some(1500));
        assert_eq!(parse_mtu("65536"), Some(65536));
        assert_eq!(parse_mtu("0"), None);
        assert_eq!(parse_mtu("-1"), None);
        assert_eq!(parse_mtu("big"), None);
    }

    #[test]
    fn loopback_by_flags_then_by_name() {
        assert_eq!(parse_flags("0x1003\n"), Some(0x1003));
        assert_eq!(parse_flags("4099"), None);
        let root = Path::new(SYS);
        let fs = fs_with("lo", &[("flags", "0x9\n")]);
        assert!(is_loopback(&fs, root, "lo"));
        let fs = fs_with("eth0", &[("flags", "0x1003\n")]);
        assert!(!is_loopback(&fs, root, "eth0"));
        // A second loopback device under another name is still a loopback.
        let fs = fs_with("lo2", &[("flags", "0x49\n")]);
        assert!(is_loopback(&fs, root, "lo2"));
        // Without a flags file only the name is left to go by.
        assert!(is_loopback(&FakeFs::new(), root, "lo"));
        assert!(!is_loopback(&FakeFs::new(), root, "eth0"));
        // Flags win over the name.
        let fs = fs_with("lo", &[("flags", "0x1003\n")]);
        assert!(!is_loopback(&fs, root, "lo"));
    }

    #[test]
    fn physical_by_its_device_link() {
        let root = Path::new(SYS);
        let fs = fs_with("eth0", &[("device/uevent", "DRIVER=e1000e\n")]);
        assert!(is_physical(&fs, root, "eth0"));
        assert!(!is_physical(&fs, root, "veth0"));
    }

    #[test]
    fn names_outside_utf8_reach_sysfs_as_their_bytes() {
        use std::os::unix::ffi::OsStrExt as _;
        let raw = OsStr::from_bytes(b"bad\xff");
        let fs = FakeFs::new();
        let dir = Path::new(SYS).join("class/net").join(raw);
        fs.set(dir.join("operstate"), "up\n");
        fs.set(dir.join("speed"), "100\n");
        fs.set(dir.join("flags"), "0x9\n");
        let link = read_link_state(&fs, &LinkPaths::new(Path::new(SYS), raw));
        assert_eq!(link.up, Some(true));
        assert_eq!(link.speed_bits_per_second, Some(1e8));
        assert!(is_loopback(&fs, Path::new(SYS), raw));
    }
}
