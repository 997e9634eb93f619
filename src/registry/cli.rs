//! `reclamos requests`: lists the registry for operators.

use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `reclamos requests`.
#[derive(Debug, clap::Args)]
pub struct RequestsArgs {
    /// SQLite database file.
    #[arg(long, default_value = "reclamos.db")]
    pub db: PathBuf,
}

/// Prints the requests.
pub fn main(args: RequestsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet ({})", args.db.display())
}
