//! Line framing: UTF-8 text lines with a maximum length.
//!
//! Built on tokio-util's `AnyDelimiterCodec`, which refuses a line as soon as it grows past
//! the limit without buffering the rest of it. On top of it each line is cleaned up so that
//! a real terminal client works: a trailing `\r` is dropped, telnet negotiation sequences
//! are removed, and invalid UTF-8 is replaced by U+FFFD instead of killing the connection.

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};
use thiserror::Error;
use tokio_util::codec::{AnyDelimiterCodec, AnyDelimiterCodecError, Decoder, Encoder};

/// Why reading a line failed.
#[derive(Debug, Error)]
pub enum LineError {
    /// The line is longer than the limit.
    #[error("line longer than {0} bytes")]
    TooLong(usize),
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads and writes `\n`-terminated lines of at most `max_length` bytes.
#[derive(Debug)]
pub struct LineCodec {
    inner: AnyDelimiterCodec,
    max_length: usize,
}

impl LineCodec {
    /// A codec refusing lines longer than `max_length` bytes (terminator excluded).
    pub fn new(max_length: usize) -> LineCodec {
        LineCodec {
            inner: AnyDelimiterCodec::new_with_max_length(
                b"\n".to_vec(),
                b"\n".to_vec(),
                max_length,
            ),
            max_length,
        }
    }

    fn finish(&self, chunk: Option<Bytes>) -> Option<String> {
        chunk.map(|bytes| {
            let bytes = strip_telnet(&bytes);
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(&bytes);
            String::from_utf8_lossy(bytes).into_owned()
        })
    }

    fn map_err(&self, err: AnyDelimiterCodecError) -> LineError {
        match err {
            AnyDelimiterCodecError::MaxChunkLengthExceeded => LineError::TooLong(self.max_length),
            AnyDelimiterCodecError::Io(err) => LineError::Io(err),
        }
    }
}

impl Decoder for LineCodec {
    type Item = String;
    type Error = LineError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<String>, LineError> {
        let chunk = self.inner.decode(src).map_err(|e| self.map_err(e))?;
        Ok(self.finish(chunk))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<String>, LineError> {
        let chunk = self.inner.decode_eof(src).map_err(|e| self.map_err(e))?;
        Ok(self.finish(chunk))
    }
}

impl<T: AsRef<str>> Encoder<T> for LineCodec {
    type Error = LineError;

    fn encode(&mut self, line: T, dst: &mut BytesMut) -> Result<(), LineError> {
        let line = line.as_ref();
        dst.reserve(line.len() + 1);
        dst.extend_from_slice(line.as_bytes());
        dst.extend_from_slice(b"\n");
        Ok(())
    }
}

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;

/// Removes telnet commands (`IAC ...`), which a telnet client sends when it connects.
pub(crate) fn strip_telnet(bytes: &[u8]) -> Cow<'_, [u8]> {
    if !bytes.contains(&IAC) {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != IAC {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            // Subnegotiation: skip up to and including IAC SE.
            Some(&SB) => {
                let end = bytes[i + 2..]
                    .windows(2)
                    .position(|w| w == [IAC, SE])
                    .map_or(bytes.len(), |p| i + 2 + p + 2);
                i = end;
            }
            // WILL, WONT, DO, DONT + option.
            Some(251..=254) => i += 3,
            // Any other two-byte command (including an escaped 255, which is not text).
            Some(_) => i += 2,
            None => i += 1,
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut LineCodec, input: &[u8]) -> Vec<Result<String, String>> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(line)) => out.push(Ok(line)),
                Ok(None) => break,
                Err(err) => {
                    out.push(Err(err.to_string()));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn lines_crlf_and_invalid_utf8() {
        let mut codec = LineCodec::new(64);
        let got = decode_all(&mut codec, b"hola\r\n\xff\xfe\x01ab\nca\xf1a\nsin fin");
        assert_eq!(
            got,
            vec![Ok("hola".into()), Ok("ab".into()), Ok("ca\u{FFFD}a".into())]
        );
    }

    #[test]
    fn too_long_line_is_refused_before_its_end_arrives() {
        let mut codec = LineCodec::new(8);
        let got = decode_all(&mut codec, b"0123456789abcdef");
        assert_eq!(got, vec![Err("line longer than 8 bytes".into())]);
    }

    #[test]
    fn telnet_negotiation_is_removed() {
        let input = [
            &[IAC, 253, 1, IAC, SB, 24, 1, IAC, SE][..],
            b"12345678-5",
            &[IAC, 241],
        ]
        .concat();
        assert_eq!(strip_telnet(&input).as_ref(), b"12345678-5");
        assert_eq!(strip_telnet(b"plain").as_ref(), b"plain");
    }
}
