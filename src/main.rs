//! The `reclamos` binary: parses the command line, initialises tracing and dispatches.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use reclamos::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: about a tenth less server CPU per message and
/// less memory per idle connection in the load test (README, "Performance"). Built without
/// transparent huge pages, which would commit its arenas in 2 MiB steps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: redirected logs stay plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Server(args) => reclamos::server::main(*args),
        Command::Client(args) => reclamos::client::main_customer(args),
        Command::Agent(args) => reclamos::client::main_agent(args),
        Command::Requests(args) => reclamos::registry::cli::main(args),
        Command::Eval(args) => reclamos::nlu::eval::main(args),
        Command::Loadtest(args) => reclamos::loadtest::main(args),
    }
}
