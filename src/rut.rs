//! Chilean RUT (Rol Único Tributario): parsing in any common written form and validation of
//! the check digit (módulo 11).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::text;

/// A RUT whose check digit has been validated. Displays as `12.345.678-5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rut {
    number: u32,
}

/// Why a text is not a valid RUT. The messages are Spanish because customers read them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RutError {
    /// Nothing that looks like a RUT was written.
    #[error("no reconozco un RUT en su mensaje; escríbalo como 12.345.678-5")]
    Malformed,
    /// The number part is too short or too long.
    #[error("el RUT debe tener entre 7 y 8 dígitos antes del dígito verificador")]
    BadLength,
    /// A number no RUT has: zero, or under a million written with leading zeros
    /// ("00000000-0", "00123456-7").
    #[error("ese número no corresponde a un RUT; revise que lo haya escrito completo, como 12.345.678-5")]
    NoSuchNumber,
    /// A number written with thousands dots and no check digit ("12.345.678").
    #[error("falta el dígito verificador: escriba el RUT completo, con guion, como 12.345.678-5")]
    MissingCheckDigit,
    /// The check digit does not match the number.
    #[error("el dígito verificador no corresponde: para {number} debería ser {expected}")]
    WrongCheckDigit {
        /// The number as written, formatted with thousands separators.
        number: String,
        /// The check digit that would make it valid.
        expected: char,
    },
}

impl Rut {
    /// Builds a RUT from its number part (without check digit).
    pub fn from_number(number: u32) -> Option<Rut> {
        (1_000_000..100_000_000)
            .contains(&number)
            .then_some(Rut { number })
    }

    /// The number without its check digit.
    pub fn number(self) -> u32 {
        self.number
    }

    /// The check digit: `0`-`9` or `K`.
    pub fn check_digit(self) -> char {
        check_digit(self.number)
    }

    /// The canonical compact form used as a key: `12345678-5`.
    pub fn compact(self) -> String {
        format!("{}-{}", self.number, self.check_digit())
    }
}

/// Computes the módulo-11 check digit of a RUT number.
pub fn check_digit(mut number: u32) -> char {
    let mut sum = 0u32;
    let mut factor = 2;
    while number > 0 {
        sum += (number % 10) * factor;
        number /= 10;
        factor = if factor == 7 { 2 } else { factor + 1 };
    }
    match 11 - (sum % 11) {
        11 => '0',
        10 => 'K',
        d => char::from_digit(d, 10).unwrap_or('0'),
    }
}

fn with_thousands(number: u32) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// `text` as a RUT parser reads it: invisible characters that a paste or a phone keyboard
/// adds (those [`text::is_invisible`] names, and soft hyphens) dropped, non-breaking spaces
/// made plain, every kind of dash made `-`, full-width digits made ASCII, and the quotes or
/// brackets around it removed.
fn clean(text: &str) -> String {
    let mapped: String = text
        .chars()
        .filter(|&c| !text::is_invisible(c) && c != '\u{00AD}')
        .map(|c| match c {
            '\u{00A0}' | '\u{2007}' | '\u{202F}' => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}' => '-',
            '\u{FF10}'..='\u{FF19}' => {
                char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')).unwrap_or(c)
            }
            c => c,
        })
        .collect();
    mapped
        .trim()
        .trim_matches(|c: char| "\"'“”‘’«»()[]".contains(c))
        .to_string()
}

