//! Which mounted filesystems get a disk usage series, from `<proc_root>/self/mountinfo`.
//!
//! Rules, in order:
//! - pseudo filesystems ([`PSEUDO_FSTYPES`]: proc, sysfs, tmpfs, cgroup…) hold no disk space
//!   worth watching and are skipped. `overlay` is kept: a container's `/` is an overlay;
//! - read-only images ([`IMAGE_FSTYPES`]: squashfs such as snaps, iso9660, erofs, cramfs) are
//!   always 100 % full by design and are skipped, `ro` or not;
//! - network filesystems ([`NETWORK_FSTYPES`]) are skipped: `statvfs` on an unreachable
//!   server blocks, and one hung mount would stall every tick of this source;
//! - bind mounts (the same `major:minor` mounted again) are reported once, under the mount
//!   of the filesystem's own root (`root` field `/`), the shortest such path winning.
//!
//! A filesystem whose `statvfs` reports 0 blocks is skipped too (see the source), which
//! catches pseudo filesystems missing from the list.

/// Filesystems without backing storage.
pub const PSEUDO_FSTYPES: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "sysfs",
    "tmpfs",
    "tracefs",
];

/// Read-only image filesystems.
pub const IMAGE_FSTYPES: &[&str] = &["squashfs", "iso9660", "erofs", "cramfs"];

/// Filesystems whose `statvfs` goes over the network.
pub const NETWORK_FSTYPES: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ceph",
    "glusterfs",
    "9p",
    "fuse.sshfs",
];

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount<'a> {
    /// `major:minor` of the device.
    pub device: &'a str,
    /// The directory of the filesystem mounted here (`/` unless a bind mount of a subtree).
    pub root: String,
    /// Where it is mounted, with the kernel's octal escapes (`\040`) decoded.
    pub mount_point: String,
    /// Filesystem type (`ext4`, `overlay`, `fuse.sshfs`).
    pub fstype: &'a str,
    /// Whether the mount has the `ro` option.
    pub read_only: bool,
}

/// Parses a mountinfo text; malformed lines are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<Mount<'_>> {
    text.lines().filter_map(parse_mount_line).collect()
}

fn parse_mount_line(line: &str) -> Option<Mount<'_>> {
    let (left, right) = line.split_once(" - ")?;
    let mut l = left.split(' ');
    let (_id, _parent, device, root, mount_point, options) = (
        l.next()?,
        l.next()?,
        l.next()?,
        l.next()?,
        l.next()?,
        l.next()?,
    );
    let fstype = right.split(' ').next().filter(|t| !t.is_empty())?;
    Some(Mount {
        device,
        root: unescape(root),
        mount_point: unescape(mount_point),
        fstype,
        read_only: options.split(',').any(|o| o == "ro"),
    })
}

/// Decodes the kernel's `\ooo` escapes of space, tab, newline and backslash.
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        if let Some(d) = octal {
            let v = d.iter().fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
            out.push(u8::try_from(v).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a filesystem of this type and mode may get a usage series (see the module doc).
pub fn is_watched_fstype(fstype: &str) -> bool {
    !(PSEUDO_FSTYPES.contains(&fstype)
        || IMAGE_FSTYPES.contains(&fstype)
        || NETWORK_FSTYPES.contains(&fstype))
}

/// The mounts to report, one per device, in mountinfo order.
pub fn select_mounts<'m, 'a>(mounts: &'m [Mount<'a>]) -> Vec<&'m Mount<'a>> {
    let mut chosen: Vec<&Mount<'a>> = Vec::new();
    for m in mounts.iter().filter(|m| is_watched_fstype(m.fstype)) {
        match chosen.iter_mut().find(|c| c.device == m.device) {
            Some(c) if better(m, c) => *c = m,
            Some(_) => {}
            None => chosen.push(m),
        }
    }
    chosen
}

/// Whether `m` names its device better than `current`: a mount of the filesystem's root
/// beats a bind mount of a subtree, then the shorter path wins.
fn better(m: &Mount<'_>, current: &Mount<'_>) -> bool {
    let key = |x: &Mount<'_>| (x.root != "/", x.mount_point.len());
    key(m) < key(current)
}
