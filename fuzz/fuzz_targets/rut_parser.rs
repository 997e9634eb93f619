//! `Rut::from_str` on arbitrary text: never panics; an accepted RUT displays in a form that
//! parses back to itself, and its check digit is the módulo-11 digit of its number.

#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use reclamos::rut::{check_digit, Rut};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(rut) = Rut::from_str(&text) else {
        return;
    };
    assert!((1_000_000..100_000_000).contains(&rut.number()), "{rut:?}");
    assert_eq!(rut.check_digit(), check_digit(rut.number()));
    let shown = rut.to_string();
    assert!(
        shown.ends_with(&format!("-{}", rut.check_digit())),
        "{shown}"
    );
    assert_eq!(
        Rut::from_str(&shown),
        Ok(rut),
        "display {shown} of {text:?}"
    );
    assert_eq!(
        Rut::from_str(&rut.compact()),
        Ok(rut),
        "compact of {text:?}"
    );
    // The digit the customer wrote is the one we computed (case aside; a full-width digit,
    // which the parser reads as its ASCII twin, counts as that digit).
    let written = text
        .trim()
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => {
                char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')).unwrap_or(c)
            }
            c => c,
        })
        .rev()
        .find(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase());
    assert_eq!(written, Some(rut.check_digit()), "{text:?}");
});
