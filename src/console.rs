//! The server console: the `[SERVER] ...` lines operators read on stdout.
//!
//! These lines are product output, not diagnostics (those go through `tracing` to stderr).
//! Tests capture them instead of printing.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Where `[SERVER]` lines go. Cheap to clone.
#[derive(Clone)]
pub struct Console {
    sink: Sink,
}

#[derive(Clone)]
enum Sink {
    Stdout,
    Capture(Arc<Mutex<Vec<String>>>),
}

impl Console {
    /// Prints to the process's standard output.
    pub fn stdout() -> Console {
        Console { sink: Sink::Stdout }
    }

    /// Keeps the lines in memory; read them with [`Console::lines`].
    pub fn capture() -> Console {
        Console {
            sink: Sink::Capture(Arc::default()),
        }
    }

    /// The captured lines so far (empty for stdout).
    pub fn lines(&self) -> Vec<String> {
        match &self.sink {
            Sink::Stdout => Vec::new(),
            Sink::Capture(lines) => lines.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    /// Prints `[SERVER] {message}`. The caller has already neutralised any text that came
    /// from a client.
    pub fn print(&self, message: &str) {
        let line = format!("[SERVER] {message}");
        match &self.sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                // A closed stdout must not take the server down: the line is dropped.
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            }
            Sink::Capture(lines) => lines.lock().unwrap_or_else(|e| e.into_inner()).push(line),
        }
    }
}
