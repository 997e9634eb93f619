//! Neutralising text that one party sends before another party sees it.

use std::borrow::Cow;

/// Replaces control characters (C0 except tab, DEL, C1), which include the ESC of ANSI
/// escape sequences, with U+FFFD, so that nobody can clear, recolour or forge lines on
/// someone else's terminal or in the server console.
pub fn sanitize(line: &str) -> Cow<'_, str> {
    if !line.chars().any(is_unsafe) {
        return Cow::Borrowed(line);
    }
    Cow::Owned(
        line.chars()
            .map(|c| if is_unsafe(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

fn is_unsafe(c: char) -> bool {
    c != '\t' && c.is_control()
}
