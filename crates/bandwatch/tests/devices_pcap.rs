//! `bandwatch devices --pcap`: real captures made here with tcpdump (pcap) and dumpcap
//! (pcapng) of traffic between two namespaces this test creates, compared per IP with
//! `tshark -q -z endpoints,ip` on the same file; truncated and corrupt copies; and a generated
//! file with 100,000 source addresses against the device bound.
//!
//! Like with like: tshark's per-address `Bytes` is the sum of the frame lengths (`frame.len`)
//! of every IPv4 frame the address sent or received; bandwatch keyed by IP gives, per
//! address, rx + tx + lan_rx + lan_tx over the same frame lengths (no frame in these tests goes
//! from an address to itself, the one case the two would count differently).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::netns::{sh, NetnsPair, VETH_A};
use support::{bandwatch, root_test_ready};

/// A capture program running in a namespace; stopped (SIGINT, so it flushes) on drop.
struct Capture {
    child: Child,
}

impl Capture {
    fn start(ns: &str, program: &str, args: &[&str], file: &Path) -> Self {
        let mut c = NetnsPair::exec(ns, program);
        c.args(args)
            .arg("-w")
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = c.spawn().expect("start capture");
        // Both programs write the file header once the capture is open.
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::metadata(file).map_or(0, |m| m.len()) < 24 {
            assert!(Instant::now() < deadline, "{program} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child }
    }

    fn stop(mut self) {
        self.interrupt();
        let _ = self.child.wait();
    }

    fn interrupt(&mut self) {
        // `ip netns exec` execs the program, so this pid is the capture's own.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.interrupt();
            let _ = self.child.wait();
        }
    }
}

/// Packets in a capture file, per `capinfos` (0 while it cannot be read yet).
fn packets_in(file: &Path) -> u64 {
    let out = Command::new("capinfos")
        .args(["-c", "-M"])
        .arg(file)
        .output()
        .expect("capinfos");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Number of packets:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Per-address bytes from `tshark -q -z endpoints,ip -r FILE`.
fn tshark_endpoints(file: &Path) -> BTreeMap<String, u64> {
    let out = Command::new("tshark")
        .args(["-q", "-z", "endpoints,ip", "-r"])
        .arg(file)
        .output()
        .expect("tshark");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut bytes = BTreeMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() >= 3 && cols[0].parse::<std::net::Ipv4Addr>().is_ok() {
            bytes.insert(cols[0].to_string(), cols[2].parse().expect("bytes column"));
        }
    }
    assert!(!bytes.is_empty(), "no endpoint in tshark's output:\n{text}");
    bytes
}

/// `bandwatch devices --pcap FILE --json` plus `extra`: the rows and stderr.
fn devices(dir: &Path, file: &Path, extra: &[&str]) -> (Vec<serde_json::Value>, String) {
    let out = bandwatch(dir)
        .args(["devices", "--json", "--pcap"])
        .arg(file)
        .args(extra)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    let rows = serde_json::from_slice(&out.stdout).expect("a JSON array");
    (rows, err)
}

fn n(row: &serde_json::Value, key: &str) -> u64 {
    row[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {row}"))
}

#[test]
fn captures_match_tshark_per_address() {
    if !root_test_ready(
        "captures_match_tshark_per_address",
        &["tcpdump", "dumpcap", "tshark", "capinfos", "ping"],
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = NetnsPair::new("dp", 61);
    let pcap = dir.path().join("a.pcap");
    let pcapng = dir.path().join("a.pcapng");
    // tcpdump drops to its own user: it must be able to write there.
    sh(&["chmod", "777", &dir.path().display().to_string()]);
    let td = Capture::start(
        &pair.a,
        "tcpdump",
        &["-i", VETH_A, "--immediate-mode", "-U", "-Z", "root"],
        &pcap,
    );
    let dc = Capture::start(&pair.a, "dumpcap", &["-q", "-i", VETH_A], &pcapng);
    // Small packets, large ones and fragmented ones, both ways.
    for size in ["56", "1400", "3000"] {
        sh(&[
            "ip", "netns", "exec", &pair.a, "ping", "-q", "-c", "10", "-i", "0.01", "-s", size,
            &pair.ip_b,
        ]);
    }
    sh(&[
        "ip", "netns", "exec", &pair.b, "ping", "-q", "-c", "5", "-i", "0.01", "-s", "800",
        &pair.ip_a,
    ]);
    td.stop();
    // dumpcap has no immediate mode: the kernel hands it packets in blocks, so wait until
    // its file holds what tcpdump saw before stopping it.
    let want = packets_in(&pcap);
    let deadline = Instant::now() + Duration::from_secs(20);
    while packets_in(&pcapng) < want {
        assert!(
            Instant::now() < deadline,
            "dumpcap has not written {want} packets"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    dc.stop();
    assert_eq!(packets_in(&pcapng), want);

    for file in [&pcap, &pcapng] {
        let want = tshark_endpoints(file);
        // Both hosts are on the LAN (10/8): all of it is LAN traffic, none internet.
        let (rows, _) = devices(dir.path(), file, &["--by", "ip"]);
        let mut got = BTreeMap::new();
        for r in &rows {
            assert_eq!((n(r, "rx_bytes"), n(r, "tx_bytes")), (0, 0), "{r}");
            let total = n(r, "lan_rx_bytes") + n(r, "lan_tx_bytes");
            got.insert(r["ip"].as_str().expect("ip").to_string(), total);
        }
        assert_eq!(got, want, "{}", file.display());
        // Keyed by MAC (the default) each host is still one device with those bytes.
        let (rows, _) = devices(dir.path(), file, &[]);
        for r in &rows {
            let ip = r["ip"].as_str().expect("ip");
            assert!(
                r["mac"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("02:00:00:00:00:0")),
                "{r}"
            );
            assert_eq!(
                Some(&(n(r, "lan_rx_bytes") + n(r, "lan_tx_bytes"))),
                want.get(ip),
                "{r}"
            );
        }
        // With only A on the LAN, B is the internet: A's download and upload.
        let (rows, err) = devices(dir.path(), file, &["--lan", &format!("{}/32", pair.ip_a)]);
        assert_eq!(rows.len(), 1, "{rows:?}");
        let a = &rows[0];
        assert_eq!(a["ip"], pair.ip_a.as_str());
        assert_eq!((n(a, "lan_rx_bytes"), n(a, "lan_tx_bytes")), (0, 0));
        assert_eq!(
            Some(&(n(a, "rx_bytes") + n(a, "tx_bytes"))),
            want.get(&pair.ip_a)
        );
        assert!(
            n(a, "rx_bytes") > 40_000 && n(a, "tx_bytes") > 40_000,
            "{a}"
        );
        assert!(err.contains("LAN-to-LAN 0 B"), "{err}");
    }

    // Copies cut short and damaged: exit 2, a message naming the file and the place.
    let bytes = std::fs::read(&pcap).expect("read");
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).expect("write");
    let corrupt = dir.path().join("corrupt.pcapng");
    let mut ng = std::fs::read(&pcapng).expect("read");
    // The first packet block follows the section header and the interface description:
    // give it a length no block can have.
    let len_at =
        |v: &[u8], at: usize| u32::from_le_bytes(v[at + 4..at + 8].try_into().expect("4")) as usize;
    let first_packet = len_at(&ng, 0) + len_at(&ng, len_at(&ng, 0));
    assert_eq!(ng[first_packet], 6, "an enhanced packet block");
    ng[first_packet + 4..first_packet + 8].copy_from_slice(&5u32.to_le_bytes());
    std::fs::write(&corrupt, &ng).expect("write");
    for (file, says) in [
        (&cut, "the file ends in the middle of a record"),
        (&corrupt, "(at byte "),
    ] {
        assert_fails(dir.path(), file, says);
    }
}

fn assert_fails(dir: &Path, file: &Path, says: &str) {
    let out = bandwatch(dir)
        .args(["devices", "--pcap"])
        .arg(file)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {err}", file.display());
    assert!(
        err.contains(&file.display().to_string()) && err.contains(says),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// A classic pcap of Ethernet + IPv4 + UDP headers, 60 bytes captured of `wire` each.
fn write_pcap(path: &Path, packets: impl Iterator<Item = ([u8; 4], [u8; 4])>, wire: u32) {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    for x in [0u32, 0, 65_535, 1] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    for (i, (src, dst)) in packets.enumerate() {
        for x in [1_700_000_000 + (i as u32 / 1000), 0, 60, wire] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.extend_from_slice(&[0x02, 0, 0, 0, 0, 0xfe, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
        v.extend_from_slice(&[0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0]);
        v.extend_from_slice(&src);
        v.extend_from_slice(&dst);
        v.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 26, 0, 0]);
        v.extend_from_slice(&[0; 18]);
    }
    std::fs::write(path, v).expect("write pcap");
}

#[test]
fn a_hundred_thousand_sources_stay_within_the_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file: PathBuf = dir.path().join("many.pcap");
    // 100,000 hosts of 10.0.0.0/8 each sending one packet to the internet, keyed by IP.
    let packets = (0..100_000u32).map(|i| ((0x0a00_0000 | i).to_be_bytes(), [1, 1, 1, 1]));
    write_pcap(&file, packets, 100);
    let (rows, err) = devices(dir.path(), &file, &["--by", "ip", "--max-tracked", "1000"]);
    assert!(err.contains("100000 packets"), "{err}");
    assert!(err.contains("1000 devices held, 99000 evicted"), "{err}");
    assert_eq!(rows.len(), 1001, "1000 devices and `other`");
    let other = rows.last().expect("rows");
    assert_eq!(other["device"], "other");
    let sum: u64 = rows.iter().map(|r| n(r, "tx_bytes")).sum();
    assert_eq!(sum, 10_000_000, "every byte is somewhere");
    // The default bound holds 4096.
    let (rows, err) = devices(dir.path(), &file, &["--by", "ip"]);
    assert_eq!(rows.len(), 4097);
    assert!(err.contains("4096 devices held, 95904 evicted"), "{err}");
}

#[test]
fn bad_files_and_arguments_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("two.pcap");
    write_pcap(&file, [([10, 0, 0, 1], [1, 1, 1, 1]); 2].into_iter(), 100);
    let bytes = std::fs::read(&file).expect("read");
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).expect("write");
    assert_fails(
        dir.path(),
        &cut,
        "the file ends in the middle of a record (",
    );
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, not a capture\n").expect("write");
    assert_fails(dir.path(), &text, "not a pcap or pcapng file");
    assert_fails(
        dir.path(),
        &dir.path().join("missing.pcap"),
        "cannot read it",
    );
    for args in [
        &["--lan", "10.0.0.0/40"][..],
        &["--max-tracked", "99999999999999999999999"][..],
    ] {
        let out = bandwatch(dir.path())
            .args(["devices", "--pcap"])
            .arg(&file)
            .args(args)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Without --pcap it reads the history; there is none here, and it says how to get one.
    let out = bandwatch(dir.path()).arg("devices").output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("no history at") && err.contains("--pcap FILE"),
        "{err}"
    );
    for since in ["yesterday", "0s", "99999999999999999999d"] {
        let out = bandwatch(dir.path())
            .args(["devices", "--since", since])
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{since}: {err}");
        assert!(
            err.contains("--since") && !err.contains("panicked"),
            "{err}"
        );
    }
}

/// Peak RSS in kB of `bandwatch devices --pcap FILE --by ip` plus `extra`, measured by a
/// fresh python3 that runs it as its only child (`ru_maxrss` of the children it waited for).
fn peak_rss_kb(file: &Path, extra: &[&str]) -> u64 {
    let script = "import resource, subprocess, sys\n\
                  subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)\n\
                  print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let dir = file.parent().expect("a file in a directory");
    let out = Command::new("python3")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_bandwatch"))
        .args(["devices", "--json", "--by", "ip", "--pcap"])
        .arg(file)
        .args(extra)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("kB")
}

#[test]
fn memory_stays_bounded_by_max_tracked_however_many_sources() {
    if !bandwatch_testkit::require_program(
        "memory_stays_bounded_by_max_tracked_however_many_sources",
        "python3",
        "install python3",
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let sources = |n: u32| (0..n).map(|i| ((0x0a00_0000 | i).to_be_bytes(), [1, 1, 1, 1]));
    let (ten_k, hundred_k) = (dir.path().join("10k.pcap"), dir.path().join("100k.pcap"));
    write_pcap(&ten_k, sources(10_000), 100);
    write_pcap(&hundred_k, sources(100_000), 100);
    let bounded = ["--max-tracked", "1000"];
    let small = peak_rss_kb(&ten_k, &bounded);
    let large = peak_rss_kb(&hundred_k, &bounded);
    let unbounded = peak_rss_kb(&hundred_k, &["--max-tracked", "100000"]);
    eprintln!("peak RSS kB: 10k sources {small}, 100k sources {large}, 100k held {unbounded}");
    // Ten times the sources, the same table: the peak does not follow the sources.
    assert!(
        large <= small + small / 5 + 2048,
        "{small} kB -> {large} kB"
    );
    // And the bound is what keeps it there: holding every source costs visibly more.
    assert!(
        unbounded > large + 4096,
        "bounded {large} kB, holding all {unbounded} kB"
    );
}
