//! Terminal front ends: `reclamos client` (customer) and `reclamos agent` (executive).

use std::process::ExitCode;

/// Options of `reclamos client`.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// Server host.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Customers' port.
    #[arg(long, default_value_t = 5555)]
    pub port: u16,
}

/// Options of `reclamos agent`.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// Server host.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Executives' port.
    #[arg(long, default_value_t = 5556)]
    pub port: u16,
}

/// Runs the customer client.
pub fn main_customer(args: ClientArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet ({}:{})", args.host, args.port)
}

/// Runs the executive client.
pub fn main_agent(args: AgentArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet ({}:{})", args.host, args.port)
}
