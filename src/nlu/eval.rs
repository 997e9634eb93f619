//! `reclamos eval`: measures a classifier on a labelled YAML file.

use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `reclamos eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Labelled test file in Rasa NLU format.
    pub file: PathBuf,
}

/// Runs the evaluation.
pub fn main(args: EvalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("eval is not implemented yet ({})", args.file.display())
}
