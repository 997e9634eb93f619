//! Names people choose (customers registering, executives logging in): a comparison key
//! that ignores what a reader cannot see, the names reserved for the server's own voices,
//! and "is this the same name" for uniqueness.
//!
//! [`fold`] removes invisible and direction characters, accents and case, maps confusable
//! look-alikes to one prototype with the Unicode confusables table (UTS #39 skeleton, from
//! `unicode-security`: Cyrillic 'а' and Latin 'a', '0' and 'O', 'rn' and 'm'), and keeps
//! only letters and digits. Because the key must be one string, the characters that are
//! look-alikes of each other through case (`I` is `l`, `I` is `i`) all fold to `l`: two
//! names that differ only there count as the same, which costs a newcomer one other
//! choice of name and stops an impersonation.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_security::confusable_detection::skeleton;

use crate::text::{is_bidi_control, is_invisible};

/// The server's voices and their obvious variants: names no customer or executive may take
/// (compared with [`fold`], so case, accents and look-alikes do not get around them).
pub const RESERVED: &[&str] = &["Sistema", "Asistente", "SERVER", "Servidor"];

/// The comparison key of `name`: see the module documentation. Not meant to be shown.
pub fn fold(name: &str) -> String {
    let visible: String = name
        .chars()
        .filter(|&c| !(c.is_control() || is_invisible(c) || is_bidi_control(c)))
        .collect();
    // Skeleton before lowercasing catches `I` for `l`; after, it catches the look-alikes of
    // lowercase letters (`і` for `i`). Accents go with the combining marks of the NFD form.
    let first: String = skeleton(&strip_marks(&visible)).collect();
    let lower = first.to_lowercase();
    let second: String = skeleton(&lower).collect();
    strip_marks(&second.to_lowercase())
        .chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| if c == 'i' { 'l' } else { c })
        .collect()
}

fn strip_marks(text: &str) -> String {
    text.nfd().filter(|&c| !is_combining_mark(c)).collect()
}

/// Whether `a` and `b` would look the same to a reader (or differ only in case, accents,
/// spacing or punctuation): executives' names must be unique in this sense.
pub fn same_name(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// Whether `name` is one of [`RESERVED`], starts with one as a word ("Sistema Central",
/// "\[SERVER\] x"), or has no letter or digit at all (it would show as nothing, or as
/// punctuation that could pass for the server's markers).
pub fn is_reserved(name: &str) -> bool {
    let whole = fold(name);
    if whole.is_empty() {
        return true;
    }
    let first_word = name
        .split(|c: char| !c.is_alphanumeric() && !is_invisible(c))
        .map(fold)
        .find(|word| !word.is_empty())
        .unwrap_or_default();
    RESERVED
        .iter()
        .map(|reserved| fold(reserved))
        .any(|reserved| reserved == whole || reserved == first_word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names_and_their_variants() {
        let reserved = [
            "Sistema",
            "sistema",
            "SISTEMA",
            "Sístema",
            "S1stema",
            "Sis\u{200B}tema",
            "Sis\u{200D}te\u{FEFF}ma",
            "\u{202E}Sistema",
            "Sіstema", // Cyrillic і
            "Sistеma", // Cyrillic е
            "Asistente",
            "Аsistente", // Cyrillic А
            "ASISTENTE",
            "Asistente Virtual",
            "SERVER",
            "[SERVER]",
            "server",
            "SERVЕR", // Cyrillic Е
            "Servidor",
            "S.i.s.t.e.m.a",
            " Sistema ",
            "Sistema: hola",
            "---",
            "",
            "\u{200B}",
        ];
        for name in reserved {
            assert!(is_reserved(name), "{name:?} should be reserved");
        }
        // "Ѕистема" is Cyrillic with letters (и, т, м) that do not pass for Latin ones.
        for name in [
            "Ѕистема",
            "JuanPerez",
            "Juan Sistemas",
            "Sistemas",
            "Asís",
            "Cristina",
            "Servando",
            "María José",
            "Ana",
        ] {
            assert!(!is_reserved(name), "{name:?} should be allowed");
        }
    }

    #[test]
    fn same_name_ignores_case_accents_spacing_and_look_alikes() {
        let same = [
            ("JuanPerez", "juanperez"),
            ("JuanPerez", "JuanPérez"),
            ("JuanPerez", "Juan Perez"),
            ("JuanPerez", "Juan.Perez"),
            ("JuanPerez", "JuanPеrez"), // Cyrillic е
            ("Ana", "Аnа"),             // Cyrillic А and а
            ("Ivan", "lvan"),
            ("Ivan", "ivan"),
            ("Maria", "Rnaria"),
            ("Muñoz", "Munoz"),
            ("Olga", "0lga"),
            ("Ana", "A\u{200B}na"),
            ("Ana", "\u{202E}Ana"),
        ];
        for (a, b) in same {
            assert!(same_name(a, b), "{a:?} and {b:?} should be the same name");
        }
        let different = [
            ("JuanPerez", "JuanPerex"),
            ("Ana", "Ema"),
            ("Maria", "Mario"),
            ("JuanPerez", "JuanPerez2"),
        ];
        for (a, b) in different {
            assert!(!same_name(a, b), "{a:?} and {b:?} should differ");
        }
    }

    #[test]
    fn fold_is_stable() {
        for name in ["JuanPerez", "Аnа", "Sístema", "Rnaria", "0lga", "ÑANDÚ"] {
            assert_eq!(fold(&fold(name)), fold(name), "{name:?}");
        }
    }
}
