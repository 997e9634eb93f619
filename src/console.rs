//! The server console: the `[SERVER] ...` lines operators read on stdout.
//!
//! These lines are product output, not diagnostics (those go through `tracing` to stderr).
//! Tests capture them instead of printing.
//!
//! Connection tasks print from tokio worker threads, so printing must never wait for
//! stdout: a dedicated thread ("console") writes the lines in batches, at most about every
//! 10 ms (one write and one flush for all the lines waiting). [`Console::print`] hands a line over through a bounded
//! channel without waiting; when stdout cannot keep up (a slow pipe, a paused terminal) and
//! the channel is full, the line is dropped and counted, and the console says how many
//! lines it omitted where they are missing. Call [`Console::flush`] before the process
//! exits.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Lines waiting for the writer thread before `print` starts dropping them.
const CAPACITY: usize = 4096;

/// What starts every console line.
pub const PREFIX: &str = "[SERVER] ";

/// Where `[SERVER]` lines go. Cheap to clone.
#[derive(Clone)]
pub struct Console {
    sink: Sink,
}

#[derive(Clone)]
enum Sink {
    /// Handed over to the writer thread.
    Thread(Arc<Handoff>),
    /// Written on the caller's thread: only when the writer thread could not start.
    Direct,
    Capture(Arc<Mutex<Vec<String>>>),
}

/// The printing side of the writer thread. The thread ends when the last clone is dropped.
struct Handoff {
    tx: SyncSender<Message>,
    /// Lines dropped because the channel was full and not reported yet.
    omitted: Arc<AtomicU64>,
}

enum Message {
    /// A line (without the prefix), after a notice for the `omitted` lines dropped before it.
    Line { text: String, omitted: u64 },
    /// Answered once every earlier message is written.
    Flush(mpsc::Sender<()>),
}

impl Console {
    /// Prints to the process's standard output from a dedicated thread.
    pub fn stdout() -> Console {
        match Console::with_writer(std::io::stdout(), CAPACITY) {
            Ok(console) => console,
            Err(err) => {
                tracing::warn!(cause = %err, "no console thread: printing on the caller's thread");
                Console { sink: Sink::Direct }
            }
        }
    }

    /// Keeps the lines in memory; read them with [`Console::lines`].
    pub fn capture() -> Console {
        Console {
            sink: Sink::Capture(Arc::default()),
        }
    }

    /// A console whose thread writes to `out`, with room for `capacity` waiting lines.
    fn with_writer<W: Write + Send + 'static>(out: W, capacity: usize) -> std::io::Result<Console> {
        let capacity = capacity.max(1);
        let (tx, rx) = mpsc::sync_channel(capacity);
        let omitted = Arc::new(AtomicU64::new(0));
        let counter = omitted.clone();
        thread::Builder::new()
            .name("console".into())
            .spawn(move || write_lines(&rx, &counter, out, capacity))?;
        Ok(Console {
            sink: Sink::Thread(Arc::new(Handoff { tx, omitted })),
        })
    }

    /// The captured lines so far (empty for stdout).
    pub fn lines(&self) -> Vec<String> {
        match &self.sink {
            Sink::Thread(_) | Sink::Direct => Vec::new(),
            Sink::Capture(lines) => lines.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    /// Prints `[SERVER] {message}` without waiting for stdout. The caller has already
    /// neutralised any text that came from a client.
    pub fn print(&self, message: &str) {
        match &self.sink {
            Sink::Thread(handoff) => handoff.print(message),
            Sink::Direct => {
                let mut out = std::io::stdout().lock();
                // A closed stdout must not take the server down: the line is dropped.
                let _ = writeln!(out, "{PREFIX}{message}").and_then(|()| out.flush());
            }
            Sink::Capture(lines) => lines
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("{PREFIX}{message}")),
        }
    }

    /// Waits until every line printed so far is written (or its write failed). This may
    /// wait for a slow stdout: call it at exit, not from a connection task.
    pub fn flush(&self) {
        match &self.sink {
            Sink::Thread(handoff) => {
                let (ack, done) = mpsc::channel();
                // `send` waits for room, which the writer thread always makes.
                if handoff.tx.send(Message::Flush(ack)).is_ok() {
                    let _ = done.recv();
                }
            }
            Sink::Direct => {
                let _ = std::io::stdout().flush();
            }
            Sink::Capture(_) => {}
        }
    }
}

