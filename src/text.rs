//! Making text from the network safe to show on a terminal.
//!
//! A line written by one user ends up on another user's terminal (customer -> executive and
//! back) and in the server console. Terminals interpret control characters and escape
//! sequences: a peer could clear the screen, move the cursor to overwrite earlier lines,
//! set the window title or, on some terminals, make the emulator answer with input of its
//! own. [`sanitize`] removes that power while keeping the visible text.

use std::borrow::Cow;

/// What replaces a control character that is not part of a recognised escape sequence.
pub(crate) const REPLACEMENT: char = '\u{FFFD}';

/// ESC (C0), the start of every 7-bit escape sequence.
const ESC: char = '\u{1b}';
/// BEL, which also terminates OSC strings in xterm.
const BEL: char = '\u{7}';

/// Returns `line` with everything a terminal would interpret removed or neutralised:
///
/// - well-formed escape sequences (CSI such as colours and cursor moves, OSC such as window
///   titles and hyperlinks, DCS/SOS/PM/APC strings, two-character `ESC x` sequences, and
///   their 8-bit C1 forms) are removed entirely, so `\x1b[31mrojo\x1b[0m` shows `rojo`;
/// - every other C0 control (including CR, LF and a lone or unterminated ESC), DEL and C1
///   control becomes U+FFFD, as do every Unicode bidirectional formatting character
///   (embeddings, overrides, isolates and the marks LRM, RLM and ALM), which can make a
///   line read differently from what was sent, and the line and paragraph separators
///   U+2028 and U+2029, which some terminals and clients break lines at;
/// - invisible characters (zero-width space, joiners, word joiner, invisible operators,
///   the byte-order mark, the Mongolian vowel separator) are removed: they let two
///   different texts look the same;
/// - tab and all printable text are kept.
///
/// Borrows when there is nothing to change (the common case).
pub(crate) fn sanitize(line: &str) -> Cow<'_, str> {
    if !line.chars().any(needs_care) {
        return Cow::Borrowed(line);
    }
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !needs_care(c) {
            out.push(c);
            i += 1;
            continue;
        }
        if is_invisible(c) {
            i += 1;
            continue;
        }
        match escape_sequence_len(&chars[i..]) {
            Some(len) => i += len,
            None => {
                out.push(REPLACEMENT);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// True for characters that [`sanitize`] must look at: controls other than tab, the
/// bidirectional formatting characters, the line and paragraph separators and the
/// invisible characters.
fn needs_care(c: char) -> bool {
    (c.is_control() && c != '\t')
        || is_bidi_control(c)
        || matches!(c, '\u{2028}' | '\u{2029}')
        || is_invisible(c)
}

/// The bidirectional formatting characters: U+202A..U+202E (embeddings and overrides),
/// U+2066..U+2069 (isolates), and the marks U+200E (LRM), U+200F (RLM), U+061C (ALM).
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Characters that show nothing: U+200B zero-width space, U+200C/U+200D zero-width
/// (non-)joiner, U+2060 word joiner, U+2061..U+2064 invisible operators, U+FEFF byte-order
/// mark (zero-width no-break space) and U+180E Mongolian vowel separator.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}'
    )
}

