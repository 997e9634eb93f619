//! The command line (clap derive): one module per subcommand, holding its options and its
//! `main`, which turns the options into the library's configuration and runs it.
//!
//! Every default shown in `--help` is read from the library's own definition (an
//! `impl Default` or a named constant), so the two cannot disagree.

mod classifier;
mod client;
mod eval;
mod loadtest;
mod nlu;
mod requests;
mod server;

use std::process::ExitCode;

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
    Server(Box<server::ServerArgs>),
    /// Connect to a server as a customer.
    Client(client::ClientArgs),
    /// Connect to a server as an executive.
    Agent(client::AgentArgs),
    /// List the requests in the registry.
    Requests(requests::RequestsArgs),
    /// Measure the intent classifier on a labelled YAML file.
    Eval(Box<eval::EvalArgs>),
    /// Generate load against a server and print latency and throughput figures.
    Loadtest(Box<loadtest::LoadtestArgs>),
    /// Learn from real traffic: review and export the messages the bot did not understand.
    Nlu(nlu::NluArgs),
}

/// Runs a subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Server(args) => server::main(*args),
        Command::Client(args) => client::main_customer(args),
        Command::Agent(args) => client::main_agent(args),
        Command::Requests(args) => requests::main(args),
        Command::Eval(args) => eval::main(*args),
        Command::Loadtest(args) => loadtest::main(*args),
        Command::Nlu(args) => nlu::main(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Parses a full command line (without the program name).
    pub(super) fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("reclamos").chain(args.iter().copied()))
            .map(|cli| cli.command)
    }

    #[test]
    fn help_shows_the_library_defaults() {
        let mut cli = Cli::command();
        let server = cli.find_subcommand_mut("server").expect("server");
        let help = server.render_long_help().to_string();
        for shown in [
            "[default: 5555]",
            "[default: 5556]",
            "[default: reclamos.db]",
            "[default: 15000]",
            "[default: 10s]",
            "[default: 2m]",
            "[default: 15m]",
            "[default: 2h]",
            "Este mensaje trata de {}.",
        ] {
            assert!(help.contains(shown), "{shown} missing from:\n{help}");
        }
    }
}
