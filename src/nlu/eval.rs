//! `reclamos eval`: measures a classifier on a labelled YAML file.
//!
//! The test file uses the same Rasa NLU format as the training file; each example's
//! label is its intent, and `nlu_fallback` examples must be abstained on.
//!
//! Scoring rules:
//! - a message the menu reads as an option number ("2", "la dos", "opción cuatro") is that
//!   option before any classifier sees it, as in the conversation
//!   ([`Prediction::menu_choice`]);
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

use super::{
    data, model, Classifier, Decision, Intent, Prediction, Rule, RuleConfidence, Thresholds,
    YamlClassifier,
};

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

/// How often a rule after the model made the decision, and how often it was right.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct RuleScore {
    /// Decisions the rule made.
    pub decided: usize,
    /// Those that were right.
    pub right: usize,
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
    /// The rule after the model that made the decision (`how_to`, ...), if one did: where
    /// a labeller looks first when the decision is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
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

/// One bin of the reliability diagram.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CalibrationBin {
    /// Lower edge of the bin's confidence range.
    pub lower: f64,
    /// Upper edge.
    pub upper: f64,
    /// Predictions whose confidence falls in the bin.
    pub count: usize,
    /// Their mean confidence.
    pub mean_confidence: f64,
    /// The share of them that were right.
    pub accuracy: f64,
}

/// How well confidences match accuracy: the confidence of each decision (the chosen
/// option's probability, or for an abstention one minus the best option's) against
/// whether the decision was right.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// Expected calibration error over 10 equal-width bins: the count-weighted mean of
    /// |accuracy - mean confidence|.
    pub ece: f64,
    /// The bins.
    pub bins: Vec<CalibrationBin>,
}

/// Number of equal-width confidence bins.
const CALIBRATION_BINS: usize = 10;

/// The calibration of `(confidence, right)` pairs.
pub fn calibration(outcomes: &[(f32, bool)]) -> Calibration {
    let mut bins: Vec<CalibrationBin> = (0..CALIBRATION_BINS)
        .map(|i| CalibrationBin {
            lower: i as f64 / CALIBRATION_BINS as f64,
            upper: (i + 1) as f64 / CALIBRATION_BINS as f64,
            count: 0,
            mean_confidence: 0.0,
            accuracy: 0.0,
        })
        .collect();
    for &(confidence, right) in outcomes {
        let c = f64::from(confidence).clamp(0.0, 1.0);
        let at = ((c * CALIBRATION_BINS as f64) as usize).min(CALIBRATION_BINS - 1);
        let bin = &mut bins[at];
        bin.count += 1;
        bin.mean_confidence += c;
        bin.accuracy += if right { 1.0 } else { 0.0 };
    }
    let mut ece = 0.0;
    for bin in &mut bins {
        if bin.count > 0 {
            bin.mean_confidence /= bin.count as f64;
            bin.accuracy /= bin.count as f64;
            ece += bin.count as f64 * (bin.accuracy - bin.mean_confidence).abs();
        }
    }
    Calibration {
        ece: ratio(ece, outcomes.len() as f64),
        bins,
    }
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
    /// Calibration of the decisions' confidences.
    pub calibration: Calibration,
    /// The decisions each rule after the model made, by rule name (rules that made none
    /// are left out).
    pub rules: BTreeMap<String, RuleScore>,
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
    let mut latencies = Vec::with_capacity(cases.len());
    let mut predictions = Vec::with_capacity(cases.len());
    for case in cases {
        let start = Instant::now();
        predictions.push(
            Prediction::menu_choice(&case.text).unwrap_or_else(|| classifier.classify(&case.text)),
        );
        latencies.push(start.elapsed().as_secs_f64() * 1e6);
    }
    score(cases, &predictions, latencies)
}

