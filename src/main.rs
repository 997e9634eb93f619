//! The `reclamos` binary: parses the command line, initialises tracing and dispatches to
//! [`cli`]. Its modules are the program's edges and are not part of the library: each
//! subcommand's options and `main`, and the load generator.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: about a tenth less server CPU per message and
/// less memory per idle connection in the load test (README, "Performance"). Built without
/// transparent huge pages, which would commit its arenas in 2 MiB steps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Gives the operating system back the memory that start-up freed: training the classifier
/// on its own thread leaves ~16 MB that mimalloc would otherwise keep for seconds or until
/// some later allocation happens to purge it (resident memory 38–41 MB instead of 22–25 MB
/// after start).
pub(crate) fn release_freed_memory() {
    // SAFETY: mi_collect has no preconditions; it only walks mimalloc's own free lists.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Log lines queued for stderr at most; beyond them, new lines are dropped.
const LOG_QUEUE_LINES: usize = 4096;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Log lines go to stderr from a thread of their own through a bounded queue that drops
    // lines when full: a reader that stops reading (a paused terminal, a full pipe) must not
    // block the runtime's workers, which log refused connections and failed operations.
    // The guard flushes what is queued when `main` returns.
    let (stderr, _flush_logs) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .thread_name("reclamos-log")
        .finish(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(stderr)
        // Colours only on a terminal: redirected logs stay plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match cli::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
