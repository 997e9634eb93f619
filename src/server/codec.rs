//! Line framing: UTF-8 text lines with a maximum length.
//!
//! Built on tokio-util's `AnyDelimiterCodec`, which refuses a line as soon as it grows past
//! the limit without buffering the rest of it, then discards the rest up to the next
//! newline. A line over the limit is reported once ([`Frame::TooLong`]) and the connection
//! goes on with the next line: a pasted text too long for one line costs that line, not
//! the session (an executive's paste used to drop every customer they served). Only a
//! "line" that keeps going past [`DISCARD_LIMIT`] lines' worth of bytes is an error. On top
//! of it each line is cleaned up so that a real terminal client works: a trailing `\r` is
//! dropped, telnet negotiation sequences are removed, and invalid UTF-8 is replaced by
//! U+FFFD instead of killing the connection.

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};
use thiserror::Error;
use tokio_util::codec::{AnyDelimiterCodec, AnyDelimiterCodecError, Decoder, Encoder};

/// Why reading failed (the connection ends).
#[derive(Debug, Error)]
pub enum LineError {
    /// A line went on past [`DISCARD_LIMIT`] times the limit without a newline.
    #[error("line longer than {0} bytes that does not end")]
    TooLong(usize),
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// What the codec reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A line, without its terminator.
    Line(String),
    /// A line longer than the limit: it is discarded up to its newline.
    TooLong,
}

/// How many times the line limit a too-long line may run on, discarded, before the
/// connection is closed: a human's paste ends long before; an endless stream does not.
pub const DISCARD_LIMIT: usize = 64;

/// Reads and writes `\n`-terminated lines of at most `max_length` bytes.
#[derive(Debug)]
pub struct LineCodec {
    inner: AnyDelimiterCodec,
    max_length: usize,
    /// Bytes of a too-long line discarded so far (`None`: not discarding).
    discarded: Option<usize>,
    /// How many a too-long line may discard before it is an error.
    discard_limit: usize,
}

impl LineCodec {
    /// A codec reporting lines longer than `max_length` bytes (terminator excluded).
    pub fn new(max_length: usize) -> LineCodec {
        LineCodec {
            inner: AnyDelimiterCodec::new_with_max_length(
                b"\n".to_vec(),
                b"\n".to_vec(),
                max_length,
            ),
            max_length,
            discarded: None,
            discard_limit: max_length.saturating_mul(DISCARD_LIMIT),
        }
    }

    fn finish(&self, chunk: Bytes) -> Frame {
        let bytes = strip_telnet(&chunk);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(&bytes);
        Frame::Line(String::from_utf8_lossy(bytes).into_owned())
    }

    /// One step of `inner` (`decode` or `decode_eof`), counting what a too-long line's
    /// discarding consumes.
    fn step(
        &mut self,
        src: &mut BytesMut,
        decode: impl FnOnce(
            &mut AnyDelimiterCodec,
            &mut BytesMut,
        ) -> Result<Option<Bytes>, AnyDelimiterCodecError>,
    ) -> Result<Option<Frame>, LineError> {
        // While discarding, `inner` drops everything up to the next newline: count it here,
        // whatever else arrived with it (the same bytes count the same however they come).
        if let Some(discarded) = self.discarded.as_mut() {
            match src.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    *discarded += end;
                    self.discarded = None;
                }
                None => {
                    *discarded += src.len();
                    if *discarded > self.discard_limit {
                        return Err(LineError::TooLong(self.max_length));
                    }
                }
            }
        }
        match decode(&mut self.inner, src) {
            Ok(Some(chunk)) => Ok(Some(self.finish(chunk))),
            Ok(None) => Ok(None),
            Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => {
                self.discarded = Some(0);
                Ok(Some(Frame::TooLong))
            }
            Err(AnyDelimiterCodecError::Io(err)) => Err(LineError::Io(err)),
        }
    }
}

impl Decoder for LineCodec {
    type Item = Frame;
    type Error = LineError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, LineError> {
        self.step(src, |inner, src| inner.decode(src))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, LineError> {
        self.step(src, |inner, src| inner.decode_eof(src))
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

    fn decode_all(codec: &mut LineCodec, input: &[u8]) -> Vec<Result<Frame, String>> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => out.push(Ok(frame)),
                Ok(None) => break,
                Err(err) => {
                    out.push(Err(err.to_string()));
                    break;
                }
            }
        }
        out
    }

    fn line(text: &str) -> Result<Frame, String> {
        Ok(Frame::Line(text.into()))
    }

    #[test]
    fn lines_crlf_and_invalid_utf8() {
        let mut codec = LineCodec::new(64);
        let got = decode_all(&mut codec, b"hola\r\n\xff\xfe\x01ab\nca\xf1a\nsin fin");
        assert_eq!(got, vec![line("hola"), line("ab"), line("ca\u{FFFD}a")]);
    }

    #[test]
    fn too_long_line_is_reported_before_its_end_arrives_and_the_next_line_is_read() {
        let mut codec = LineCodec::new(8);
        let mut buf = BytesMut::from(&b"0123456789abcdef"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Frame::TooLong));
        // The rest of it arrives, then a line within the limit.
        buf.extend_from_slice(b"ghij\nhola\n");
        let mut frames = Vec::new();
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            frames.push(frame);
        }
        assert_eq!(frames, [Frame::Line("hola".into())]);
    }

    #[test]
    fn a_long_line_that_ends_at_the_limit_is_no_error_however_its_bytes_arrive() {
        let limit = DISCARD_LIMIT * 8;
        for split in [9, 100, limit - 1, limit] {
            let mut codec = LineCodec::new(8);
            let mut stream = vec![b'x'; limit];
            stream.extend_from_slice(b"\nhola\nmas");
            let (first, rest) = stream.split_at(split);
            let mut buf = BytesMut::from(first);
            let mut frames = Vec::new();
            while let Some(frame) = codec.decode(&mut buf).unwrap() {
                frames.push(frame);
            }
            buf.extend_from_slice(rest);
            while let Some(frame) = codec.decode(&mut buf).unwrap() {
                frames.push(frame);
            }
            assert_eq!(
                frames,
                [Frame::TooLong, Frame::Line("hola".into())],
                "{split}"
            );
        }
    }

    #[test]
    fn a_line_that_never_ends_is_an_error() {
        let mut codec = LineCodec::new(8);
        let mut buf = BytesMut::from(&b"0123456789"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Frame::TooLong));
        let mut fed = 0;
        let err = loop {
            buf.extend_from_slice(&[b'x'; 100]);
            fed += 100;
            match codec.decode(&mut buf) {
                Ok(None) => assert!(fed <= DISCARD_LIMIT * 8 + 100, "still reading"),
                Ok(Some(frame)) => panic!("{frame:?}"),
                Err(err) => break err,
            }
        };
        assert!(matches!(err, LineError::TooLong(8)), "{err}");
        assert!(fed > DISCARD_LIMIT * 8);
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