/// If `chars` starts with a complete escape sequence, its length in chars.
///
/// Follows ECMA-48: CSI is `ESC [` (or C1 `0x9B`), parameter bytes 0x30-0x3F, intermediate
/// bytes 0x20-0x2F and one final byte 0x40-0x7E; control strings (OSC `ESC ]`, DCS `ESC P`,
/// SOS `ESC X`, PM `ESC ^`, APC `ESC _`, or their C1 forms) run to ST (`ESC \` or `0x9C`), and
/// OSC also to BEL; any other escape is `ESC`, intermediates 0x20-0x2F, then a final byte
/// 0x30-0x7E. Anything incomplete is not a sequence (the caller replaces its first char).
fn escape_sequence_len(chars: &[char]) -> Option<usize> {
    let (kind, body_start) = match chars {
        [ESC, '[', ..] | ['\u{9b}', ..] => (Kind::Csi, if chars[0] == ESC { 2 } else { 1 }),
        [ESC, ']', ..] => (Kind::String { osc: true }, 2),
        [ESC, 'P' | 'X' | '^' | '_', ..] => (Kind::String { osc: false }, 2),
        ['\u{9d}', ..] => (Kind::String { osc: true }, 1),
        ['\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}', ..] => (Kind::String { osc: false }, 1),
        [ESC, ..] => (Kind::Plain, 1),
        _ => return None,
    };
    let rest = &chars[body_start..];
    match kind {
        Kind::Csi => {
            let mut j = 0;
            while j < rest.len() && ('\u{30}'..='\u{3f}').contains(&rest[j]) {
                j += 1;
            }
            while j < rest.len() && ('\u{20}'..='\u{2f}').contains(&rest[j]) {
                j += 1;
            }
            let fin = *rest.get(j)?;
            ('\u{40}'..='\u{7e}')
                .contains(&fin)
                .then_some(body_start + j + 1)
        }
        Kind::String { osc } => {
            for (j, &c) in rest.iter().enumerate() {
                match c {
                    '\u{9c}' => return Some(body_start + j + 1),
                    BEL if osc => return Some(body_start + j + 1),
                    ESC if rest.get(j + 1) == Some(&'\\') => return Some(body_start + j + 2),
                    // Any other control inside the string aborts it on real terminals;
                    // treat the whole thing as not a sequence so nothing is hidden.
                    c if c.is_control() => return None,
                    _ => {}
                }
            }
            None
        }
        Kind::Plain => {
            let mut j = 0;
            while j < rest.len() && ('\u{20}'..='\u{2f}').contains(&rest[j]) {
                j += 1;
            }
            let fin = *rest.get(j)?;
            ('\u{30}'..='\u{7e}')
                .contains(&fin)
                .then_some(body_start + j + 1)
        }
    }
}

