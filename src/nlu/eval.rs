//! `reclamos eval`: measures a classifier on a labelled YAML file.
//!
//! The test file uses the same Rasa NLU format as the training file; each example's
//! label is its intent, and `nlu_fallback` examples must be abstained on.
//!
//! Scoring rules:
//! - a `Decision::Fallback` is a prediction of `nlu_fallback`;
//! - a `Decision::Clarify(a, b)` counts as predicting `a` (the conversation asks the
//!   customer to confirm between `a` and `b`, so the best guess is what it offers
//!   first); the number of clarifications is reported separately.
//!
//! [`evaluate`] takes any `&dyn Classifier`, so other classifiers can be measured with
//! the same report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use rand::SeedableRng;
use serde::Serialize;

use super::{data, model, Classifier, Decision, Intent};

/// What to evaluate: the library side of `reclamos eval`.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// Labelled test file in Rasa NLU format.
    pub file: PathBuf,
    /// Training file for the classifier (`None`: the embedded intents/es.yaml).
    pub intents: Option<PathBuf>,
    /// Also evaluate with random character edits at this rate per letter (0..=1).
    pub typos: Option<f64>,
    /// Seed for the typos.
    pub seed: u64,
    /// Which classifier to measure.
    pub classifier: super::select::ClassifierArgs,
}

impl Default for EvalOptions {
    fn default() -> EvalOptions {
        EvalOptions {
            file: PathBuf::from("intents/test.yaml"),
            intents: None,
            typos: None,
            seed: 42,
            classifier: super::select::ClassifierArgs::default(),
        }
    }
}

/// The result of [`run`]: the report, and the sentences misclassified with typos.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The report (with [`Report::typos`] when typos were asked for).
    pub report: Report,
    /// The sentences misclassified once typos were added.
    pub typo_errors: Vec<EvalError>,
}

/// One labelled test sentence.
#[derive(Debug, Clone)]
pub struct Case {
    /// The sentence.
    pub text: String,
    /// The expected intent (`Fallback` for `nlu_fallback`).
    pub expected: Intent,
}

/// Precision, recall, F1 and support of one intent.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Scores {
    /// Share of predictions of the intent that were right.
    pub precision: f64,
    /// Share of the intent's sentences predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Number of test sentences of the intent.
    pub support: usize,
}

/// A misclassified sentence.
#[derive(Debug, Clone, Serialize)]
pub struct EvalError {
    /// The sentence.
    pub text: String,
    /// Its label.
    pub expected: String,
    /// What was predicted.
    pub predicted: String,
    /// The prediction's confidence.
    pub confidence: f32,
    /// The decision (`intent`, `clarify:a/b`, `fallback`).
    pub decision: String,
}

/// The confusion matrix: `matrix[expected][predicted]` over `labels`.
#[derive(Debug, Clone, Serialize)]
pub struct Confusion {
    /// Intent names, in row/column order.
    pub labels: Vec<String>,
    /// Counts.
    pub matrix: Vec<Vec<u32>>,
}

/// Latency of one `classify` call.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Latency {
    /// Median, microseconds.
    pub p50: f64,
    /// 99th percentile, microseconds.
    pub p99: f64,
    /// Mean, microseconds.
    pub mean: f64,
}

/// The accuracy under random typos.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TypoRun {
    /// Edit rate per letter.
    pub rate: f64,
    /// RNG seed.
    pub seed: u64,
    /// Accuracy on the clean text.
    pub clean_accuracy: f64,
    /// Accuracy with typos.
    pub accuracy: f64,
    /// `clean_accuracy - accuracy`, in percentage points.
    pub drop_points: f64,
}

