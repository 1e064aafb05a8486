//! The subnets of the machine's interfaces (getifaddrs(3)), so the LAN defaults to the
//! networks of the interfaces the devices source watches. The one libc call is wrapped here;
//! what to keep of its answer is a pure function over plain values.

// FFI: getifaddrs/freeifaddrs and reading the sockaddrs of the list they return.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddr {
    /// The interface's name.
    pub interface: String,
    /// The address with its prefix length.
    pub net: IpNet,
}

/// Every IPv4 and IPv6 address of every interface, with its prefix (as networks: the host
/// bits cleared).
pub fn interface_addresses() -> std::io::Result<Vec<IfAddr>> {
    walk(with_mask)
}

/// Every IPv4 and IPv6 address of every interface as configured: the host's own address
/// with its prefix length (`192.168.1.7/24`), for showing people.
pub fn interface_host_addresses() -> std::io::Result<Vec<IfAddr>> {
    walk(host_with_mask)
}

/// Walks the getifaddrs list, keeping what `keep` makes of each address and netmask.
fn walk(keep: fn(IpAddr, IpAddr) -> Option<IpNet>) -> std::io::Result<Vec<IfAddr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we own until freeifaddrs; checked for failure.
    if unsafe { libc::getifaddrs(&raw mut head) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, alive until freeifaddrs.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_netmask.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: non-null sockaddrs of the node; the family says which struct each is.
        let (addr, mask) = unsafe { (sockaddr_ip(ifa.ifa_addr), sockaddr_ip(ifa.ifa_netmask)) };
        let (Some(addr), Some(mask)) = (addr, mask) else {
            continue;
        };
        // SAFETY: a NUL-terminated name owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        if let Some(net) = keep(addr, mask) {
            out.push(IfAddr {
                interface: name,
                net,
            });
        }
    }
    // SAFETY: frees the list getifaddrs made; no reference into it is kept.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}

/// The IP in a sockaddr of family AF_INET or AF_INET6.
///
/// # Safety
/// `sa` must point to a valid sockaddr whose real type matches its `sa_family`.
unsafe fn sockaddr_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    // SAFETY: guaranteed by the caller.
    match i32::from(unsafe { (*sa).sa_family }) {
        libc::AF_INET => {
            // SAFETY: the family says it is a sockaddr_in.
            let sin = unsafe { sa.cast::<libc::sockaddr_in>().read_unaligned() };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says it is a sockaddr_in6.
            let sin6 = unsafe { sa.cast::<libc::sockaddr_in6>().read_unaligned() };
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

/// The network of `addr` under netmask `mask` (same family; a contiguous mask).
pub fn with_mask(addr: IpAddr, mask: IpAddr) -> Option<IpNet> {
    host_with_mask(addr, mask).map(|n| n.trunc())
}

/// `addr` with the prefix length of netmask `mask` (same family), host bits kept.
pub fn host_with_mask(addr: IpAddr, mask: IpAddr) -> Option<IpNet> {
    let prefix = match mask {
        IpAddr::V4(m) => u32::from(m).leading_ones(),
        IpAddr::V6(m) => u128::from(m).leading_ones(),
    };
    if addr.is_ipv4() != mask.is_ipv4() {
        return None;
    }
    IpNet::new(addr, u8::try_from(prefix).ok()?).ok()
}

/// The subnets of the interfaces `wanted` accepts, loopback left out, each once.
pub fn subnets_of(addresses: &[IfAddr], wanted: impl Fn(&str) -> bool) -> Vec<IpNet> {
    let mut nets: Vec<IpNet> = addresses
        .iter()
        .filter(|a| wanted(&a.interface) && !a.net.addr().is_loopback())
        .map(|a| a.net)
        .collect();
    nets.sort_unstable();
    nets.dedup();
    nets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_make_networks() {
        let n = with_mask(
            "192.168.1.7".parse().unwrap(),
            "255.255.255.0".parse().unwrap(),
        );
        assert_eq!(n, Some("192.168.1.0/24".parse().unwrap()));
        let n = with_mask("fd00::7".parse().unwrap(), "ffff:ffff::".parse().unwrap());
        assert_eq!(n, Some("fd00::/32".parse().unwrap()));
        assert_eq!(
            with_mask("10.0.0.1".parse().unwrap(), "ffff::".parse().unwrap()),
            None
        );
        let h = host_with_mask(
            "192.168.1.7".parse().unwrap(),
            "255.255.255.0".parse().unwrap(),
        );
        assert_eq!(h, Some("192.168.1.7/24".parse().unwrap()));
    }

    #[test]
    fn subnets_of_the_wanted_interfaces_without_loopback() {
        let a = |i: &str, n: &str| IfAddr {
            interface: i.into(),
            net: n.parse().unwrap(),
        };
        let all = [
            a("lo", "127.0.0.0/8"),
            a("br-lan", "192.168.1.0/24"),
            a("br-lan", "fd00::/64"),
            a("wan", "203.0.113.0/24"),
            a("br-lan", "192.168.1.0/24"),
        ];
        assert_eq!(
            subnets_of(&all, |i| i == "br-lan" || i == "lo"),
            vec![
                "192.168.1.0/24".parse::<IpNet>().unwrap(),
                "fd00::/64".parse().unwrap()
            ]
        );
    }

    #[test]
    fn this_machine_has_a_loopback_address() {
        let all = interface_addresses().unwrap();
        assert!(all.iter().any(|a| a.net.addr().is_loopback()), "{all:?}");
        let hosts = interface_host_addresses().unwrap();
        let lo: IpNet = "127.0.0.1/8".parse().unwrap();
        assert!(hosts.iter().any(|a| a.net == lo), "{hosts:?}");
    }
}