impl Handoff {
    fn print(&self, message: &str) {
        // Lines dropped earlier travel with this one, so their notice lands where they are
        // missing. The load keeps the common case (nothing dropped) free of writes.
        let omitted = match self.omitted.load(Ordering::Relaxed) {
            0 => 0,
            _ => self.omitted.swap(0, Ordering::Relaxed),
        };
        let line = Message::Line {
            text: message.to_owned(),
            omitted,
        };
        match self.tx.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.omitted.fetch_add(omitted + 1, Ordering::Relaxed);
            }
            // The writer thread only ends when every console is gone.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// How long the writer thread lets lines gather after the first one before writing. Waking
/// it for every line would cost the printing worker a futex wake and the machine a context
/// switch per line, which showed in the tail latency of the load test (README,
/// "Performance"); with this pause it wakes at most about 100 times a second, and a line
/// reaches stdout within about 10 ms.
const LINGER: Duration = Duration::from_millis(10);

/// The writer thread: waits for a line, lets others gather for [`LINGER`], takes whatever
/// is waiting (up to `batch` messages), writes them all and flushes once. Write errors (a
/// closed stdout) are ignored and the thread keeps draining, so printers never find the
/// channel full for good.
fn write_lines<W: Write>(rx: &Receiver<Message>, omitted: &AtomicU64, mut out: W, batch: usize) {
    let mut buf = Vec::new();
    let mut acks = Vec::new();
    while let Ok(first) = rx.recv() {
        if matches!(first, Message::Line { .. }) {
            std::thread::sleep(LINGER);
        }
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(message) = next.take() {
            match message {
                Message::Line { text, omitted } => {
                    push_notice(&mut buf, omitted);
                    buf.extend_from_slice(PREFIX.as_bytes());
                    buf.extend_from_slice(text.as_bytes());
                    buf.push(b'\n');
                }
                Message::Flush(ack) => {
                    push_notice(&mut buf, omitted.swap(0, Ordering::Relaxed));
                    acks.push(ack);
                }
            }
            taken += 1;
            if taken < batch {
                match rx.try_recv() {
                    Ok(message) => next = Some(message),
                    // Caught up: lines dropped with no line after them are reported now.
                    Err(TryRecvError::Empty) => {
                        push_notice(&mut buf, omitted.swap(0, Ordering::Relaxed));
                    }
                    Err(TryRecvError::Disconnected) => {}
                }
            }
        }
        let _ = out.write_all(&buf).and_then(|()| out.flush());
        buf.clear();
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

/// Appends the console line saying `omitted` lines were dropped (nothing for 0).
fn push_notice(buf: &mut Vec<u8>, omitted: u64) {
    if omitted > 0 {
        let line = crate::protocol::console::lines_dropped(omitted);
        buf.extend_from_slice(format!("{PREFIX}{line}\n").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const PATIENCE: Duration = Duration::from_secs(10);

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Shared {
        fn lines(&self) -> Vec<String> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        }
    }

    impl Write for Shared {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The omitted-lines notice for `count`, as the console prints it.
    fn notice(count: u64) -> String {
        format!("{PREFIX}{}", crate::protocol::console::lines_dropped(count))
    }

    /// The count in an omitted-lines notice.
    fn omitted(line: &str) -> Option<u64> {
        let rest = line.strip_prefix(PREFIX)?.strip_prefix('(')?;
        let count: u64 = rest.split_once(' ')?.0.parse().ok()?;
        (*line == notice(count)).then_some(count)
    }

    /// Runs `f` on another thread and fails if it does not finish in time.
    fn within_patience(what: &str, f: impl FnOnce() + Send + 'static) {
        let (done, finished) = mpsc::channel();
        thread::spawn(move || {
            f();
            let _ = done.send(());
        });
        finished
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("{what} did not finish"));
    }

    #[test]
    fn notices_name_the_count() {
        for (count, expected) in [
            (0, ""),
            (1, "[SERVER] (1 línea de consola omitida)\n"),
            (12, "[SERVER] (12 líneas de consola omitidas)\n"),
        ] {
            let mut buf = Vec::new();
            push_notice(&mut buf, count);
            assert_eq!(String::from_utf8(buf).unwrap(), expected);
            if count > 0 {
                assert_eq!(omitted(expected.trim_end()), Some(count));
            }
        }
    }

    #[test]
    fn lines_from_many_threads_keep_their_order() {
        const THREADS: usize = 4;
        const LINES: usize = 2500;
        let out = Shared::default();
        let console = Console::with_writer(out.clone(), CAPACITY).unwrap();
        let printers: Vec<_> = (0..THREADS)
            .map(|t| {
                let console = console.clone();
                thread::spawn(move || {
                    for i in 0..LINES {
                        console.print(&format!("{t} {i}"));
                    }
                })
            })
            .collect();
        for printer in printers {
            printer.join().unwrap();
        }
        console.flush();
        // A writer this fast rarely falls behind, but if it did, every dropped line is
        // accounted for by a notice.
        let mut last = [None::<usize>; THREADS];
        let (mut printed, mut dropped) = (0, 0);
        for line in out.lines() {
            if let Some(count) = omitted(&line) {
                dropped += count as usize;
                continue;
            }
            let rest = line.strip_prefix("[SERVER] ").unwrap();
            let (t, i) = rest.split_once(' ').unwrap();
            let (t, i): (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
            assert!(
                last[t] < Some(i),
                "thread {t}: line {i} after {:?}",
                last[t]
            );
            last[t] = Some(i);
            printed += 1;
        }
        assert_eq!(printed + dropped, THREADS * LINES);
    }

    /// A writer that takes its time on every write.
    struct Slow(Shared);

    impl Write for Slow {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            thread::sleep(Duration::from_millis(50));
            self.0.write(data)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn flush_returns_once_every_line_is_written() {
        let out = Shared::default();
        let console = Console::with_writer(Slow(out.clone()), CAPACITY).unwrap();
        for i in 0..100 {
            console.print(&i.to_string());
        }
        console.flush();
        let expected: Vec<String> = (0..100).map(|i| format!("[SERVER] {i}")).collect();
        assert_eq!(out.lines(), expected);
    }

    /// A writer whose every write waits for the test's go (or for the test to drop `open`).
    struct Gate {
        out: Shared,
        entered: mpsc::Sender<()>,
        open: Receiver<()>,
    }

    impl Write for Gate {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            let _ = self.entered.send(());
            let _ = self.open.recv();
            self.out.write(data)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A console writing through a [`Gate`]: the output, "a write started", and the go.
    fn gated(capacity: usize) -> (Console, Shared, Receiver<()>, mpsc::Sender<()>) {
        let out = Shared::default();
        let (entered, writing) = mpsc::channel();
        let (open, go) = mpsc::channel();
        let gate = Gate {
            out: out.clone(),
            entered,
            open: go,
        };
        let console = Console::with_writer(gate, capacity).unwrap();
        (console, out, writing, open)
    }

    #[test]
    fn a_stuck_writer_never_blocks_print_and_the_omitted_lines_are_reported() {
        let (console, out, writing, open) = gated(8);
        console.print("0");
        writing
            .recv_timeout(PATIENCE)
            .expect("the writer thread took the first line");
        // The writer is stuck on line 0: lines 1 to 8 fill the channel, 9 to 20 are dropped.
        let printer = console.clone();
        within_patience("printing to a full console", move || {
            for i in 1..=20 {
                printer.print(&i.to_string());
            }
        });
        drop(open);
        console.flush();
        let mut expected: Vec<String> = (0..=8).map(|i| format!("[SERVER] {i}")).collect();
        expected.push(notice(12));
        assert_eq!(out.lines(), expected);
        // Reported once: the next line comes alone.
        console.print("21");
        console.flush();
        expected.push("[SERVER] 21".into());
        assert_eq!(out.lines(), expected);
    }

    #[test]
    fn the_notice_comes_before_the_first_line_printed_after_the_drop() {
        let (console, out, writing, open) = gated(2);
        console.print("0");
        writing.recv_timeout(PATIENCE).unwrap();
        // Lines 1 and 2 wait; 3 to 5 are dropped.
        for i in 1..=5 {
            console.print(&i.to_string());
        }
        // Let line 0 through; the writer takes 1 and 2 and is stuck again, the channel empty.
        open.send(()).unwrap();
        writing.recv_timeout(PATIENCE).unwrap();
        console.print("6");
        drop(open);
        console.flush();
        assert_eq!(
            out.lines(),
            [
                "[SERVER] 0",
                "[SERVER] 1",
                "[SERVER] 2",
                &notice(3),
                "[SERVER] 6",
            ]
        );
    }

    /// A writer like a closed pipe.
    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_failing_writer_neither_panics_nor_blocks() {
        let console = Console::with_writer(Broken, 16).unwrap();
        within_patience("printing to a broken stdout", move || {
            for i in 0..10_000 {
                console.print(&i.to_string());
            }
            console.flush();
            console.print("otra");
            console.flush();
        });
    }

    /// A writer that says when the writer thread lets go of it.
    struct Dropped(mpsc::Sender<()>);

    impl Write for Dropped {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            Ok(data.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Drop for Dropped {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    #[test]
    fn the_writer_thread_ends_with_the_last_console() {
        let (tx, ended) = mpsc::channel();
        let console = Console::with_writer(Dropped(tx), CAPACITY).unwrap();
        let other = console.clone();
        console.print("uno");
        drop(console);
        other.print("dos");
        other.flush();
        assert!(ended.try_recv().is_err(), "a clone still prints");
        drop(other);
        ended
            .recv_timeout(PATIENCE)
            .expect("the writer thread ended");
    }
}
