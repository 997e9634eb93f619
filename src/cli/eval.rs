//! `reclamos eval`: its options, the text or JSON output, and the Rasa-like report files
//! (with the confusion matrix drawn by `plot`).

mod plot;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use reclamos::nlu::data;
use reclamos::nlu::eval::{self, EvalOptions, Report, Scores};

use super::classifier::ClassifierFlags;

/// Options of `reclamos eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Labelled test file in Rasa NLU format.
    pub file: PathBuf,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
    /// Also write Rasa-like report files (intent_report.json, errors.json,
    /// intent_confusion_matrix.png) into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Training file for the classifier (default: the embedded intents/es.yaml).
    #[arg(long, value_name = "FILE")]
    pub intents: Option<PathBuf>,
    /// Also evaluate with random character edits at this rate per letter, and report the
    /// accuracy drop.
    #[arg(long, value_name = "RATE")]
    pub typos: Option<f64>,
    /// Seed for `--typos`.
    #[arg(long, default_value_t = EvalOptions::default().seed)]
    pub seed: u64,
    /// K-fold cross-validation over FILE as a training file: reports the same metrics on
    /// the held-out folds, and fits the temperature, fallback bias and thresholds on them.
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,
    /// Exit with a failure status when accuracy is below this (0..=1).
    #[arg(long, value_name = "X", value_parser = super::unit_interval::<f64>)]
    pub min_accuracy: Option<f64>,
    /// Which classifier to measure (`--classifier zero-shot|hybrid --model DIR` compares the
    /// model with the YAML classifier on the same file).
    #[command(flatten)]
    pub classifier: ClassifierFlags,
}

/// `reclamos eval`: prints the report, writes the report files, checks `--min-accuracy`.
pub fn main(args: EvalArgs) -> anyhow::Result<ExitCode> {
    if let Some(k) = args.cv {
        return cross_validate(&args, k);
    }
    let evaluation = eval::run(&EvalOptions {
        file: args.file,
        intents: args.intents,
        typos: args.typos,
        seed: args.seed,
        classifier: args.classifier.into(),
    })?;
    let report = &evaluation.report;
    let mut out = super::stdout();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(report)?)?;
    } else {
        write!(out, "{}", eval::render_text(report))?;
        if !evaluation.typo_errors.is_empty() {
            writeln!(out, "errors with typos ({}):", evaluation.typo_errors.len())?;
            for e in &evaluation.typo_errors {
                writeln!(
                    out,
                    "  {:<20} -> {:<20} {:.2} {:?}",
                    e.expected, e.predicted, e.confidence, e.text
                )?;
            }
        }
    }
    if let Some(dir) = &args.report {
        write_report_dir(dir, report)
            .with_context(|| format!("writing the report to {}", dir.display()))?;
        if !args.json {
            writeln!(out, "report written to {}", dir.display())?;
        }
    }
    if let Some(min) = args.min_accuracy {
        if report.accuracy < min {
            eprintln!(
                "accuracy {:.4} is below --min-accuracy {min:.4}",
                report.accuracy
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `reclamos eval --cv K`: cross-validation over the file as training data.
fn cross_validate(args: &EvalArgs, k: usize) -> anyhow::Result<ExitCode> {
    anyhow::ensure!((2..=50).contains(&k), "--cv must be in 2..=50");
    let training = data::load(&args.file).context("reading the training file")?;
    let cv = eval::cross_validate(&training, k, args.seed);
    let mut out = super::stdout();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&cv)?)?;
    } else {
        write!(out, "{}", eval::render_cv_text(&cv))?;
    }
    if let Some(dir) = &args.report {
        write_report_dir(dir, &cv.at_fitted_settings)
            .with_context(|| format!("writing the report to {}", dir.display()))?;
    }
    let accuracy = cv.at_file_settings.accuracy;
    if let Some(min) = args.min_accuracy {
        if accuracy < min {
            eprintln!("cross-validated accuracy {accuracy:.4} is below --min-accuracy {min:.4}");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `intent_report.json`, `errors.json` and `intent_confusion_matrix.png` in the
/// layout of Rasa's `rasa test nlu` results.
fn write_report_dir(dir: &Path, report: &Report) -> anyhow::Result<()> {
    fs::create_dir_all(dir)?;
    let mut rasa = serde_json::Map::new();
    let labels = &report.confusion.labels;
    for (i, label) in labels.iter().enumerate() {
        let Some(sc) = report.per_intent.get(label) else {
            continue;
        };
        let confused_with: serde_json::Map<String, serde_json::Value> = labels
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i && report.confusion.matrix[i][*j] > 0)
            .map(|(j, other)| (other.clone(), report.confusion.matrix[i][j].into()))
            .collect();
        rasa.insert(
            label.clone(),
            serde_json::json!({
                "precision": sc.precision,
                "recall": sc.recall,
                "f1-score": sc.f1,
                "support": sc.support,
                "confused_with": confused_with,
            }),
        );
    }
    rasa.insert("accuracy".into(), report.accuracy.into());
    let present: Vec<&Scores> = report
        .per_intent
        .values()
        .filter(|s| s.support > 0)
        .collect();
    let n = present.len().max(1) as f64;
    let total = report.total.max(1) as f64;
    let avg = |f: fn(&Scores) -> f64| present.iter().map(|s| f(s)).sum::<f64>() / n;
    let wavg = |f: fn(&Scores) -> f64| {
        present.iter().map(|s| f(s) * s.support as f64).sum::<f64>() / total
    };
    rasa.insert(
        "macro avg".into(),
        serde_json::json!({
            "precision": avg(|s| s.precision),
            "recall": avg(|s| s.recall),
            "f1-score": avg(|s| s.f1),
            "support": report.total,
        }),
    );
    rasa.insert(
        "weighted avg".into(),
        serde_json::json!({
            "precision": wavg(|s| s.precision),
            "recall": wavg(|s| s.recall),
            "f1-score": wavg(|s| s.f1),
            "support": report.total,
        }),
    );
    fs::write(
        dir.join("intent_report.json"),
        serde_json::to_string_pretty(&rasa)?,
    )?;
    let errors: Vec<serde_json::Value> = report
        .errors
        .iter()
        .map(|e| {
            serde_json::json!({
                "text": e.text,
                "intent": e.expected,
                "intent_prediction": {"name": e.predicted, "confidence": e.confidence},
            })
        })
        .collect();
    fs::write(
        dir.join("errors.json"),
        serde_json::to_string_pretty(&errors)?,
    )?;
    let png = fs::File::create(dir.join("intent_confusion_matrix.png"))?;
    plot::confusion_png(
        labels,
        &report.confusion.matrix,
        std::io::BufWriter::new(png),
    )?;
    let bins: Vec<(f64, f64, usize)> = report
        .calibration
        .bins
        .iter()
        .map(|b| (b.mean_confidence, b.accuracy, b.count))
        .collect();
    let png = fs::File::create(dir.join("reliability_diagram.png"))?;
    plot::reliability_png(&bins, report.calibration.ece, std::io::BufWriter::new(png))?;
    Ok(())
}
