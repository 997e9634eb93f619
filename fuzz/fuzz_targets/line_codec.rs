//! `LineCodec` on arbitrary byte chunks with a small limit: never panics, never yields a
//! line longer than the limit (in raw bytes) or containing `\n`, reports an over-long line
//! as `Frame::TooLong` and goes on, and stops at the first error as the server does.
//!
//! Input: the first byte picks the limit (1..=64); the rest is cut into chunks at each
//! `0xFE` byte (so the fuzzer controls how the stream arrives) and fed one chunk at a time.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use reclamos::server::codec::{Frame, LineCodec};
use tokio_util::codec::Decoder;

/// Separates chunks in the fuzz input; not a byte of the stream itself.
const CHUNK: u8 = 0xFE;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let max = usize::from(first % 64) + 1;
    let mut codec = LineCodec::new(max);
    let mut buf = BytesMut::new();
    let check = |frame: Frame| {
        let Frame::Line(line) = frame else { return };
        // Each raw byte yields at most one char (invalid UTF-8 becomes one U+FFFD per
        // invalid sequence), so the char count bounds the bytes read off the wire.
        assert!(
            line.chars().count() <= max,
            "{line:?} longer than {max} bytes"
        );
        assert!(!line.contains('\n'), "{line:?}");
    };
    for chunk in rest.split(|&b| b == CHUNK) {
        buf.extend_from_slice(chunk);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => check(frame),
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    while let Ok(Some(frame)) = codec.decode_eof(&mut buf) {
        check(frame);
    }
});
