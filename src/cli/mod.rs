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

use std::io::{self, Write};
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

/// Standard output for a subcommand's results. When its reader closes the pipe early
/// (`reclamos eval FILE | head -1`), writes fail with [`StdoutClosed`] inside the
/// `io::Error`, on which `main` ends quietly, as Unix filters do.
pub struct Output(io::StdoutLock<'static>);

/// The locked standard output (see [`Output`]).
pub fn stdout() -> Output {
    Output(io::stdout().lock())
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(reader_gone)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(reader_gone)
    }
}

fn reader_gone(err: io::Error) -> io::Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        io::Error::new(io::ErrorKind::BrokenPipe, StdoutClosed)
    } else {
        err
    }
}

/// The reader of standard output closed it before everything was written.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed by its reader")]
pub struct StdoutClosed;

/// Whether `err` is (or was caused by) [`StdoutClosed`].
pub fn stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
            .is_some_and(|inner| inner.is::<StdoutClosed>())
    })
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

    /// Values that would break every connection (a send queue of 0 panicked on each one; a
    /// zero timeout closed each at once) are refused on the command line, naming the option.
    #[test]
    fn limits_that_would_break_every_connection_are_refused() {
        for (option, value) in [
            ("--send-queue", "0"),
            ("--max-connections", "0"),
            ("--max-pre-login-connections", "0"),
            ("--max-pre-login-per-address", "0"),
            ("--db-pool", "0"),
            ("--max-line-length", "10"),
            ("--idle-timeout", "0s"),
            ("--login-timeout", "0s"),
            ("--write-timeout", "0s"),
            ("--queue-idle-timeout", "0s"),
            ("--rate", "0"),
            ("--rate", "NaN"),
            ("--agent-rate", "inf"),
            ("--burst", "0"),
        ] {
            let err = parse(&["server", option, value]).expect_err(option);
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{option}"
            );
            assert!(err.to_string().contains(option), "{option}: {err}");
        }
        for (option, value) in [
            ("--send-queue", "1"),
            ("--max-line-length", "64"),
            ("--idle-timeout", "1s"),
            ("--rate", "0.5"),
        ] {
            assert!(
                parse(&["server", option, value]).is_ok(),
                "{option} {value}"
            );
        }
        for value in ["98", "-1", "NaN"] {
            let arg = format!("--min-accuracy={value}");
            let err = parse(&["eval", "f.yaml", &arg]).expect_err(value);
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{value}"
            );
        }
        assert!(parse(&["eval", "f.yaml", "--min-accuracy", "0.97"]).is_ok());
    }
}
