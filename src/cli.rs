//! Command-line interface. Each subcommand's options live next to the code that runs it;
//! this module only assembles them.

use clap::{Parser, Subcommand};

/// Complaint-service chat ("chat de atención de reclamos") with a Spanish intent classifier.
#[derive(Debug, Parser)]
#[command(name = "reclamos", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the chat server (customers and executives).
    Server(Box<crate::server::ServerArgs>),
    /// Connect to a server as a customer.
    Client(crate::client::ClientArgs),
    /// Connect to a server as an executive.
    Agent(crate::client::AgentArgs),
    /// List the requests in the registry.
    Requests(crate::registry::cli::RequestsArgs),
    /// Measure the intent classifier on a labelled YAML file.
    Eval(crate::nlu::eval::EvalArgs),
    /// Generate load against a server and print latency and throughput figures.
    Loadtest(crate::loadtest::LoadtestArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
