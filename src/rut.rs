//! Chilean RUT (Rol Único Tributario): parsing in any common written form and validation of
//! the check digit (módulo 11).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

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

impl FromStr for Rut {
    type Err = RutError;

    /// Accepts `12.345.678-5`, `12345678-5`, `123456785`, `12 345 678 5`, with `k` or `K`,
    /// surrounded by white space. Anything else (letters, several dashes) is `Malformed`.
    fn from_str(text: &str) -> Result<Rut, RutError> {
        let text = text.trim();
        let mut body = String::with_capacity(text.len());
        let mut dashes = 0;
        for c in text.chars() {
            match c {
                '0'..='9' | 'k' | 'K' => body.push(c.to_ascii_uppercase()),
                '.' | ' ' => {}
                '-' | '‐' | '–' => dashes += 1,
                _ => return Err(RutError::Malformed),
            }
        }
        if dashes > 1 || body.len() < 2 {
            return Err(RutError::Malformed);
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
        let rut = Rut::from_number(number).ok_or(RutError::BadLength)?;
        let dv = dv.chars().next().ok_or(RutError::Malformed)?;
        if dv != rut.check_digit() {
            return Err(RutError::WrongCheckDigit {
                number: with_thousands(number),
                expected: rut.check_digit(),
            });
        }
        Ok(rut)
    }
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
