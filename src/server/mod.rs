//! The server: listeners, one task per connection, framing and limits.

use std::process::ExitCode;

/// Options of `reclamos server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Intents file (Rasa NLU YAML); the embedded `intents/es.yaml` when absent.
    #[arg(long)]
    pub intents: Option<std::path::PathBuf>,
}

/// Runs the server until Ctrl-C.
pub fn main(args: ServerArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet ({:?})", args.intents)
}
