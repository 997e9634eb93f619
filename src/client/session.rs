//! The two ways of running a conversation once connected: an interactive terminal (line
//! editor, history, incoming lines printed above the prompt) and plain pipes (scripts).

use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::Context;
use rustyline::error::ReadlineError;
use rustyline::{Config, DefaultEditor, ExternalPrinter};

use super::connection::{is_disconnect, Connection, LineReader};
use crate::protocol;
use crate::text::sanitize;

/// The prompt: what the user types stays on screen as `Yo: ...` once sent.
use super::messages::{self, PROMPT};

/// Runs the conversation on `conn` until the server closes it (or the user quits).
pub(crate) fn run(conn: Connection, interactive: bool) -> anyhow::Result<ExitCode> {
    if interactive {
        run_terminal(conn)
    } else {
        run_piped(conn)
    }
}

/// What the server's last line says of how the session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LastLine {
    /// Its goodbye: the end the user asked for.
    Goodbye,
    /// A notice it sends before closing on its own (stopping, a timeout, a flood).
    Closing,
    /// Anything else.
    Other,
}

impl LastLine {
    fn of(line: &str) -> LastLine {
        if line == protocol::customer::GOODBYE || line == protocol::agent::GOODBYE {
            LastLine::Goodbye
        } else if protocol::notice::CLOSING.iter().any(|n| line.ends_with(n))
            || [
                protocol::notice::BUSY,
                protocol::notice::FULL,
                protocol::notice::AGENTS_BUSY,
            ]
            .contains(&line)
        {
            LastLine::Closing
        } else {
            LastLine::Other
        }
    }
}

/// How the session ends when the server closes: success after its goodbye, or a silent
/// close once the user ended their side; failure after a closing notice (the server
/// stopped, a timeout) or a silent close the user did not ask for (the server died), so
/// that a script can tell a lost connection from "4) Salir".
fn closed_by_server(last: LastLine, input_ended: bool) -> ExitCode {
    match last {
        LastLine::Goodbye => ExitCode::SUCCESS,
        LastLine::Closing => ExitCode::FAILURE,
        LastLine::Other if input_ended => ExitCode::SUCCESS,
        LastLine::Other => ExitCode::FAILURE,
    }
}

/// Piped mode: every stdin line is sent as is, end of input half-closes the socket, and
/// server lines go to stdout (sanitised) until the server closes. A close the user did not
/// ask for is said on stderr and fails ([`closed_by_server`]).
fn run_piped(conn: Connection) -> anyhow::Result<ExitCode> {
    let Connection {
        mut reader,
        mut writer,
    } = conn;
    let input_ended = Arc::new(AtomicBool::new(false));
    // Sending runs on its own thread so the process ends when the server closes even if
    // stdin never does.
    let ended = Arc::clone(&input_ended);
    thread::spawn(move || {
        let mut stdin = LineReader::new(io::stdin().lock());
        while let Ok(Some(line)) = stdin.read_line() {
            if writer.send_line(&line).is_err() {
                // The server is gone; the reading side reports how.
                return;
            }
        }
        ended.store(true, Ordering::SeqCst);
        let _ = writer.half_close();
    });
    let stdout = io::stdout();
    let mut last = LastLine::Other;
    let end = |last: LastLine| {
        let code = closed_by_server(last, input_ended.load(Ordering::SeqCst));
        if code != ExitCode::SUCCESS {
            eprintln!("{}", messages::SERVER_CLOSED);
        }
        Ok(code)
    };
    loop {
        match reader.read_line() {
            Ok(Some(line)) => {
                last = LastLine::of(&line);
                let mut out = stdout.lock();
                if writeln!(out, "{}", sanitize(&line))
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    // stdout closed (e.g. piped into `head`): nothing left to do.
                    return Ok(ExitCode::SUCCESS);
                }
            }
            Ok(None) => return end(last),
            Err(err) if is_disconnect(&err) => return end(last),
            Err(err) => return Err(err).context("leyendo del servidor"),
        }
    }
}

