//! The client's socket: connecting with a helpful error, reading bounded lines, sending
//! lines, half-closing.
//!
//! With TLS the terminal code still reads and writes a plain blocking socket from two
//! threads: a background relay thread owns the TLS session (tokio-rustls on a
//! current-thread runtime) and copies bytes between it and one end of a local socket pair,
//! whose other end is the [`Socket`] the client uses. Half-closing that socket makes the
//! relay send TLS close_notify, so the server sees the end of input as over plain TCP.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::ClientConfig;

/// Longest server line the client keeps; the rest of a longer line is dropped and the kept
/// part ends with `…`. The server's lines are short; this only bounds memory.
pub(crate) const MAX_SERVER_LINE: usize = 64 * 1024;

/// How long connecting to one resolved address may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to speak TLS to the server.
#[derive(Debug, Clone)]
pub(crate) struct TlsSettings {
    /// Trusted roots and protocol settings ([`crate::tls::client_config`]).
    pub(crate) config: Arc<ClientConfig>,
    /// The name the server's certificate must carry.
    pub(crate) server_name: ServerName<'static>,
}

/// The client's end of the connection: the TCP socket itself, or with TLS the local end of
/// the relay's socket pair.
#[derive(Debug)]
pub(crate) enum Socket {
    /// Plain TCP.
    Tcp(TcpStream),
    /// Bytes relayed through TLS by a background thread.
    #[cfg(unix)]
    Relay(UnixStream),
}

impl Socket {
    fn try_clone(&self) -> io::Result<Socket> {
        match self {
            Socket::Tcp(stream) => stream.try_clone().map(Socket::Tcp),
            #[cfg(unix)]
            Socket::Relay(stream) => stream.try_clone().map(Socket::Relay),
        }
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Socket::Tcp(stream) => stream.shutdown(how),
            #[cfg(unix)]
            Socket::Relay(stream) => stream.shutdown(how),
        }
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Tcp(stream) => stream.set_read_timeout(timeout),
            #[cfg(unix)]
            Socket::Relay(stream) => stream.set_read_timeout(timeout),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(stream) => stream.read(buf),
            #[cfg(unix)]
            Socket::Relay(stream) => stream.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(stream) => stream.write(buf),
            #[cfg(unix)]
            Socket::Relay(stream) => stream.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Socket::Tcp(stream) => stream.flush(),
            #[cfg(unix)]
            Socket::Relay(stream) => stream.flush(),
        }
    }
}

/// A line-oriented connection to the server, split into a reading and a writing half so a
/// background thread can print incoming lines while the user types.
pub(crate) struct Connection {
    /// Incoming lines.
    pub(crate) reader: LineReader<BufReader<Socket>>,
    /// Outgoing lines.
    pub(crate) writer: LineWriter,
}

impl Connection {
    /// Connects to `host:port`, over TLS when `tls` is given; the TLS handshake is complete
    /// (the server's certificate verified) when this returns.
    pub(crate) fn open_with(
        host: &str,
        port: u16,
        tls: Option<&TlsSettings>,
    ) -> anyhow::Result<Connection> {
        let stream =
            connect(host, port).with_context(|| super::messages::could_not_connect(host, port))?;
        let _ = stream.set_nodelay(true);
        let stream = match tls {
            None => Socket::Tcp(stream),
            Some(tls) => start_tls_relay(stream, tls)
                .with_context(|| format!("falló TLS con {host}:{port}"))?,
        };
        let read_half = stream.try_clone().context("duplicando el socket")?;
        Ok(Connection {
            reader: LineReader::new(BufReader::new(read_half)),
            writer: LineWriter { stream },
        })
    }
}