/// Scores predictions made for `cases` (in the same order), with their latencies.
pub fn score(cases: &[Case], predictions: &[Prediction], mut latencies: Vec<f64>) -> Report {
    let mut matrix = vec![vec![0u32; LABELS.len()]; LABELS.len()];
    let mut errors = Vec::new();
    let mut clarified = Vec::new();
    let mut outcomes = Vec::with_capacity(cases.len());
    let mut rules: BTreeMap<String, RuleScore> = BTreeMap::new();
    for (case, prediction) in cases.iter().zip(predictions) {
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
            rule: prediction.rule.map(Rule::name),
        };
        if matches!(prediction.decision, Decision::Clarify(..)) {
            clarified.push(outcome.clone());
        }
        outcomes.push((prediction.confidence, predicted == case.expected));
        if let Some(rule) = prediction.rule {
            let score = rules.entry(rule.name().to_owned()).or_default();
            score.decided += 1;
            score.right += usize::from(predicted == case.expected);
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
        calibration: calibration(&outcomes),
        rules,
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
fn with_typos(cases: &[Case], rate: f64, seed: u64) -> Vec<Case> {
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
                "  {:<20} -> {:<20} {:.2} {:<40} {:?}{}",
                e.expected,
                e.predicted,
                e.confidence,
                e.decision,
                e.text,
                e.rule
                    .map(|rule| format!(" (rule {rule})"))
                    .unwrap_or_default()
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
    let _ = writeln!(
        s,
        "calibration error (ECE, {} bins): {:.4}",
        report.calibration.bins.len(),
        report.calibration.ece
    );
    if !report.rules.is_empty() {
        let _ = write!(s, "rules after the model (right of decided):");
        for (name, score) in &report.rules {
            let _ = write!(s, " {name} {}/{}", score.right, score.decided);
        }
        let _ = writeln!(s);
    }
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

/// The result of `eval --cv K`.
#[derive(Debug, Clone, Serialize)]
pub struct CrossValidation {
    /// Number of folds.
    pub folds: usize,
    /// The held-out folds scored at the training file's own settings.
    pub at_file_settings: Report,
    /// The file's settings.
    pub file_settings: Thresholds,
    /// Expected calibration error of the held-out folds with temperature 1 (no
    /// calibration) at the file's thresholds.
    pub uncalibrated_ece: f64,
    /// Temperature, fallback bias and thresholds fitted on the held-out folds, and each
    /// rule's confidence fitted on its decisions there at the file's settings.
    pub fitted: Thresholds,
    /// The held-out folds scored at the fitted settings (with the latencies measured at the
    /// file's settings: classifying costs the same at any settings).
    pub at_fitted_settings: Report,
}

/// Utility of one decision, used to break ties between thresholds on folds: a right answer +1, a
/// clarification that offers the right option +0.5, an abstention on a real request 0,
/// a wrong answer (acting on what the customer did not ask) -1.
fn utility(prediction: &Prediction, expected: Intent) -> f64 {
    match prediction.decision {
        Decision::Intent(i) if i == expected => 1.0,
        Decision::Fallback if expected == Intent::Fallback => 1.0,
        Decision::Clarify(a, b) if a == expected || b == expected => 0.5,
        Decision::Fallback => 0.0,
        _ => -1.0,
    }
}

/// Times the K-fold split is repeated with a fresh shuffle (the scores pool all of them,
/// so every example counts this many times; fitting on more splits steadies the fitted
/// values).
pub const CV_REPEATS: usize = 3;

/// The softmax temperature (0.25 to 5, in steps of 3 %) of least negative log-likelihood
/// of the true classes, with `fallback_bias` added to the fallback class's logit.
fn fit_temperature(logits: &[([f32; 5], usize)], fallback_bias: f32) -> f32 {
    let nll = |t: f32| -> f64 {
        logits
            .iter()
            .map(|(z, y)| {
                let mut z = *z;
                z[label_index(Intent::Fallback)] += fallback_bias;
                -f64::from(model::softmax(z, t)[*y].max(1e-9)).ln()
            })
            .sum()
    };
    let mut temperature = 1.0f32;
    let mut best_nll = nll(1.0);
    let mut t = 0.25f32;
    while t <= 5.0 {
        let v = nll(t);
        if v < best_nll {
            best_nll = v;
            temperature = t;
        }
        t *= 1.03;
    }
    temperature
}

/// Fewest held-out decisions a rule needs for its confidence to be fitted: below it the
/// rule's decisions keep the model's confidence.
const MIN_RULE_DECISIONS: usize = 10;

/// Each rule's confidence from its held-out decisions (`rules`, as [`Report::rules`]
/// counts them): the share that were right, with one right and one wrong decision added
/// (Laplace's rule of succession, so a rule right every time on few decisions is not said
/// to be certain); none for a rule with fewer than [`MIN_RULE_DECISIONS`].
pub(super) fn fit_rule_confidence(rules: &BTreeMap<String, RuleScore>) -> RuleConfidence {
    let mut confidence = RuleConfidence::default();
    for rule in Rule::ALL {
        let Some(&RuleScore { decided, right }) = rules.get(rule.name()) else {
            continue;
        };
        if decided >= MIN_RULE_DECISIONS {
            let share = (right as f64 + 1.0) / (decided as f64 + 2.0);
            // Two decimals, as the intents file keeps it.
            confidence.set(rule, Some((share * 100.0).round() as f32 / 100.0));
        }
    }
    confidence
}

/// The cell of a 3-D grid of (right decisions, utility), stored with the last axis
/// varying fastest (cell `[i, j, k]` at `(i * dims[1] + j) * dims[2] + k`), whose
/// neighbourhood (itself and one step either way on each axis, clipped at the edges) has
/// the most right decisions on average, ties broken by the mean utility. A setting whose
/// neighbours do as well sits on a plateau, and a plateau holds on new data where a lone
/// peak of the folds' noise does not: picking the single best cell made the fitted bias
/// jump from 0.9 to 0.2 when 26 examples were added to a file of 2,253.
pub(super) fn plateau_top(grid: &[(usize, f64)], dims: [usize; 3]) -> [usize; 3] {
    let at = |i: usize, j: usize, k: usize| (i * dims[1] + j) * dims[2] + k;
    let around = |x: usize, len: usize| x.saturating_sub(1)..=(x + 1).min(len - 1);
    let mut best = ([0; 3], f64::NEG_INFINITY, f64::NEG_INFINITY);
    for i in 0..dims[0] {
        for j in 0..dims[1] {
            for k in 0..dims[2] {
                let (mut right, mut total, mut n) = (0.0, 0.0, 0.0);
                for ni in around(i, dims[0]) {
                    for nj in around(j, dims[1]) {
                        for nk in around(k, dims[2]) {
                            let (r, t) = grid[at(ni, nj, nk)];
                            right += r as f64;
                            total += t;
                            n += 1.0;
                        }
                    }
                }
                let (right, total) = (right / n, total / n);
                if right > best.1 + 1e-9
                    || ((right - best.1).abs() <= 1e-9 && total > best.2 + 1e-9)
                {
                    best = ([i, j, k], right, total);
                }
            }
        }
    }
    best.0
}

/// Repeated K-fold cross-validation over a training file: stratified folds (seeded
/// shuffle per intent), one model per fold trained on the other folds, every example
/// scored once per repetition by a model that did not see it. On those held-out scores
/// it fits, over a grid, the fallback bias and the thresholds (most right decisions on
/// average over each setting's neighbours in the grid, ties broken by a utility that makes
/// a wrong action cost more than an abstention), with the temperature of least negative
/// log-likelihood at each bias.
pub fn cross_validate(data: &data::TrainingData, k: usize, seed: u64) -> CrossValidation {
    use rand::seq::SliceRandom;
    let k = k.max(2);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut cases = Vec::new();
    let mut models = Vec::new();
    let mut case_fold = Vec::new();
    for _ in 0..CV_REPEATS {
        // fold[i][j]: fold of example j of intent entry i.
        let folds_of: Vec<Vec<usize>> = data
            .intents
            .iter()
            .map(|entry| {
                let mut order: Vec<usize> = (0..entry.examples.len()).collect();
                order.shuffle(&mut rng);
                let mut fold = vec![0; order.len()];
                for (rank, &j) in order.iter().enumerate() {
                    fold[j] = rank % k;
                }
                fold
            })
            .collect();
        for f in 0..k {
            let mut train = data.clone();
            for (entry, folds) in train.intents.iter_mut().zip(&folds_of) {
                let kept = entry
                    .examples
                    .iter()
                    .zip(folds)
                    .filter(|(_, fold)| **fold != f)
                    .map(|(e, _)| e.clone())
                    .collect();
                entry.examples = kept;
            }
            let model = models.len();
            models.push(YamlClassifier::new(&train));
            for (entry, folds) in data.intents.iter().zip(&folds_of) {
                for (example, fold) in entry.examples.iter().zip(folds) {
                    if *fold == f {
                        cases.push(Case {
                            text: example.clone(),
                            expected: entry.intent,
                        });
                        case_fold.push(model);
                    }
                }
            }
        }
    }
    // The held-out folds as `reclamos eval` would classify them, timed.
    let file_settings = data.thresholds;
    let mut latencies = Vec::with_capacity(cases.len());
    let predictions: Vec<Prediction> = cases
        .iter()
        .zip(&case_fold)
        .map(|(case, &f)| {
            let start = Instant::now();
            let p = Prediction::menu_choice(&case.text)
                .unwrap_or_else(|| models[f].classify_with(&case.text, &file_settings));
            latencies.push(start.elapsed().as_secs_f64() * 1e6);
            p
        })
        .collect();
    let at_file_settings = score(&cases, &predictions, latencies.clone());
    // Which messages reach a rule hardly depends on the thresholds: each rule's confidence
    // is fitted on its decisions at the file's settings, those it will be used with.
    let rule_confidence = fit_rule_confidence(&at_file_settings.rules);
    // Each held-out message scored once (or answered by the menu rule), then decided under
    // every setting tried below.
    let scored: Vec<Result<model::Scored, Prediction>> = cases
        .iter()
        .zip(&case_fold)
        .map(|(case, &f)| match Prediction::menu_choice(&case.text) {
            Some(p) => Err(p),
            None => Ok(models[f].scored(&case.text)),
        })
        .collect();
    let decide_all = |settings: &Thresholds| -> Vec<Prediction> {
        scored
            .iter()
            .map(|s| match s {
                Ok(s) => s.decide(settings),
                Err(p) => p.clone(),
            })
            .collect()
    };
    let uncalibrated = Thresholds {
        temperature: 1.0,
        rule_confidence: RuleConfidence::default(),
        ..file_settings
    };
    let uncalibrated_ece = score(&cases, &decide_all(&uncalibrated), Vec::new())
        .calibration
        .ece;

    // Held-out logits and true classes, for the temperature.
    let logits: Vec<([f32; 5], usize)> = cases
        .iter()
        .zip(&scored)
        .filter_map(|(case, s)| Some((s.as_ref().ok()?.logits?, label_index(case.expected))))
        .collect();
    // For each fallback bias: the temperature of least negative log-likelihood of the true
    // class on the biased held-out logits (so confidences mean what they say at that
    // bias), then the thresholds. The bias and thresholds kept are those whose
    // neighbourhood in the grid has the most right decisions (a clarification counts as
    // its first option), ties broken by total utility (which is what sets the
    // clarification margin): see `plateau_top`.
    const BIASES: usize = 17;
    const ABSTAINS: usize = 13;
    const MARGINS: usize = 11;
    let bias = |b: usize| 0.1 * (b as f32 - 4.0);
    let setting = |b: usize, a: usize, m: usize, temperature: f32| Thresholds {
        fallback_bias: bias(b),
        abstain_threshold: 0.25 + 0.05 * a as f32,
        clarify_margin: 0.03 * m as f32,
        temperature,
        rule_confidence: RuleConfidence::default(),
    };
    let temperatures: Vec<f32> = (0..BIASES)
        .map(|b| fit_temperature(&logits, bias(b)))
        .collect();
    // (right decisions, utility) of every setting of the grid, in `plateau_top`'s order.
    let mut grid = Vec::with_capacity(BIASES * ABSTAINS * MARGINS);
    for (b, &temperature) in temperatures.iter().enumerate() {
        for a in 0..ABSTAINS {
            for m in 0..MARGINS {
                let predictions = decide_all(&setting(b, a, m, temperature));
                let right = predictions
                    .iter()
                    .zip(&cases)
                    .filter(|(p, c)| p.intent == c.expected)
                    .count();
                let total: f64 = predictions
                    .iter()
                    .zip(&cases)
                    .map(|(p, c)| utility(p, c.expected))
                    .sum();
                grid.push((right, total));
            }
        }
    }
    let [b, a, m] = plateau_top(&grid, [BIASES, ABSTAINS, MARGINS]);
    let mut fitted = setting(b, a, m, temperatures[b]);
    fitted.rule_confidence = rule_confidence;
    // Classifying costs the same at any settings: the timings are the file settings' run.
    let at_fitted_settings = score(&cases, &decide_all(&fitted), latencies);
    CrossValidation {
        folds: k,
        at_file_settings,
        file_settings,
        uncalibrated_ece,
        fitted,
        at_fitted_settings,
    }
}

/// The human-readable cross-validation report.
pub fn render_cv_text(cv: &CrossValidation) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let f = cv.file_settings;
    let _ = writeln!(
        s,
        "{}-fold cross-validation x {CV_REPEATS} shuffles, held-out folds at the file's settings (temperature {:.3}, fallback_bias {:.2}, abstain_threshold {:.2}, clarify_margin {:.2}):\n",
        cv.folds, f.temperature, f.fallback_bias, f.abstain_threshold, f.clarify_margin
    );
    s.push_str(&render_text(&cv.at_file_settings));
    let g = cv.fitted;
    let _ = writeln!(
        s,
        "\nfitted on the folds: temperature {:.3}, fallback_bias {:.1}, abstain_threshold {:.2}, clarify_margin {:.2}",
        g.temperature, g.fallback_bias, g.abstain_threshold, g.clarify_margin
    );
    let _ = writeln!(
        s,
        "calibration error (ECE): {:.4} uncalibrated (temperature 1), {:.4} at the file's settings, {:.4} fitted",
        cv.uncalibrated_ece, cv.at_file_settings.calibration.ece, cv.at_fitted_settings.calibration.ece
    );
    let r = &cv.at_fitted_settings;
    if g.rule_confidence.iter().next().is_some() {
        let _ = writeln!(
            s,
            "rule_confidence fitted on the folds at the file's settings (right + 1 of decided + 2; rules with fewer than {MIN_RULE_DECISIONS} decisions keep the model's confidence):"
        );
        let at_file = &cv.at_file_settings.rules;
        for (rule, confidence) in g.rule_confidence.iter() {
            let score = at_file.get(rule.name()).copied().unwrap_or_default();
            let _ = writeln!(
                s,
                "    {}: {confidence:.2}  # {} of {}",
                rule.name(),
                score.right,
                score.decided
            );
        }
    }
    let oos = r.per_intent.get(Intent::Fallback.name());
    let _ = writeln!(
        s,
        "at the fitted settings: accuracy {:.2}%, macro-F1 {:.4}, out-of-scope precision {:.3} recall {:.3}, clarifications {}",
        r.accuracy * 100.0,
        r.macro_f1,
        oos.map_or(0.0, |o| o.precision),
        oos.map_or(0.0, |o| o.recall),
        r.clarifications
    );
    s
}
