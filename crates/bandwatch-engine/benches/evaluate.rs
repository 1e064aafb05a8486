//! One tick of the engine: 100 rules over one frame of 10,000 series (25 metrics × 400
//! interfaces), warmed up so that every spike and anomaly window is full. The rule mix per
//! metric: a threshold on `eth*`, a spike on `*`, a robust z-score on `eth1*` and a sustained
//! threshold on `wlan*`, i.e. about 22,800 (rule, series) evaluations per tick.

use std::hint::black_box;
use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_engine::{Engine, RuleSpec};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

const T0: i64 = 1_795_255_200;
const METRICS: usize = 25;
const IFACES: usize = 200;
const VARIANTS: usize = 16;

fn rules() -> Vec<RuleSpec> {
    let mut out = Vec::new();
    for m in 0..METRICS {
        let metric = format!("metric_{m}_bits_per_second");
        let base = |name: &str, condition: &str, glob: &str| RuleSpec {
            name: format!("{name}-{m}"),
            metric: metric.clone(),
            condition: condition.into(),
            matchers: [("iface".to_owned(), glob.to_owned())].into(),
            ..RuleSpec::default()
        };
        out.push(RuleSpec {
            above: Some(95e6),
            ..base("high", "threshold", "eth*")
        });
        out.push(RuleSpec {
            floor: Some(1e6),
            ..base("spike", "spike", "*")
        });
        out.push(base("odd", "anomaly", "eth1*"));
        out.push(RuleSpec {
            above: Some(90e6),
            for_: Some("30s".into()),
            ..base("sustained", "threshold", "wlan*")
        });
    }
    out
}

fn keys() -> Vec<Arc<SeriesKey>> {
    (0..METRICS)
        .flat_map(|m| {
            (0..IFACES).flat_map(move |i| {
                ["eth", "wlan"].map(|p| {
                    Arc::new(SeriesKey::with_label(
                        format!("metric_{m}_bits_per_second"),
                        "iface",
                        &format!("{p}{i}"),
                    ))
                })
            })
        })
        .collect()
}

/// Frames with noisy values around 50 Mbps (a fixed LCG, so runs compare).
fn frames(keys: &[Arc<SeriesKey>]) -> Vec<Frame> {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    (0..VARIANTS)
        .map(|_| {
            let mut f = Frame::new("bench", Timestamp::from_secs(T0), Seconds(1.0));
            for k in keys {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let noise = (seed >> 40) as f64 / (1u64 << 24) as f64;
                f.push(Arc::clone(k), 40e6 + 20e6 * noise, SampleKind::Rate);
            }
            f
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let mut frames = frames(&keys);
    let specs = rules();
    assert_eq!(specs.len(), 100);
    assert_eq!(keys.len(), 10_000);

    let mut engine = Engine::from_specs(&specs).expect("valid rules");
    let mut tick = 0i64;
    let mut step = |engine: &mut Engine, frames: &mut [Frame]| {
        tick += 1;
        let f = &mut frames[tick as usize % VARIANTS];
        f.ts = Timestamp::from_secs(T0 + tick);
        engine.observe(f)
    };
    for _ in 0..70 {
        step(&mut engine, &mut frames);
    }
    c.bench_function("observe 100 rules x 10k series (warm)", |b| {
        b.iter(|| black_box(step(&mut engine, &mut frames)));
    });

    c.bench_function("observe 100 rules x 10k series (first frame)", |b| {
        b.iter_batched(
            || Engine::from_specs(&specs).expect("valid rules"),
            |mut e| black_box(e.observe(&frames[0])),
            BatchSize::LargeInput,
        );
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