/// A RUT written in a sentence ("mi rut es 12.345.678-5"): the text as a whole when it is
/// one, or else the one run of digits, dots, dashes and check digit in it; with no such
/// run, or several, the whole text's error.
pub fn parse_in(text: &str) -> Result<Rut, RutError> {
    // Cleaned once: the whole text, its runs and their words are all read clean.
    let cleaned = clean(text);
    let whole = parse_cleaned(&cleaned);
    if whole != Err(RutError::Malformed) {
        return whole;
    }
    // Runs of words made only of digits, dots, dashes and a check digit ("12 345 678-5"
    // is one run; "kiero" or "el" ends one).
    let rut_like = |word: &str| {
        word.chars().any(|c| c.is_ascii_digit())
            && word
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'k' | 'K'))
    };
    let mut runs: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for word in cleaned.split_whitespace() {
        let word = word.trim_end_matches([',', ';', ':', '.', '!', '?']);
        if rut_like(word) {
            current.push(word);
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    // A run needs the digits of a RUT; a lone "3" or "2 veces" is not one.
    let digits = |words: &[&str]| {
        words
            .iter()
            .flat_map(|w| w.chars())
            .filter(char::is_ascii_digit)
            .count()
    };
    let runs: Vec<Vec<&str>> = runs.into_iter().filter(|r| digits(r) >= 7).collect();
    let [run] = runs.as_slice() else {
        return whole;
    };
    let joined = run.join(" ");
    match parse_cleaned(&joined) {
        // "el 2 12.345.678-5": one word of the run may be the RUT on its own.
        Err(err) if run.len() > 1 => {
            let alone: Vec<Rut> = run.iter().filter_map(|w| parse_cleaned(w).ok()).collect();
            match alone.as_slice() {
                [rut] => Ok(*rut),
                _ => Err(err),
            }
        }
        parsed => parsed,
    }
}

impl FromStr for Rut {
    type Err = RutError;

    /// Accepts `12.345.678-5`, `12345678-5`, `123456785`, `12 345 678 5`, with `k` or `K`,
    /// surrounded by white space. Anything else (letters, several dashes) is `Malformed`.
    fn from_str(text: &str) -> Result<Rut, RutError> {
        parse_cleaned(&clean(text))
    }
}

/// [`Rut::from_str`] on text already [`clean`]ed.
fn parse_cleaned(text: &str) -> Result<Rut, RutError> {
    let text = text.trim();
    let mut body = String::with_capacity(text.len());
    let mut dashes = 0;
    for c in text.chars() {
        match c {
            '0'..='9' | 'k' | 'K' => body.push(c.to_ascii_uppercase()),
            '.' | ' ' => {}
            '-' => dashes += 1,
            _ => return Err(RutError::Malformed),
        }
    }
    if dashes > 1 || body.len() < 2 {
        return Err(RutError::Malformed);
    }
    // "12.345.678-": the dash with nothing after it.
    if dashes == 1 && text.ends_with('-') {
        return Err(RutError::MissingCheckDigit);
    }
    // "12.345.678": dots that group the whole number in thousands, and nothing after.
    let grouped = text
        .rsplit_once('.')
        .is_some_and(|(_, last)| last.len() == 3 && last.bytes().all(|b| b.is_ascii_digit()));
    if dashes == 0 && grouped && (7..=8).contains(&body.len()) {
        return Err(RutError::MissingCheckDigit);
    }
    let (number, dv) = body.split_at(body.len() - 1);
    if number.contains('K') {
        return Err(RutError::Malformed);
    }
    if !(7..=8).contains(&number.len()) {
        return Err(RutError::BadLength);
    }
    let number: u32 = number.parse().map_err(|_| RutError::Malformed)?;
    // The length is right, so the number is below a million only with leading zeros
    // ("00000000-0", "00123456-7").
    let rut = Rut::from_number(number).ok_or(RutError::NoSuchNumber)?;
    let dv = dv.chars().next().ok_or(RutError::Malformed)?;
    if dv != rut.check_digit() {
        return Err(RutError::WrongCheckDigit {
            number: with_thousands(number),
            expected: rut.check_digit(),
        });
    }
    Ok(rut)
}

impl fmt::Display for Rut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", with_thousands(self.number), self.check_digit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_forms() {
        for text in ["12.345.678-5", "12345678-5", "123456785", " 12 345 678-5 "] {
            let rut: Rut = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(rut.number(), 12_345_678, "{text}");
            assert_eq!(rut.to_string(), "12.345.678-5");
            assert_eq!(rut.compact(), "12345678-5");
        }
    }

    #[test]
    fn k_check_digit_in_either_case() {
        // 10.000.013: sum = 3*2+1*3+0*4+0*5+0*6+0*7+0*2+1*3 = 12 -> 11 - 1 = 10 -> K
        assert_eq!(check_digit(10_000_013), 'K');
        for text in ["10.000.013-k", "10000013K", "10000013-K"] {
            assert_eq!(
                text.parse::<Rut>().map(Rut::number),
                Ok(10_000_013),
                "{text}"
            );
        }
    }

    #[test]
    fn check_digit_table() {
        let table = [
            (12_345_678, '5'),
            (11_111_111, '1'),
            (7_654_321, '6'),
            (30_686_957, '4'),
        ];
        for (number, expected) in table {
            assert_eq!(check_digit(number), expected, "{number}");
        }
    }

    #[test]
    fn wrong_check_digit_suggests_the_right_one() {
        let err = "12.345.678-9".parse::<Rut>().unwrap_err();
        assert_eq!(
            err,
            RutError::WrongCheckDigit {
                number: "12.345.678".into(),
                expected: '5'
            }
        );
        assert!(err.to_string().contains("debería ser 5"));
    }

    #[test]
    fn a_number_without_its_check_digit_is_told_so() {
        for text in ["12.345.678", "9.876.543", " 12.345.678 "] {
            assert_eq!(
                text.parse::<Rut>(),
                Err(RutError::MissingCheckDigit),
                "{text}"
            );
        }
        // Without dots, the last digit is the check digit: "123456785" is a whole RUT.
        assert!("123456785".parse::<Rut>().is_ok());
    }

    #[test]
    fn pasted_and_phone_forms_are_cleaned() {
        for text in [
            "\u{200B}12.345.678-5",
            "\u{FEFF}12345678-5",
            "12\u{00A0}345\u{00A0}678-5",
            "12.345.678\u{2011}5",
            "12.345.678\u{2013}5",
            "\"12.345.678-5\"",
            "«12.345.678-5»",
            "１２３４５６７８-５",
        ] {
            assert_eq!(
                text.parse::<Rut>().map(Rut::number),
                Ok(12_345_678),
                "{text:?}"
            );
        }
        assert_eq!(
            "12.345.678-".parse::<Rut>(),
            Err(RutError::MissingCheckDigit)
        );
        assert_eq!("00000000-0".parse::<Rut>(), Err(RutError::NoSuchNumber));
        assert_eq!("00123456-7".parse::<Rut>(), Err(RutError::NoSuchNumber));
    }

    #[test]
    fn a_rut_in_a_sentence_is_found() {
        for text in [
            "mi rut es 12.345.678-5",
            "rut: 12345678-5 gracias",
            "hola, 12.345.678-5.",
            "soy el 12 345 678-5",
            "el 2 12.345.678-5",
            "12.345.678-5 kiero saber mi boleta",
            "12.345.678-5, gracias",
        ] {
            assert_eq!(parse_in(text).map(Rut::number), Ok(12_345_678), "{text:?}");
        }
        // The sentence's RUT is judged as such.
        assert!(matches!(
            parse_in("mi rut es 12.345.678-9"),
            Err(RutError::WrongCheckDigit { .. })
        ));
        for text in ["hola", "me cobraron 2 veces", "12.345.678-5 o 11.111.111-1"] {
            assert_eq!(parse_in(text), Err(RutError::Malformed), "{text:?}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            "",
            "-",
            "hola",
            "12.345.678-55",
            "1234-5",
            "123456789012",
            "12K45678-5",
            "1-2-3",
        ] {
            assert!(text.parse::<Rut>().is_err(), "{text} should be rejected");
        }
    }
}
