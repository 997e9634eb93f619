//! `reclamos loadtest`: a load generator for sizing a deployment.

use std::process::ExitCode;

/// Options of `reclamos loadtest`.
#[derive(Debug, clap::Args)]
pub struct LoadtestArgs {
    /// Number of simulated customers.
    #[arg(long, default_value_t = 100)]
    pub customers: usize,
}

/// Runs the load test.
pub fn main(args: LoadtestArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet ({})", args.customers)
}