/// The shapes of escape sequence [`escape_sequence_len`] knows.
enum Kind {
    /// Control Sequence Introducer: colours, cursor movement, erasing.
    Csi,
    /// A control string terminated by ST (and, for OSC, BEL).
    String {
        /// Operating System Command, which BEL may also terminate.
        osc: bool,
    },
    /// `ESC`, intermediates, final byte (e.g. `ESC c`, full reset).
    Plain,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_table() {
        let table: &[(&str, &str, &str)] = &[
            (
                "plain text",
                "hola, ¿cómo está? ñandú",
                "hola, ¿cómo está? ñandú",
            ),
            ("tab kept", "a\tb", "a\tb"),
            ("empty", "", ""),
            ("colour removed", "\x1b[31mrojo\x1b[0m", "rojo"),
            ("csi with params", "a\x1b[1;32;40mb", "ab"),
            ("private csi", "\x1b[?25lx", "x"),
            ("clear screen", "\x1b[2J\x1b[Hhola", "hola"),
            ("8-bit csi", "\u{9b}31mx", "x"),
            ("osc title bel", "\x1b]0;pwned\x07hola", "hola"),
            ("osc title st", "\x1b]0;pwned\x1b\\hola", "hola"),
            (
                "osc hyperlink",
                "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
                "link",
            ),
            ("8-bit osc", "\u{9d}0;t\u{9c}x", "x"),
            ("dcs", "\x1bPq#0\x1b\\x", "x"),
            ("two-char escape", "\x1bcreset", "reset"),
            ("charset escape", "\x1b(Bx", "x"),
            ("lone esc at end", "hola\x1b", "hola\u{FFFD}"),
            ("esc then space only", "a\x1b ", "a\u{FFFD} "),
            ("unterminated csi", "a\x1b[12", "a\u{FFFD}[12"),
            ("unterminated osc", "a\x1b]0;title", "a\u{FFFD}]0;title"),
            ("osc aborted by cr", "\x1b]0;t\rx", "\u{FFFD}]0;t\u{FFFD}x"),
            ("carriage return", "abc\rdef", "abc\u{FFFD}def"),
            ("newline", "a\nb", "a\u{FFFD}b"),
            ("nul", "a\0b", "a\u{FFFD}b"),
            ("backspace", "abc\x08\x08", "abc\u{FFFD}\u{FFFD}"),
            ("bell", "ding\x07", "ding\u{FFFD}"),
            ("del", "a\x7fb", "a\u{FFFD}b"),
            ("c1 nel", "a\u{85}b", "a\u{FFFD}b"),
            ("bidi override", "abc\u{202E}fed", "abc\u{FFFD}fed"),
            ("bidi isolate", "\u{2067}x\u{2069}", "\u{FFFD}x\u{FFFD}"),
            ("bidi embedding", "a\u{202A}b\u{202C}", "a\u{FFFD}b\u{FFFD}"),
            ("left-to-right mark", "a\u{200E}b", "a\u{FFFD}b"),
            ("right-to-left mark", "a\u{200F}b", "a\u{FFFD}b"),
            ("arabic letter mark", "a\u{061C}b", "a\u{FFFD}b"),
            ("first strong isolate", "\u{2068}x", "\u{FFFD}x"),
            (
                "line separator",
                "Juan\u{2028}Sistema: hola",
                "Juan\u{FFFD}Sistema: hola",
            ),
            ("paragraph separator", "a\u{2029}b", "a\u{FFFD}b"),
            ("zero-width space", "Sis\u{200B}tema", "Sistema"),
            ("zero-width non-joiner", "a\u{200C}b", "ab"),
            ("zero-width joiner", "a\u{200D}b", "ab"),
            ("word joiner", "a\u{2060}b", "ab"),
            ("invisible times", "a\u{2062}b", "ab"),
            ("byte-order mark", "\u{FEFF}hola", "hola"),
            ("mongolian vowel separator", "a\u{180E}b", "ab"),
            ("only invisible", "\u{200B}\u{FEFF}", ""),
            (
                "invisible inside an escape",
                "\x1b[31\u{200B}mx",
                "\u{FFFD}[31mx",
            ),
            ("accents and ñ kept", "José Muñoz", "José Muñoz"),
            ("emoji kept", "gracias 👍", "gracias 👍"),
        ];
        for (name, input, expected) in table {
            assert_eq!(sanitize(input), *expected, "{name}");
        }
    }

    #[test]
    fn borrows_when_clean() {
        assert!(matches!(sanitize("Asistente: Hola!"), Cow::Borrowed(_)));
        assert!(matches!(sanitize("a\x1b[0m"), Cow::Owned(_)));
    }

    #[test]
    fn output_never_contains_controls() {
        // Every single code point in the C0, C1 and a few around them, alone and followed by
        // sequence-looking text: nothing the terminal interprets may survive.
        let tails = ["", "[", "[31m", "]0;x", "]0;x\x07", "P", "\\"];
        for c in (0u32..0x200).filter_map(char::from_u32) {
            for tail in tails {
                let input = format!("x{c}{tail}y");
                let out = sanitize(&input);
                assert!(
                    !out.chars().any(|c| c.is_control() && c != '\t'),
                    "{input:?} -> {out:?}"
                );
            }
        }
    }

    #[test]
    fn output_never_contains_invisible_or_direction_characters() {
        // The General Punctuation block and the other spots where these characters live.
        let ranges = [
            0x0600u32..0x0700,
            0x1800..0x1900,
            0x2000..0x2070,
            0xFE00..0xFF00,
        ];
        for c in ranges.into_iter().flatten().filter_map(char::from_u32) {
            let input = format!("x{c}y");
            let out = sanitize(&input);
            assert!(
                !out.chars().any(|c| is_invisible(c)
                    || is_bidi_control(c)
                    || matches!(c, '\u{2028}' | '\u{2029}')),
                "{input:?} -> {out:?}"
            );
        }
    }
}