/// Terminal mode: a rustyline prompt; server lines are printed above it by the reading
/// thread through rustyline's `ExternalPrinter`, so they never mangle the line being typed.
///
/// Ctrl-D on an empty line half-closes (the server sees the end of input, its remaining
/// lines still print); Ctrl-C closes the connection and quits. When the server closes, the
/// reading thread prints a notice and wakes the blocked `readline` by raising SIGINT, which
/// rustyline turns into `ReadlineError::Interrupted` after restoring the terminal; the
/// `server_closed` flag tells that apart from the user's Ctrl-C.
fn run_terminal(conn: Connection) -> anyhow::Result<ExitCode> {
    let Connection { reader, mut writer } = conn;
    // Outside `readline` (rustyline installs its own handler while editing), SIGINT must not
    // kill the process: it only sets this flag.
    let interrupted = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted))
        .context("instalando el manejador de Ctrl-C")?;
    let config = Config::builder().auto_add_history(false).build();
    let mut editor = DefaultEditor::with_config(config).context("iniciando el editor de líneas")?;
    let printer = editor
        .create_external_printer()
        .context("iniciando el editor de líneas")?;
    let server_closed = Arc::new(AtomicBool::new(false));
    let last = Arc::new(std::sync::Mutex::new(LastLine::Other));
    spawn_terminal_reader(
        reader,
        printer,
        Arc::clone(&server_closed),
        Arc::clone(&last),
    );
    let closed = || {
        let last = *last.lock().unwrap_or_else(|e| e.into_inner());
        closed_by_server(last, false)
    };

    loop {
        if server_closed.load(Ordering::SeqCst) {
            return Ok(closed());
        }
        match editor.readline(PROMPT) {
            Ok(line) => {
                if server_closed.load(Ordering::SeqCst) {
                    return Ok(closed());
                }
                if line.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line.as_str());
                if writer.send_line(&line).is_err() {
                    // The server went away; its reader thread reports it and wakes us.
                    wait_for(&server_closed, &interrupted);
                    return Ok(closed());
                }
            }
            Err(ReadlineError::Interrupted) => {
                if server_closed.load(Ordering::SeqCst) {
                    // rustyline left the now useless prompt line above the cursor: erase it.
                    print!("\x1b[1A\x1b[2K");
                    let _ = io::stdout().flush();
                    return Ok(closed());
                }
                // Exiting closes the socket; the reading thread dies with the process.
                println!("{}", messages::SESSION_ENDED);
                return Ok(ExitCode::SUCCESS);
            }
            Err(ReadlineError::Eof) => {
                let _ = writer.half_close();
                println!("{}", messages::INPUT_ENDED);
                interrupted.store(false, Ordering::SeqCst);
                wait_for(&server_closed, &interrupted);
                return Ok(ExitCode::SUCCESS);
            }
            Err(err) => return Err(err).context("leyendo la terminal"),
        }
    }
}

/// Blocks until one of the flags is set.
fn wait_for(a: &AtomicBool, b: &AtomicBool) {
    while !a.load(Ordering::SeqCst) && !b.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(50));
    }
}

/// Prints server lines above the prompt; at the end of the stream prints a notice, sets
/// `server_closed` and wakes the editor (see [`run_terminal`]).
fn spawn_terminal_reader<R, P>(
    mut reader: LineReader<R>,
    mut printer: P,
    server_closed: Arc<AtomicBool>,
    last: Arc<std::sync::Mutex<LastLine>>,
) where
    R: BufRead + Send + 'static,
    P: ExternalPrinter + Send + 'static,
{
    thread::spawn(move || {
        let notice = loop {
            match reader.read_line() {
                Ok(Some(line)) => {
                    *last.lock().unwrap_or_else(|e| e.into_inner()) = LastLine::of(&line);
                    // The newline matters when the editor is not active (the printer then
                    // writes as is); while editing, rustyline adds none if one is there.
                    if printer.print(format!("{}\n", sanitize(&line))).is_err() {
                        break messages::TERMINAL_FAILED.to_string();
                    }
                }
                Ok(None) => break messages::SERVER_CLOSED.to_string(),
                Err(err) if is_disconnect(&err) => break messages::SERVER_CLOSED.to_string(),
                Err(err) => break messages::connection_lost(err),
            }
        };
        // rustyline's printer queue holds one message: this call returns only once the
        // previous line has been taken by the editor, so no server line is lost.
        let _ = printer.print(notice + "\n");
        server_closed.store(true, Ordering::SeqCst);
        // Let the editor show the notice before it is interrupted.
        thread::sleep(Duration::from_millis(100));
        // Repeat in case the main thread was between two `readline` calls (where SIGINT
        // only sets a flag) when the first one arrived; the process exits soon after.
        loop {
            let _ = signal_hook::low_level::raise(signal_hook::consts::SIGINT);
            thread::sleep(Duration::from_millis(200));
        }
    });
}