/// The result of an evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Number of test sentences.
    pub total: usize,
    /// Share of sentences predicted right.
    pub accuracy: f64,
    /// Mean F1 over the intents present in labels or predictions.
    pub macro_f1: f64,
    /// Scores per intent name (`nlu_fallback` included).
    pub per_intent: BTreeMap<String, Scores>,
    /// Confusion matrix.
    pub confusion: Confusion,
    /// Misclassified sentences.
    pub errors: Vec<EvalError>,
    /// How many predictions were clarification requests.
    pub clarifications: usize,
    /// The sentences answered with a clarification request (right or wrong).
    pub clarified: Vec<EvalError>,
    /// Per-call latency.
    pub latency_us: Latency,
    /// Messages per second, single thread.
    pub throughput_per_s: f64,
    /// Typo robustness, with `--typos`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typos: Option<TypoRun>,
}

/// The labelled cases of a parsed test file.
pub fn cases(data: &data::TrainingData) -> Vec<Case> {
    data.examples()
        .map(|(text, expected)| Case {
            text: text.to_owned(),
            expected,
        })
        .collect()
}

const LABELS: [Intent; 5] = [
    Intent::RevisarAtenciones,
    Intent::ReiniciarServicios,
    Intent::ContactarEjecutivo,
    Intent::Salir,
    Intent::Fallback,
];

fn label_index(intent: Intent) -> usize {
    LABELS.iter().position(|l| *l == intent).unwrap_or(4)
}

/// Classifies every case once and scores the results (see the module docs for how
/// clarifications and abstentions count).
pub fn evaluate(classifier: &dyn Classifier, cases: &[Case]) -> Report {
    // Warm up caches so the first timed call is not an outlier.
    for case in cases.iter().take(16) {
        let _ = classifier.classify(&case.text);
    }
    let mut matrix = vec![vec![0u32; LABELS.len()]; LABELS.len()];
    let mut errors = Vec::new();
    let mut latencies = Vec::with_capacity(cases.len());
    let mut clarified = Vec::new();
    for case in cases {
        let start = Instant::now();
        let prediction = classifier.classify(&case.text);
        latencies.push(start.elapsed().as_secs_f64() * 1e6);
        let (predicted, decision) = match prediction.decision {
            Decision::Intent(i) => (i, i.name().to_owned()),
            Decision::Clarify(a, b) => (a, format!("clarify:{a}/{b}")),
            Decision::Fallback => (Intent::Fallback, "fallback".to_owned()),
        };
        matrix[label_index(case.expected)][label_index(predicted)] += 1;
        let outcome = EvalError {
            text: case.text.clone(),
            expected: case.expected.name().to_owned(),
            predicted: predicted.name().to_owned(),
            confidence: prediction.confidence,
            decision,
        };
        if matches!(prediction.decision, Decision::Clarify(..)) {
            clarified.push(outcome.clone());
        }
        if predicted != case.expected {
            errors.push(outcome);
        }
    }
    let total = cases.len();
    let correct: u32 = (0..LABELS.len()).map(|i| matrix[i][i]).sum();
    let accuracy = ratio(f64::from(correct), total as f64);
    let mut per_intent = BTreeMap::new();
    let mut f1s = Vec::new();
    for (i, label) in LABELS.iter().enumerate() {
        let support: u32 = matrix[i].iter().sum();
        let predicted: u32 = matrix.iter().map(|row| row[i]).sum();
        let tp = f64::from(matrix[i][i]);
        let precision = ratio(tp, f64::from(predicted));
        let recall = ratio(tp, f64::from(support));
        let f1 = ratio(2.0 * precision * recall, precision + recall);
        if support > 0 || predicted > 0 {
            f1s.push(f1);
        }
        per_intent.insert(
            label.name().to_owned(),
            Scores {
                precision,
                recall,
                f1,
                support: support as usize,
            },
        );
    }
    let macro_f1 = ratio(f1s.iter().sum(), f1s.len() as f64);
    let total_us: f64 = latencies.iter().sum();
    latencies.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        if latencies.is_empty() {
            0.0
        } else {
            let at = ((latencies.len() as f64 - 1.0) * q).round() as usize;
            latencies[at.min(latencies.len() - 1)]
        }
    };
    Report {
        total,
        accuracy,
        macro_f1,
        per_intent,
        confusion: Confusion {
            labels: LABELS.iter().map(|l| l.name().to_owned()).collect(),
            matrix,
        },
        errors,
        clarifications: clarified.len(),
        clarified,
        latency_us: Latency {
            p50: pct(0.5),
            p99: pct(0.99),
            mean: ratio(total_us, total as f64),
        },
        throughput_per_s: ratio(total as f64, total_us / 1e6),
        typos: None,
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// The cases with seeded random character edits applied.
pub fn with_typos(cases: &[Case], rate: f64, seed: u64) -> Vec<Case> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    cases
        .iter()
        .map(|c| Case {
            text: model::add_typos(&c.text, rate, &mut rng),
            expected: c.expected,
        })
        .collect()
}

