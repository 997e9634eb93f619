//! Per-message latency of the zero-shot classifier on a tiny random BERT (hidden 32, 2
//! layers), batched vs one pass per hypothesis, and of the hybrid path and model worker.
//! Run with `cargo bench --features zero-shot --bench zero_shot`.
//!
//! With `ZERO_SHOT_BENCH_BASE=1` it also builds a random model with BERT-base dimensions
//! (hidden 768, 12 layers, 12 heads, feed-forward 3072; tiny vocabulary, so the compute
//! per message matches bert-base-spanish-wwm-cased-xnli but the embedding table does not)
//! to estimate a real model's latency and memory.

use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reclamos::nlu::select::{self, ClassifierArgs, ClassifierMode};
use reclamos::nlu::zero_shot::fixture::{self, TinySpec};
use reclamos::nlu::zero_shot::{ZeroShotClassifier, ZeroShotOptions};
use reclamos::nlu::{load_classifier, Classifier};

const MESSAGE: &str = "hola , se cayó el internet y quiero reiniciar el módem por favor";
const CONFIDENT: &str = "quiero hablar con un ejecutivo";
const UNSURE: &str = "tengo un problema raro con la cuenta";

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    fixture::write_tiny_bert(dir.path(), &TinySpec::default()).expect("tiny model");
    let started = Instant::now();
    let model = ZeroShotClassifier::load(
        dir.path(),
        &fixture::descriptions(),
        ZeroShotOptions::default(),
    )
    .expect("loading the tiny model");
    println!(
        "tiny BERT: {} parameters, load {:.1} ms (reported {:.1} ms)",
        model.info().parameters,
        started.elapsed().as_secs_f64() * 1e3,
        model.info().load_time.as_secs_f64() * 1e3
    );

    let mut group = c.benchmark_group("zero_shot_tiny_bert");
    group.throughput(Throughput::Elements(1));
    group.bench_function("classify (1 pass, 4 hypotheses)", |b| {
        b.iter(|| model.classify(MESSAGE))
    });
    group.bench_function("score_unbatched (4 passes)", |b| {
        b.iter(|| model.score_unbatched(MESSAGE))
    });
    let batch: Vec<&str> = std::iter::repeat_n(MESSAGE, 8).collect();
    group.throughput(Throughput::Elements(8));
    group.bench_function("classify_batch of 8 messages (1 pass)", |b| {
        b.iter(|| model.classify_batch(&batch))
    });
    group.finish();

    let yaml = load_classifier(None).expect("YAML classifier");
    let args = ClassifierArgs {
        classifier: ClassifierMode::Hybrid,
        model: Some(dir.path().to_path_buf()),
        ..ClassifierArgs::default()
    };
    let hybrid = select::build(&args, Arc::clone(&yaml), &fixture::descriptions())
        .expect("hybrid classifier");
    let mut group = c.benchmark_group("hybrid");
    group.bench_function("yaml only", |b| b.iter(|| yaml.classify(CONFIDENT)));
    group.bench_function("hybrid, YAML confident", |b| {
        b.iter(|| hybrid.classify(CONFIDENT))
    });
    group.bench_function("hybrid, YAML unsure (asks the model)", |b| {
        b.iter(|| hybrid.classify(UNSURE))
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let worker = runtime
        .block_on(async {
            select::build_worker(&args, Arc::clone(&yaml), &fixture::descriptions())
        })
        .expect("worker");
    group.bench_function("ModelWorker round trip, YAML unsure", |b| {
        b.iter(|| runtime.block_on(worker.classify(UNSURE)))
    });
    group.finish();
    println!("worker saturated {} times", worker.saturated());
}

/// Resident memory of this process in MiB (Linux), for the memory figures.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn bench_base_size(c: &mut Criterion) {
    if std::env::var_os("ZERO_SHOT_BENCH_BASE").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = TinySpec {
        hidden: 768,
        layers: 12,
        heads: 12,
        intermediate: 3072,
        positions: 512,
        ..TinySpec::default()
    };
    fixture::write_tiny_bert(dir.path(), &spec).expect("base-size model");
    let before = rss_mib();
    let model = ZeroShotClassifier::load(
        dir.path(),
        &fixture::descriptions(),
        ZeroShotOptions::default(),
    )
    .expect("loading the base-size model");
    println!(
        "base-size BERT: {} parameters, load {:.0} ms, RSS +{:.0} MiB after load",
        model.info().parameters,
        model.info().load_time.as_secs_f64() * 1e3,
        rss_mib() - before
    );
    let mut group = c.benchmark_group("zero_shot_base_size_bert");
    group.sample_size(10);
    group.bench_function("classify (1 pass, 4 hypotheses)", |b| {
        b.iter(|| model.classify(MESSAGE))
    });
    group.bench_function("score_unbatched (4 passes)", |b| {
        b.iter(|| model.score_unbatched(MESSAGE))
    });
    group.finish();
    println!("RSS after inference: {:.0} MiB", rss_mib());
}

criterion_group!(benches, bench, bench_base_size);
criterion_main!(benches);
