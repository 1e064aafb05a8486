//! Drives the devices backends for `scripts/bench-capture.sh`, printing one `key=value` line.
//!
//! - `devices_bench capture IFACE[,IFACE…] SECONDS POLL_MS`: live capture, polled every
//!   POLL_MS; reports frames, bytes, kernel drops and the process's CPU time.
//! - `devices_bench conntrack POLLS POLL_MS`: conntrack polls; reports the flows seen and
//!   the CPU time per poll.
//! - `devices_bench udp-flows ADDR:PORT COUNT`: sends one datagram from each of COUNT
//!   source ports, so conntrack holds COUNT flows.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use bandwatch_collect::devices::capture::{CaptureBackend, CaptureConfig};
use bandwatch_collect::devices::conntrack::{ConntrackBackend, ConntrackConfig};
use bandwatch_collect::devices::{Backend, FlowBytes, Observer, PacketMeta};

/// Counts what it is told, so the figure is the backend's own cost plus header parsing.
#[derive(Default)]
struct Count {
    frames: u64,
    bytes: u64,
    flows: u64,
}

impl Observer for Count {
    fn packet(&mut self, p: &PacketMeta) {
        self.frames += 1;
        self.bytes += p.wire_len;
    }
    fn flow(&mut self, f: &FlowBytes) {
        self.flows += 1;
        self.bytes += f.orig_bytes + f.reply_bytes;
    }
}

/// User and system CPU time of this process, from `/proc/self/stat` (USER_HZ = 100).
fn cpu_split() -> (Duration, Duration) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rfind(')').map_or("", |i| &stat[i + 2..]);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    let at = |i: usize| Duration::from_millis(f.get(i).copied().unwrap_or(0) * 10);
    (at(0), at(1))
}

/// User plus system CPU time of this process.
fn cpu() -> Duration {
    let (u, s) = cpu_split();
    u + s
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T {
    args.get(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("argument {i}: {what}"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("capture") => {
            let ifaces: String = arg(&args, 2, "interfaces");
            let secs: u64 = arg(&args, 3, "seconds");
            let poll = Duration::from_millis(arg(&args, 4, "poll ms"));
            let mut cfg = CaptureConfig::new(ifaces.split(',').map(str::to_owned).collect());
            // BW_RING=bytes: the ring `devices.ring_size` makes (else d2's 4 MiB default).
            if let Some(ring) = std::env::var("BW_RING").ok().and_then(|r| r.parse().ok()) {
                cfg = cfg.with_ring_size(ring);
            }
            let mut b = CaptureBackend::open(&cfg).expect("capture");
            let mut c = Count::default();
            // POLL_MS 0: wait on the ring as the agent's reader thread does.
            let (_stop_rx, stop) = rustix::pipe::pipe().expect("pipe");
            let (mut drops, t0, c0) = (0, Instant::now(), cpu());
            while t0.elapsed() < Duration::from_secs(secs) {
                if poll.is_zero() {
                    b.wait(std::os::fd::AsFd::as_fd(&stop), Duration::from_millis(100))
                        .expect("wait");
                } else {
                    std::thread::sleep(poll);
                }
                drops += b.poll(&mut c).expect("poll").kernel_drops;
            }
            let (wall, used) = (t0.elapsed().as_secs_f64(), cpu().saturating_sub(c0).as_secs_f64());
            let pps = c.frames as f64 / wall;
            println!(
                "frames={} bytes={} drops={drops} seconds={wall:.2} pps={pps:.0} cpu_percent={:.2} \
                 cpu_percent_per_100kpps={:.2}",
                c.frames,
                c.bytes,
                100.0 * used / wall,
                if pps > 0.0 {
                    100.0 * used / wall * 100_000.0 / pps
                } else {
                    0.0
                }
            );
        }
        Some("conntrack") => {
            let polls: u32 = arg(&args, 2, "polls");
            assert!(polls > 0, "at least one poll");
            let poll = Duration::from_millis(arg(&args, 3, "poll ms"));
            let mut b = ConntrackBackend::open(&ConntrackConfig::default()).expect("conntrack");
            let mut c = Count::default();
            // The first poll sees every flow as new; the others measure the steady state.
            b.poll(&mut c).expect("poll");
            let first = c.flows;
            let (mut wall, c0, (u0, s0)) = (Duration::ZERO, cpu(), cpu_split());
            for _ in 0..polls {
                std::thread::sleep(poll);
                let t = Instant::now();
                b.poll(&mut c).expect("poll");
                wall += t.elapsed();
            }
            let used = cpu().saturating_sub(c0);
            let (u1, s1) = cpu_split();
            let per = |d: Duration| d.as_secs_f64() * 1e3 / f64::from(polls);
            println!(
                "flows_first_poll={first} tracked={} polls={polls} ms_cpu_per_poll={:.2} \
                 (user {:.2}, kernel {:.2}) ms_wall_per_poll={:.2}",
                b.tracked(),
                per(used),
                per(u1.saturating_sub(u0)),
                per(s1.saturating_sub(s0)),
                per(wall)
            );
        }
        Some("udp-flows") => {
            let to: SocketAddr = arg(&args, 2, "address:port");
            let n: u32 = arg(&args, 3, "count");
            // Distinct source ports from 20000 up: an ephemeral port may repeat, and one
            // tuple is one flow.
            for i in 0..n {
                let port = 20_000 + u16::try_from(i).expect("at most 45,000 flows");
                let s = UdpSocket::bind(("0.0.0.0", port)).expect("bind");
                s.send_to(b"x", to).expect("send");
            }
            println!("sent={n}");
        }
        _ => eprintln!("usage: devices_bench capture IFACES SECONDS POLL_MS | conntrack POLLS POLL_MS | udp-flows ADDR:PORT COUNT"),
    }
}
