//! The default gateway from the text of `/proc/net/route`: the router `init` proposes to
//! probe.
//!
//! Each line after the header is `Iface Destination Gateway Flags RefCnt Use Metric Mask …`
//! with the addresses as 8 hex digits of the 32-bit value in this machine's byte order (the
//! kernel prints the network-order bytes as a native integer). A default route has
//! destination and mask 0, and the flags up (`0x1`) and gateway (`0x2`); of several, the
//! lowest metric wins, as the kernel chooses.

use std::net::Ipv4Addr;

/// A default route: its gateway and the interface it leaves by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// The router's address.
    pub addr: Ipv4Addr,
    /// The interface (`eth0`).
    pub iface: String,
}

const RTF_UP: u32 = 0x1;
const RTF_GATEWAY: u32 = 0x2;

/// The default gateway in `text`, the contents of `/proc/net/route`; `None` when there is
/// none (or the text is not that file).
pub fn default_gateway(text: &str) -> Option<Gateway> {
    text.lines()
        .skip(1)
        .filter_map(parse_line)
        .filter(|r| r.destination == 0 && r.mask == 0)
        .filter(|r| r.flags & (RTF_UP | RTF_GATEWAY) == RTF_UP | RTF_GATEWAY)
        .filter(|r| r.gateway != 0)
        .min_by_key(|r| r.metric)
        .map(|r| Gateway {
            addr: Ipv4Addr::from(r.gateway.to_ne_bytes()),
            iface: r.iface.to_string(),
        })
}

struct Route<'a> {
    iface: &'a str,
    destination: u32,
    gateway: u32,
    flags: u32,
    metric: u32,
    mask: u32,
}

fn parse_line(line: &str) -> Option<Route<'_>> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let hex = |i: usize| f.get(i).and_then(|t| u32::from_str_radix(t, 16).ok());
    Some(Route {
        iface: f.first()?,
        destination: hex(1)?,
        gateway: hex(2)?,
        flags: hex(3)?,
        metric: f.get(6)?.parse().ok()?,
        mask: hex(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses as this machine's kernel prints them.
    fn hex(a: [u8; 4]) -> String {
        format!("{:08X}", u32::from_ne_bytes(a))
    }

    fn route(
        iface: &str,
        dest: [u8; 4],
        gw: [u8; 4],
        flags: u32,
        metric: u32,
        mask: [u8; 4],
    ) -> String {
        format!(
            "{iface}\t{}\t{}\t{flags:04X}\t0\t0\t{metric}\t{}\t0\t0\t0",
            hex(dest),
            hex(gw),
            hex(mask)
        )
    }

    const HEADER: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";

    #[test]
    fn a_typical_home_table_gives_its_router() {
        // As printed on an x86 laptop: 192.168.1.1 is 0101A8C0.
        if cfg!(target_endian = "little") {
            let text = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                        wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n\
                        wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n";
            assert_eq!(
                default_gateway(text),
                Some(Gateway {
                    addr: Ipv4Addr::new(192, 168, 1, 1),
                    iface: "wlan0".into()
                })
            );
        }
    }

    #[test]
    fn the_lowest_metric_wins_and_other_routes_are_not_defaults() {
        let text = [
            HEADER.to_string(),
            // A host route through a gateway, not a default.
            route(
                "eth0",
                [10, 0, 0, 7],
                [10, 0, 0, 1],
                0x7,
                0,
                [255, 255, 255, 255],
            ),
            // A default route that is down.
            route("eth2", [0; 4], [172, 16, 0, 1], 0x2, 0, [0; 4]),
            route("wlan0", [0; 4], [192, 168, 1, 1], 0x3, 600, [0; 4]),
            route("eth0", [0; 4], [10, 0, 0, 1], 0x3, 100, [0; 4]),
            route("eth0", [10, 0, 0, 0], [0; 4], 0x1, 100, [255, 255, 255, 0]),
        ]
        .join("\n");
        assert_eq!(
            default_gateway(&text),
            Some(Gateway {
                addr: Ipv4Addr::new(10, 0, 0, 1),
                iface: "eth0".into()
            })
        );
    }

    #[test]
    fn no_default_route_or_no_table_gives_none() {
        let local_only = [
            HEADER.to_string(),
            route("eth0", [10, 0, 0, 0], [0; 4], 0x1, 0, [255, 255, 255, 0]),
        ]
        .join("\n");
        assert_eq!(default_gateway(&local_only), None);
        assert_eq!(default_gateway(HEADER), None);
        assert_eq!(default_gateway(""), None);
        assert_eq!(default_gateway("garbage\nnot a route table at all"), None);
        // A default route without a gateway (a point-to-point link) names no router.
        let ppp = [
            HEADER.to_string(),
            route("ppp0", [0; 4], [0; 4], 0x1, 0, [0; 4]),
        ]
        .join("\n");
        assert_eq!(default_gateway(&ppp), None);
    }
}
