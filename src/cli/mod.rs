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
/// (`reclamos eval FILE | head -1`), the rest of the output is discarded and the command
/// goes on: its report files are written, its gate (`--min-accuracy`) checked, and its
/// exit status is its own, with no panic and no error line.
pub struct Output {
    out: io::StdoutLock<'static>,
    reader_gone: bool,
}

/// The locked standard output (see [`Output`]).
pub fn stdout() -> Output {
    Output {
        out: io::stdout().lock(),
        reader_gone: false,
    }
}

impl Output {
    fn discard_if_gone<T>(&mut self, result: io::Result<T>, gone: T) -> io::Result<T> {
        match result {
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                self.reader_gone = true;
                Ok(gone)
            }
            other => other,
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.reader_gone {
            return Ok(buf.len());
        }
        let written = self.out.write(buf);
        self.discard_if_gone(written, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.reader_gone {
            return Ok(());
        }
        let flushed = self.out.flush();
        self.discard_if_gone(flushed, ())
    }
}

/// A share between 0 and 1 (`--threshold`, `--min-accuracy`): `98` would fail every run,
/// `NaN` pass every one.
pub(crate) fn unit_interval<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + From<f32> + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    let value: T = text.parse().map_err(|e| format!("{e}"))?;
    if (T::from(0.0)..=T::from(1.0)).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not between 0 and 1"))
    }
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
            ("--max-line-length", "100"),
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
            ("--max-line-length", "256"),
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
