//! `reclamos nlu`: the operators' side of learning from real traffic (`review`, `export`).

use std::path::PathBuf;
use std::process::ExitCode;

use reclamos::nlu::review::GROUP_THRESHOLD;
use reclamos::nlu::review_cli::{self, ExportOptions, ReviewOptions, DEFAULT_INTENTS};
use reclamos::server::DEFAULT_DB;

/// Options of `reclamos nlu`.
#[derive(Debug, clap::Args)]
pub struct NluArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: NluCommand,
}

/// The `reclamos nlu` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum NluCommand {
    /// Label the messages the bot fell back on, asked to clarify, or was corrected on,
    /// grouped by similarity, one key per group (1-4 the menu intents, f nlu_fallback,
    /// s skip, m one by one, q quit; stdin may be piped), and add them to an intents file.
    Review(ReviewArgs),
    /// Print the messages kept for review.
    Export(ExportArgs),
}

/// Options of `reclamos nlu review`.
#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// SQLite database file (it must exist).
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Intents file (Rasa NLU YAML) the labelled sentences are added to.
    #[arg(long, default_value = DEFAULT_INTENTS)]
    pub intents: PathBuf,
    /// Messages whose token Jaccard similarity to a group's first message is at least this
    /// join the group (1: only identical wording after normalisation).
    #[arg(long, default_value_t = GROUP_THRESHOLD)]
    pub threshold: f32,
}

/// Options of `reclamos nlu export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// SQLite database file (opened read-only; it must exist).
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Print JSON (an array of messages) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Include reviewed messages (with their label), not only those waiting for review.
    #[arg(long)]
    pub all: bool,
}

/// `reclamos nlu`.
pub fn main(args: NluArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        NluCommand::Review(args) => {
            anyhow::ensure!(
                (0.0..=1.0).contains(&args.threshold),
                "--threshold debe estar entre 0 y 1"
            );
            let options = ReviewOptions {
                db: args.db,
                intents: args.intents,
                threshold: args.threshold,
            };
            // Not `super::stdout()`: an operator whose screen went away is not labelling
            // any more, and the error says so.
            review_cli::run_review(
                &options,
                &mut std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
            )?;
        }
        NluCommand::Export(args) => {
            let options = ExportOptions {
                db: args.db,
                all: args.all,
                json: args.json,
            };
            review_cli::run_export(&options, &mut super::stdout())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
