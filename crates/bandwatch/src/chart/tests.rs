//! The charts as files: the SVG's bars are read back and must be as tall as their values
//! say; a PNG must be a PNG of the chart's size; a name of another kind is refused.

use bandwatch_core::Timestamp;

use super::*;

fn svg_rects(text: &str, fill: &str) -> Vec<(f64, f64)> {
    let doc = roxmltree::Document::parse(text).expect("SVG is XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill))
        .map(|n| {
            let num = |a: &str| n.attribute(a).and_then(|v| v.parse().ok()).expect(a);
            (num("x"), num("height"))
        })
        .collect()
}

fn color_hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn groups() -> Vec<BarGroup> {
    [(100u64, 40u64), (300, 0), (50, 200), (0, 0), (400, 100)]
        .iter()
        .enumerate()
        .map(|(i, &(rx, tx))| BarGroup {
            label: format!("2026-11-0{}", i + 1),
            rx_bytes: rx * 1024 * 1024,
            tx_bytes: tx * 1024 * 1024,
        })
        .collect()
}

#[test]
fn bar_heights_are_proportional_to_the_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.svg");
    bars(&path, "eth0 per day", &groups()).expect("drawn");
    let text = std::fs::read_to_string(&path).expect("read");
    for (color, pick) in [(RX, 0usize), (TX, 1usize)] {
        // The legend's swatch is a rect of the colour too: it is the one above the bars'
        // baseline height pattern, so keep the bars (one per group, left to right).
        let mut rects = svg_rects(&text, &color_hex(color));
        rects.sort_by(|a, b| a.0.total_cmp(&b.0));
        let values: Vec<f64> = groups()
            .iter()
            .map(|g| [g.rx_bytes, g.tx_bytes][pick] as f64)
            .filter(|v| *v > 0.0)
            .collect();
        let bars: Vec<f64> = rects.iter().map(|r| r.1).filter(|h| *h > 0.0).collect();
        // The legend swatch is 12 px tall; the bars are the rest.
        let bars: Vec<f64> = bars
            .into_iter()
            .filter(|h| (*h - 12.0).abs() > 0.5)
            .collect();
        assert_eq!(bars.len(), values.len(), "{color:?}: {rects:?}");
        // Pixels per byte from the tallest bar, where rounding to whole pixels weighs least.
        let per_byte =
            bars.iter().copied().fold(0.0, f64::max) / values.iter().copied().fold(0.0, f64::max);
        for (h, v) in bars.iter().zip(&values) {
            assert!((h - v * per_byte).abs() <= 1.0, "{h} px for {v} bytes");
        }
    }
    assert!(text.contains("received") && text.contains("sent"), "legend");
    assert!(text.contains("MiB"), "the y axis says its unit");
    assert!(text.contains("2026-11-01"), "periods under the bars");
}

#[test]
fn a_png_is_a_png_of_the_chart_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.png");
    bars(&path, "eth0 per day", &groups()).expect("drawn");
    let png = std::fs::read(&path).expect("read");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!((be(&png[16..20]), be(&png[20..24])), SIZE);
}

#[test]
fn rates_draw_a_line_per_series_and_mark_the_peaks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.svg");
    let t0 = 1_793_542_800_000;
    let series = vec![
        RateSeries {
            name: "eth0 rx".into(),
            points: (0..60)
                .map(|i| (Timestamp(t0 + i * 60_000), 1e6 * (i % 7) as f64))
                .collect(),
        },
        RateSeries {
            name: "eth0 tx".into(),
            points: vec![(Timestamp(t0), 1e5), (Timestamp(t0 + 3_540_000), 2e5)],
        },
    ];
    let peaks = vec![Peak {
        at: Timestamp(t0 + 6 * 60_000),
        bps: 6e6,
        label: "eth0 6.00 Mbps".into(),
    }];
    rates(&path, "eth0 rates", &series, &peaks).expect("drawn");
    let text = std::fs::read_to_string(&path).expect("read");
    let doc = roxmltree::Document::parse(&text).expect("XML");
    let lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| {
            [RX, TX]
                .iter()
                .any(|c| n.attribute("stroke") == Some(color_hex(*c).as_str()))
        })
        .count();
    assert!(lines >= 2, "{lines} lines");
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("circle"))
            .count(),
        1
    );
    assert!(
        text.contains("Mbps") && text.contains("eth0 6.00 Mbps"),
        "unit and peak"
    );
    // Nothing to draw is still a chart (an empty frame).
    rates(&dir.path().join("e.svg"), "none", &[], &[]).expect("empty");
}

#[test]
fn without_a_font_the_chart_is_drawn_without_text() {
    let mut out = String::new();
    let data = groups();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        let chart = bars::tests_only(&data);
        chart.draw(&root, false).expect("drawn");
        root.present().expect("present");
    }
    assert!(!out.contains("<text"), "{out}");
    assert_eq!(svg_rects(&out, &color_hex(RX)).len(), 5);
}

#[test]
fn other_names_are_refused() {
    for name in ["c.jpg", "c", "c.svg.txt"] {
        let e = bars(Path::new(name), "t", &groups()).expect_err(name);
        assert!(e.to_string().contains("neither an .svg nor a .png"), "{e}");
    }
    assert_eq!(Format::of(Path::new("C.PNG")).expect("png"), Format::Png);
}
