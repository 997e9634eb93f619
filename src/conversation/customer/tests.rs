use super::*;

#[test]
fn menu_numbers() {
    for (text, expected) in [
        ("1", Some(1)),
        ("3.", Some(3)),
        ("(2)", Some(2)),
        ("opción 4", Some(4)),
        ("7", Some(7)),
        ("124578", None),
        ("hola", None),
    ] {
        assert_eq!(menu_number(text), expected, "{text}");
    }
}

#[test]
fn names() {
    assert_eq!(
        valid_name("  Ana   María Pérez "),
        Some("Ana María Pérez".into())
    );
    assert_eq!(valid_name("x"), None);
    assert_eq!(valid_name("Robert'); DROP TABLE--"), None);
    assert_eq!(valid_name("\u{1b}[2J"), None);
}

#[test]
fn serials_ignore_punctuation() {
    assert_eq!(
        normalise_serial("100.200.300"),
        normalise_serial("100200300")
    );
    assert_eq!(normalise_serial("a-12 3"), "A123");
}
