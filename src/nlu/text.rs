//! Text normalisation shared by the classifier and the entity helpers.
//!
//! Customers type fast and on phones: no accents, repeated letters ("holaaaa"),
//! phonetic spellings ("kiero ablar con un ejecutibo"). Everything downstream works on
//! the output of [`normalize`]: lowercase ASCII-ish words separated by single spaces, with
//! clause punctuation kept as a `|` token so negation can be scoped to a clause.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// The token [`normalize`] emits for clause punctuation (`,` `;` `.` `!` `?` `:`).
pub const CLAUSE_BREAK: &str = "|";

/// Lowercases, strips accents and punctuation, collapses runs of three or more equal
/// letters ("holaaaa" -> "hola") and keeps clause punctuation as [`CLAUSE_BREAK`].
///
/// "¿Cómo va mi SOLICITUD?, graciaaas" -> "como va mi solicitud | gracias |".
pub fn normalize(text: &str) -> String {
    let mut out = Normalized {
        out: String::with_capacity(text.len() + 8),
        last: None,
        run: 0,
    };
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            // The canonical decomposition of one character at a time: the marks it
            // yields are dropped, so their canonical order (which `nfd` would sort) does
            // not matter, and ASCII, most of what customers type, needs no look-up.
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.push(d);
                }
            });
        }
    }
    out.finish()
}

/// [`normalize`]'s output being built: the text so far and the run of equal letters at
/// its end.
struct Normalized {
    out: String,
    last: Option<char>,
    run: usize,
}

impl Normalized {
    /// Appends one character of the decomposed message.
    fn push(&mut self, c: char) {
        let out = &mut self.out;
        let mapped = match c {
            'a'..='z' | '0'..='9' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            // "124.578": a thousands separator, not the end of a sentence.
            '.' if out.ends_with(|l: char| l.is_ascii_digit()) => return,
            ',' | ';' | '.' | '!' | '?' | ':' | '¿' | '¡' | '\n' => '|',
            _ if c.is_alphabetic() => {
                // Non-ASCII letters that survive NFD (e.g. 'ß', 'ø'): keep them lowercased.
                let mut lower = c.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) => l,
                    _ => ' ',
                }
            }
            _ => ' ',
        };
        if mapped == ' ' {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            self.last = None;
            self.run = 0;
            return;
        }
        if mapped == '|' {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            if !out.is_empty() && !out.ends_with("| ") {
                out.push('|');
                out.push(' ');
            }
            self.last = None;
            self.run = 0;
            return;
        }
        // Digits are kept as typed: "4.000" is no "40".
        if Some(mapped) == self.last && !mapped.is_ascii_digit() {
            self.run += 1;
            // Keep doubles ("ll", "rr", "cc"); drop the third and later repeats, and make
            // a run of three or more a single letter.
            if self.run == 2 {
                out.pop();
            }
            if self.run >= 2 {
                return;
            }
        } else {
            self.last = Some(mapped);
            self.run = 0;
        }
        out.push(mapped);
    }

    /// The text without trailing spaces or clause breaks.
    fn finish(mut self) -> String {
        let out = &mut self.out;
        while out.ends_with(' ') {
            out.pop();
        }
        // A message ending in "?" or "!" gets a trailing break; it carries no information.
        while out.ends_with('|') {
            out.pop();
            while out.ends_with(' ') {
                out.pop();
            }
        }
        self.out
    }
}

/// Splits normalised text into tokens (clause breaks included).
pub fn tokens(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.split(' ').filter(|t| !t.is_empty())
}

/// The words of normalised text: its tokens without clause breaks.
pub fn words(normalized: &str) -> impl Iterator<Item = &str> {
    tokens(normalized).filter(|t| *t != CLAUSE_BREAK)
}

/// A phonetic key for Chilean Spanish spellings, used to match typos: "kiero" and
/// "quiero" share one, as do "ablar"/"hablar", "ejecutibo"/"ejecutivo",
/// "servisios"/"servicios", "yamar"/"llamar".
pub fn phonetic_key(word: &str) -> String {
    let bytes = word.as_bytes();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        let emitted: Option<char> = match c {
            b'q' if next == Some(b'u') => {
                i += 1;
                Some('k')
            }
            b'c' if next == Some(b'h') => {
                i += 1;
                Some('x')
            }
            b'c' if matches!(next, Some(b'e') | Some(b'i')) => Some('s'),
            b'c' => Some('k'),
            b'z' => Some('s'),
            b'v' => Some('b'),
            b'w' => Some('u'),
            b'h' => None,
            b'l' if next == Some(b'l') => {
                i += 1;
                Some('y')
            }
            b'y' if next.is_none() => Some('i'),
            other => Some(char::from(other)),
        };
        if let Some(e) = emitted {
            if !out.ends_with(e) {
                out.push(e);
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_table() {
        let cases = [
            ("¿Cómo va mi SOLICITUD?", "como va mi solicitud"),
            ("holaaaa", "hola"),
            ("Ejecutivoooo!!", "ejecutivo"),
            ("llamar al carro", "llamar al carro"),
            (
                "no, quiero ver mis reclamos",
                "no | quiero ver mis reclamos",
            ),
            ("se me cayó el wi-fi...", "se me cayo el wi fi"),
            ("  muchos    espacios\t", "muchos espacios"),
            ("n° 124.578", "n 124578"),
            ("$4.000 de más", "4000 de mas"),
            ("1000000", "1000000"),
            ("Ñuñoa", "nunoa"),
            ("", ""),
            ("?!", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn phonetic_keys_merge_common_misspellings() {
        let pairs = [
            ("kiero", "quiero"),
            ("ablar", "hablar"),
            ("ejecutibo", "ejecutivo"),
            ("servisios", "servicios"),
            ("reinisiar", "reiniciar"),
            ("yamar", "llamar"),
            ("wify", "wifi"),
        ];
        for (typo, word) in pairs {
            assert_eq!(phonetic_key(typo), phonetic_key(word), "{typo} vs {word}");
        }
        assert_ne!(phonetic_key("salir"), phonetic_key("reiniciar"));
    }
}
