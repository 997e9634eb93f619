//! Classifier options, flattened into `server` and `eval`.

use std::path::PathBuf;

use reclamos::nlu::select::{ClassifierArgs, ClassifierMode};

/// `--classifier`: which classifier answers free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The YAML intents classifier only.
    Yaml,
    /// The zero-shot NLI model only.
    ZeroShot,
    /// YAML first; the model only when the YAML classifier is unsure.
    Hybrid,
}

impl From<ClassifierMode> for Mode {
    fn from(mode: ClassifierMode) -> Mode {
        match mode {
            ClassifierMode::Yaml => Mode::Yaml,
            ClassifierMode::ZeroShot => Mode::ZeroShot,
            ClassifierMode::Hybrid => Mode::Hybrid,
        }
    }
}

impl From<Mode> for ClassifierMode {
    fn from(mode: Mode) -> ClassifierMode {
        match mode {
            Mode::Yaml => ClassifierMode::Yaml,
            Mode::ZeroShot => ClassifierMode::ZeroShot,
            Mode::Hybrid => ClassifierMode::Hybrid,
        }
    }
}

/// The library's defaults, which the attributes below show.
fn defaults() -> ClassifierArgs {
    ClassifierArgs::default()
}

/// Classifier selection (the zero-shot model needs the `zero-shot` feature).
#[derive(Debug, Clone, clap::Args)]
pub struct ClassifierFlags {
    /// Which classifier answers free text.
    #[arg(long = "classifier", value_enum, default_value_t = Mode::from(defaults().classifier))]
    pub classifier: Mode,

    /// Zero-shot NLI model folder (config.json, tokenizer, model.safetensors); see
    /// models/README.md.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,

    /// If the model cannot be loaded, log a warning and use the YAML classifier instead of
    /// refusing to start.
    #[arg(long)]
    pub model_optional: bool,

    /// Zero-shot: abstain when the best intent's score is below this.
    #[arg(long, default_value_t = defaults().zero_shot_threshold, value_parser = super::unit_interval::<f32>)]
    pub zero_shot_threshold: f32,

    /// Zero-shot: abstain when the best hypothesis' own entailment probability is below
    /// this (0 turns it off).
    #[arg(long, default_value_t = defaults().min_entailment, value_parser = super::unit_interval::<f32>)]
    pub min_entailment: f32,

    /// Zero-shot and hybrid: ask to clarify when the two best scores are closer than this.
    #[arg(long, default_value_t = defaults().clarify_margin, value_parser = super::unit_interval::<f32>)]
    pub clarify_margin: f32,

    /// Zero-shot hypothesis template; `{}` is replaced by the intent's description.
    #[arg(long, default_value_t = defaults().hypothesis_template)]
    pub hypothesis_template: String,

    /// Hybrid: ask the model when the YAML confidence is below this.
    #[arg(long, default_value_t = defaults().hybrid_threshold, value_parser = super::unit_interval::<f32>)]
    pub hybrid_threshold: f32,

    /// Hybrid: weight of the model when combining with the YAML scores (0..1).
    #[arg(long, default_value_t = defaults().hybrid_weight, value_parser = super::unit_interval::<f32>)]
    pub hybrid_weight: f32,

    /// Messages that may wait for the model; beyond this the YAML classifier answers.
    #[arg(long, default_value_t = defaults().model_queue)]
    pub model_queue: usize,

    /// Threads taking messages from the queue. One model runs one batch at a time (its
    /// tensors sit behind a mutex), so more threads only overlap tokenisation; libtorch
    /// parallelises each pass itself (--torch-threads).
    #[arg(
        long,
        default_value_t = defaults().model_threads,
        value_parser = clap::value_parser!(u16).range(1..=64)
    )]
    pub model_threads: u16,

    /// libtorch intra-op threads (default: libtorch's choice, usually one per core).
    #[arg(long)]
    pub torch_threads: Option<usize>,
}

impl From<ClassifierFlags> for ClassifierArgs {
    fn from(flags: ClassifierFlags) -> ClassifierArgs {
        ClassifierArgs {
            classifier: flags.classifier.into(),
            model: flags.model,
            model_optional: flags.model_optional,
            zero_shot_threshold: flags.zero_shot_threshold,
            min_entailment: flags.min_entailment,
            clarify_margin: flags.clarify_margin,
            hypothesis_template: flags.hypothesis_template,
            hybrid_threshold: flags.hybrid_threshold,
            hybrid_weight: flags.hybrid_weight,
            model_queue: flags.model_queue,
            model_threads: flags.model_threads,
            torch_threads: flags.torch_threads,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        classifier: ClassifierFlags,
    }

    fn parse(args: &[&str]) -> Result<ClassifierArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .map(|cli| cli.classifier.into())
    }

    #[test]
    fn flags_parse_and_validate() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        assert_eq!(parse(&[]).unwrap(), ClassifierArgs::default());
        let hybrid = parse(&["--classifier", "hybrid", "--hybrid-weight", "0.3"]).unwrap();
        assert_eq!(hybrid.classifier, ClassifierMode::Hybrid);
        assert_eq!(hybrid.hybrid_weight, 0.3);
        assert!(parse(&["--hybrid-weight", "1.5"]).is_err());
        assert!(parse(&["--classifier", "bert"]).is_err());
        assert!(parse(&["--model-threads", "0"]).is_err());
    }
}
