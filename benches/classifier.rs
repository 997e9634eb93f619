//! Criterion benchmark: one `classify` call over the intents/test.yaml sentences.

use criterion::{criterion_group, criterion_main, Criterion};
use reclamos::nlu::{data, eval, load_classifier, load_training_data, YamlClassifier};

fn classify(c: &mut Criterion) {
    let classifier = load_classifier(None).expect("embedded classifier");
    let test = data::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/intents/test.yaml"
    )))
    .expect("intents/test.yaml");
    let sentences: Vec<String> = eval::cases(&test).into_iter().map(|c| c.text).collect();
    let mut i = 0;
    c.bench_function("classify (one test.yaml sentence)", |b| {
        b.iter(|| {
            i = (i + 1) % sentences.len();
            classifier.classify(std::hint::black_box(&sentences[i]))
        })
    });
    let training = load_training_data(None).expect("embedded intents");
    c.bench_function("train on embedded es.yaml", |b| {
        b.iter(|| YamlClassifier::new(std::hint::black_box(&training)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = classify
}
criterion_main!(benches);
