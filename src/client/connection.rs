//! The client's socket: connecting with a helpful error, reading bounded lines, sending
//! lines, half-closing.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::Context;

/// Longest server line the client keeps; the rest of a longer line is dropped and the kept
/// part ends with `…`. The server's lines are short; this only bounds memory.
pub const MAX_SERVER_LINE: usize = 64 * 1024;

/// How long connecting to one resolved address may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A line-oriented connection to the server, split into a reading and a writing half so a
/// background thread can print incoming lines while the user types.
pub struct Connection {
    /// Incoming lines.
    pub reader: LineReader<BufReader<TcpStream>>,
    /// Outgoing lines.
    pub writer: LineWriter,
}

impl Connection {
    /// Connects to `host:port`. The error says what to do when nothing listens there.
    pub fn open(host: &str, port: u16) -> anyhow::Result<Connection> {
        let stream = connect(host, port).with_context(|| {
            format!(
                "could not connect to {host}:{port}: is the server running? (cargo run -- server)"
            )
        })?;
        let _ = stream.set_nodelay(true);
        let read_half = stream.try_clone().context("duplicating the socket")?;
        Ok(Connection {
            reader: LineReader::new(BufReader::new(read_half)),
            writer: LineWriter { stream },
        })
    }
}

fn connect(host: &str, port: u16) -> io::Result<TcpStream> {
    let mut last_err = io::Error::new(io::ErrorKind::NotFound, "the host name has no address");
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(err) => last_err = err,
        }
    }
    Err(last_err)
}

/// The writing half: one line at a time, and shutdown.
pub struct LineWriter {
    stream: TcpStream,
}

impl LineWriter {
    /// Sends `line` followed by `\n`.
    pub fn send_line(&mut self, line: &str) -> io::Result<()> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.stream.write_all(&buf)
    }

    /// Closes the sending direction (the server reads end of input) but keeps receiving.
    pub fn half_close(&self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }

    /// Bounds how long a read on this socket may block (`None`: forever). Used during the
    /// executives' login so a silent server does not hang the client.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)
    }
}

/// Reads `\n`-terminated lines of at most [`MAX_SERVER_LINE`] bytes (a trailing `\r` is
/// dropped, invalid UTF-8 is replaced).
pub struct LineReader<R> {
    inner: R,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a buffered reader with the default limit.
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            max: MAX_SERVER_LINE,
        }
    }

    /// The next line, or `None` at the end of the stream.
    pub fn read_line(&mut self) -> io::Result<Option<String>> {
        let mut line = Vec::new();
        let mut truncated = false;
        let mut saw_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if available.is_empty() {
                if !saw_any {
                    return Ok(None);
                }
                break;
            }
            saw_any = true;
            let (chunk, used, done) = match available.iter().position(|&b| b == b'\n') {
                Some(pos) => (&available[..pos], pos + 1, true),
                None => (available, available.len(), false),
            };
            let room = self.max.saturating_sub(line.len());
            if chunk.len() > room {
                truncated = true;
            }
            line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.inner.consume(used);
            if done {
                break;
            }
        }
        if !truncated && line.last() == Some(&b'\r') {
            line.pop();
        }
        let mut text = String::from_utf8_lossy(&line).into_owned();
        if truncated {
            text.push('…');
        }
        Ok(Some(text))
    }
}

/// True when a read error means the peer went away (reset, aborted), which the client
/// treats like an orderly close.
pub fn is_disconnect(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<String> {
        let mut reader = LineReader {
            inner: BufReader::with_capacity(3, input),
            max,
        };
        let mut out = Vec::new();
        while let Some(line) = reader.read_line().unwrap() {
            out.push(line);
        }
        out
    }

    #[test]
    fn splits_lines_across_buffer_refills() {
        assert_eq!(
            lines(b"hola\r\nque tal\n\nfin sin salto", 100),
            ["hola", "que tal", "", "fin sin salto"]
        );
    }

    #[test]
    fn truncates_long_lines_and_resynchronises() {
        assert_eq!(lines(b"abcdefgh\nxy\n", 4), ["abcd…", "xy"]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(lines(b"a\xffb\n", 100), ["a\u{FFFD}b"]);
    }

    #[test]
    fn nothing_listening_gives_a_helpful_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = Connection::open("127.0.0.1", port).err().unwrap();
        let text = format!("{err:#}");
        assert!(
            text.contains(&format!(
                "could not connect to 127.0.0.1:{port}: is the server running?"
            )),
            "{text}"
        );
    }
}