/// Loads the test file and the classifier and evaluates it (twice with typos).
pub fn run(options: &EvalOptions) -> anyhow::Result<Evaluation> {
    let test = data::load(&options.file).context("reading the test file")?;
    let classifier = super::select::load(&options.classifier, options.intents.as_deref())
        .context("loading the classifier")?
        .selected;
    let cases = cases(&test);
    anyhow::ensure!(
        !cases.is_empty(),
        "{}: no test examples",
        options.file.display()
    );
    let mut report = evaluate(classifier.as_ref(), &cases);
    let mut typo_errors = Vec::new();
    if let Some(rate) = options.typos {
        anyhow::ensure!((0.0..=1.0).contains(&rate), "--typos must be in 0..=1");
        let noisy = evaluate(classifier.as_ref(), &with_typos(&cases, rate, options.seed));
        report.typos = Some(TypoRun {
            rate,
            seed: options.seed,
            clean_accuracy: report.accuracy,
            accuracy: noisy.accuracy,
            drop_points: (report.accuracy - noisy.accuracy) * 100.0,
        });
        typo_errors = noisy.errors;
    }
    Ok(Evaluation {
        report,
        typo_errors,
    })
}

/// The human-readable report.
pub fn render_text(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "sentences: {}   accuracy: {:.2}%   macro-F1: {:.4}   clarifications: {}",
        report.total,
        report.accuracy * 100.0,
        report.macro_f1,
        report.clarifications
    );
    let _ = writeln!(
        s,
        "\n{:<22} {:>9} {:>9} {:>9} {:>8}",
        "intent", "precision", "recall", "f1", "support"
    );
    for label in &report.confusion.labels {
        if let Some(sc) = report.per_intent.get(label) {
            let _ = writeln!(
                s,
                "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                label, sc.precision, sc.recall, sc.f1, sc.support
            );
        }
    }
    let _ = writeln!(s, "\nconfusion (rows: expected, columns: predicted)");
    let _ = write!(s, "{:<22}", "");
    for i in 0..report.confusion.labels.len() {
        let _ = write!(s, " {:>5}", i + 1);
    }
    let _ = writeln!(s);
    for (i, (label, row)) in report
        .confusion
        .labels
        .iter()
        .zip(&report.confusion.matrix)
        .enumerate()
    {
        let _ = write!(s, "{:<22}", format!("{} {label}", i + 1));
        for count in row {
            let _ = write!(s, " {count:>5}");
        }
        let _ = writeln!(s);
    }
    if !report.errors.is_empty() {
        let _ = writeln!(s, "\nerrors ({}):", report.errors.len());
        for e in &report.errors {
            let _ = writeln!(
                s,
                "  {:<20} -> {:<20} {:.2} {:<40} {:?}",
                e.expected, e.predicted, e.confidence, e.decision, e.text
            );
        }
    }
    let _ = writeln!(
        s,
        "\nlatency: p50 {:.1} µs, p99 {:.1} µs, mean {:.1} µs; throughput {:.0} msg/s",
        report.latency_us.p50,
        report.latency_us.p99,
        report.latency_us.mean,
        report.throughput_per_s
    );
    if let Some(t) = report.typos {
        let _ = writeln!(
            s,
            "typos (rate {}, seed {}): accuracy {:.2}% -> {:.2}% (drop {:.2} points)",
            t.rate,
            t.seed,
            t.clean_accuracy * 100.0,
            t.accuracy * 100.0,
            t.drop_points
        );
    }
    s
}