/// Completes the TLS handshake on `tcp`, then relays between TLS and a local socket pair on
/// a background thread; returns the client's end of the pair.
#[cfg(unix)]
fn start_tls_relay(tcp: TcpStream, tls: &TlsSettings) -> anyhow::Result<Socket> {
    let (ours, theirs) = UnixStream::pair().context("creando el par de sockets del relé TLS")?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let config = tls.config.clone();
    let name = tls.server_name.clone();
    std::thread::Builder::new()
        .name("tls-relay".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => runtime.block_on(tls_relay(tcp, theirs, config, name, ready_tx)),
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                }
            }
        })
        .context("iniciando el hilo del relé TLS")?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Socket::Relay(ours)),
        Ok(Err(err)) => Err(err).context(
            "negociación TLS (¿contiene --tls-ca el certificado del servidor o el de su CA, y \
             coincide --tls-server-name, por omisión --host, con un nombre del certificado?)",
        ),
        Err(_) => anyhow::bail!("el hilo del relé TLS terminó antes de la negociación"),
    }
}

#[cfg(not(unix))]
fn start_tls_relay(_tcp: TcpStream, _tls: &TlsSettings) -> anyhow::Result<Socket> {
    anyhow::bail!("el cliente TLS necesita un sistema Unix")
}

#[cfg(unix)]
async fn tls_relay(
    tcp: TcpStream,
    local: UnixStream,
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    ready: std::sync::mpsc::Sender<io::Result<()>>,
) {
    let setup = async {
        tcp.set_nonblocking(true)?;
        local.set_nonblocking(true)?;
        let tcp = tokio::net::TcpStream::from_std(tcp)?;
        let local = tokio::net::UnixStream::from_std(local)?;
        let connector = tokio_rustls::TlsConnector::from(config);
        let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, connector.connect(name, tcp))
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    "se agotó el tiempo de la negociación TLS",
                )
            })??;
        Ok::<_, io::Error>((tls, local))
    };
    let (mut tls, mut local) = match setup.await {
        Ok(pair) => {
            let _ = ready.send(Ok(()));
            pair
        }
        Err(err) => {
            let _ = ready.send(Err(err));
            return;
        }
    };
    // Ends when both directions are done; an error (the server vanished without
    // close_notify) drops both ends, which the client reads as the end of the stream.
    if let Err(err) = tokio::io::copy_bidirectional(&mut local, &mut tls).await {
        tracing::debug!(cause = %err, "TLS relay ended");
    }
}

fn connect(host: &str, port: u16) -> io::Result<TcpStream> {
    let mut last_err = io::Error::new(
        io::ErrorKind::NotFound,
        "el nombre de host no tiene dirección",
    );
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(err) => last_err = err,
        }
    }
    Err(last_err)
}

/// The writing half: one line at a time, and shutdown.
pub(crate) struct LineWriter {
    stream: Socket,
}

impl LineWriter {
    /// Sends `line` followed by `\n`.
    pub(crate) fn send_line(&mut self, line: &str) -> io::Result<()> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.stream.write_all(&buf)
    }

    /// Closes the sending direction (the server reads end of input) but keeps receiving.
    pub(crate) fn half_close(&self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }

    /// Bounds how long a read on this socket may block (`None`: forever). Used during the
    /// executives' login so a silent server does not hang the client.
    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)
    }
}

/// Reads `\n`-terminated lines of at most [`MAX_SERVER_LINE`] bytes (a trailing `\r` is
/// dropped, invalid UTF-8 is replaced).
pub(crate) struct LineReader<R> {
    inner: R,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a buffered reader with the default limit.
    pub(crate) fn new(inner: R) -> Self {
        LineReader {
            inner,
            max: MAX_SERVER_LINE,
        }
    }

    /// The next line, or `None` at the end of the stream.
    pub(crate) fn read_line(&mut self) -> io::Result<Option<String>> {
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
pub(crate) fn is_disconnect(err: &io::Error) -> bool {
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
        let err = Connection::open_with("127.0.0.1", port, None)
            .err()
            .unwrap();
        let text = format!("{err:#}");
        assert!(
            text.contains(&super::super::messages::could_not_connect(
                "127.0.0.1",
                port
            )),
            "{text}"
        );
    }
}
