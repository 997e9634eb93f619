//! The project report (`docs/informe.md`) quotes real code. Each ```` ```rust ```` block must
//! be preceded by a caption naming its file and the item it comes from, as in
//! "Extracto de `src/hub.rs` (`Hub::lock`):" or "Extracto de `src/registry/schema.rs`
//! (`configure_file`):", and must appear verbatim *inside that item* (its doc comment,
//! signature and body), so the report can drift neither from the code nor from its own
//! captions: when this test fails, update the excerpt or its caption.

use std::path::Path;

/// A Rust block of the report, the file and the item its caption names.
struct Excerpt {
    file: String,
    item: String,
    code: String,
    line: usize,
}

/// The last `` `src/...rs` `` path mentioned in `line`, and the first backquoted name after
/// it (the item: `Type::method` or `function`).
fn caption(line: &str) -> Option<(String, Option<String>)> {
    let parts: Vec<&str> = line.split('`').collect();
    // Backquoted spans are the odd-indexed parts.
    let file_at = (1..parts.len())
        .step_by(2)
        .rfind(|&i| parts[i].starts_with("src/") && parts[i].ends_with(".rs"))?;
    let item = (file_at + 2..parts.len())
        .step_by(2)
        .map(|i| parts[i])
        .find(|name| is_item_name(name))
        .map(str::to_string);
    Some((parts[file_at].to_string(), item))
}

fn is_item_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .split("::")
            .all(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

fn excerpts(report: &str) -> Vec<Excerpt> {
    let lines: Vec<&str> = report.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_start();
        if !fence.starts_with("```") {
            i += 1;
            continue;
        }
        let rust = fence == "```rust";
        let start = i;
        i += 1;
        let body_start = i;
        while i < lines.len() && lines[i].trim_start() != "```" {
            i += 1;
        }
        assert!(i < lines.len(), "unclosed code block at line {}", start + 1);
        if rust {
            let intro = lines[..start]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .copied()
                .unwrap_or("");
            let (file, item) = match caption(intro) {
                Some((file, Some(item))) => (file, item),
                _ => panic!(
                    "the Rust excerpt at line {} of docs/informe.md is not introduced by a caption \
                     naming its file and item (\"Extracto de `src/x.rs` (`Type::method`):\"): {intro:?}",
                    start + 1
                ),
            };
            found.push(Excerpt {
                file,
                item,
                code: lines[body_start..i].join("\n"),
                line: start + 1,
            });
        }
        i += 1;
    }
    found
}

/// A copy of `source` with comments, string and character literals blanked out (same byte
/// offsets), so that braces and keywords can be found by scanning bytes.
fn mask(source: &str) -> Vec<u8> {
    let src = source.as_bytes();
    let mut out = src.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to.min(src.len())] {
            *b = b' ';
        }
    };
    let mut i = 0;
    while i < src.len() {
        let rest = &src[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(src.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            let mut j = i;
            while j < src.len() {
                if src[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if src[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if let Some(hashes) = raw_string_start(rest).filter(|_| !ident_byte_before(src, i)) {
            // r"..." or r#"..."#, possibly after a `b`.
            let open = rest
                .iter()
                .position(|&b| b == b'"')
                .expect("raw string quote");
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let body = i + open + 1;
            let end = src[body..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(src.len(), |n| body + n + close.len());
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < src.len() && src[j] != b'"' {
                j += if src[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if rest[0] == b'\'' {
            // A character literal ('x', '\n', '\u{7b}', '{'), not a lifetime ('a).
            let len = if rest.get(1) == Some(&b'\\') {
                rest.iter().skip(3).position(|&b| b == b'\'').map(|n| n + 4)
            } else {
                // A quote is ASCII, so `i + 1` is a character boundary.
                source[i + 1..]
                    .chars()
                    .next()
                    .map(char::len_utf8)
                    .filter(|&n| rest.get(1 + n) == Some(&b'\''))
                    .map(|n| n + 2)
            };
            match len {
                Some(len) => {
                    blank(&mut out, i, i + len);
                    i += len;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    out
}

/// If `rest` starts a raw string literal (`r"`, `r#"`, `br"`...), the number of `#`.
fn raw_string_start(rest: &[u8]) -> Option<usize> {
    let rest = rest.strip_prefix(b"b").unwrap_or(rest);
    let rest = rest.strip_prefix(b"r")?;
    let hashes = rest.iter().take_while(|&&b| b == b'#').count();
    (rest.get(hashes) == Some(&b'"')).then_some(hashes)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn ident_byte_before(src: &[u8], i: usize) -> bool {
    i > 0 && is_ident_byte(src[i - 1])
}

/// Positions where the word `word` starts in `masked` (not part of a longer identifier).
fn word_positions<'a>(masked: &'a [u8], word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let w = word.as_bytes();
    (0..masked.len().saturating_sub(w.len() - 1)).filter(move |&i| {
        masked[i..].starts_with(w)
            && !ident_byte_before(masked, i)
            && !masked.get(i + w.len()).copied().is_some_and(is_ident_byte)
    })
}

/// The index just past the brace that closes the one at `open`.
fn matching_brace(masked: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in masked.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The `{` opening the body of the item whose header starts at `from`, if it has one (a
/// `;` outside brackets first means no body).
fn body_open(masked: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, &b) in masked.iter().enumerate().skip(from) {
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'{' if depth == 0 => return Some(i),
            b';' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The self type an `impl` header names: `Outbox` for `impl<E> Outbox<E>`, `LineCodec` for
/// `impl<T: AsRef<str>> Encoder<T> for LineCodec`.
fn impl_self_type(header: &str) -> String {
    let mut rest = header.trim_start_matches("impl").trim_start();
    if rest.starts_with('<') {
        let mut depth = 0;
        for (i, c) in rest.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        rest = &rest[i + 1..];
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    let rest = rest.split(" where ").next().unwrap_or(rest);
    // The last ` for ` outside angle brackets separates a trait from the self type.
    let mut depth = 0;
    let mut self_start = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            _ if depth == 0 && rest[i..].starts_with(" for ") => self_start = i + 5,
            _ => {}
        }
    }
    let self_type = rest[self_start..].split('<').next().unwrap_or("").trim();
    self_type
        .trim_start_matches('&')
        .rsplit("::")
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The source text of each `fn name` item in `source[range]`: its doc comments and
/// attributes, signature and body.
fn fn_items(source: &str, masked: &[u8], range: (usize, usize), name: &str) -> Vec<String> {
    let mut items = Vec::new();
    for at in word_positions(masked, name) {
        if at < range.0 || at >= range.1 {
            continue;
        }
        let before = String::from_utf8_lossy(&masked[range.0.max(at.saturating_sub(3))..at]);
        if !before.ends_with("fn ") || !matches!(masked.get(at + name.len()), Some(b'(' | b'<')) {
            continue;
        }
        let Some(open) = body_open(masked, at) else {
            continue;
        };
        let Some(end) = matching_brace(masked, open) else {
            continue;
        };
        // Back to the start of the line, then over the doc comments and attributes above.
        let mut start = source[..at].rfind('\n').map_or(0, |n| n + 1);
        while start > 0 {
            let prev_start = source[..start - 1].rfind('\n').map_or(0, |n| n + 1);
            let prev = source[prev_start..start - 1].trim_start();
            if prev.starts_with("///") || prev.starts_with("#[") || prev.starts_with("#!") {
                start = prev_start;
            } else {
                break;
            }
        }
        items.push(source[start..end].to_string());
    }
    items
}

/// The source text of every item `item` (`Type::method` or `function`) names in `source`.
fn named_items(source: &str, item: &str) -> Vec<String> {
    let masked = mask(source);
    match item.rsplit_once("::") {
        None => fn_items(source, &masked, (0, source.len()), item),
        Some((ty, method)) => {
            let ty = ty.rsplit("::").next().unwrap_or(ty);
            let mut found = Vec::new();
            for at in word_positions(&masked, "impl") {
                let Some(open) = body_open(&masked, at) else {
                    continue;
                };
                let header = String::from_utf8_lossy(&masked[at..open]);
                let header = header.split_whitespace().collect::<Vec<_>>().join(" ");
                if impl_self_type(&header) != ty {
                    continue;
                }
                let Some(end) = matching_brace(&masked, open) else {
                    continue;
                };
                found.extend(fn_items(source, &masked, (open, end), method));
            }
            found
        }
    }
}

#[test]
fn every_rust_excerpt_is_verbatim_from_the_item_its_caption_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = std::fs::read_to_string(root.join("docs/informe.md")).expect("docs/informe.md");
    let found = excerpts(&report);
    assert!(
        found.len() >= 5,
        "expected the report's code excerpts, found {}",
        found.len()
    );
    for excerpt in &found {
        let source = std::fs::read_to_string(root.join(&excerpt.file)).unwrap_or_else(|err| {
            panic!("{} (quoted at line {}): {err}", excerpt.file, excerpt.line)
        });
        assert!(
            source.contains(&excerpt.code),
            "docs/informe.md line {}: the excerpt no longer matches {}; update it:\n{}",
            excerpt.line,
            excerpt.file,
            excerpt.code
        );
        let items = named_items(&source, &excerpt.item);
        assert!(
            !items.is_empty(),
            "docs/informe.md line {}: the caption names `{}`, which {} does not define",
            excerpt.line,
            excerpt.item,
            excerpt.file
        );
        assert!(
            items.iter().any(|body| body.contains(&excerpt.code)),
            "docs/informe.md line {}: the excerpt is in {} but not inside `{}`, the item its \
             caption names; fix the caption or the excerpt:\n{}",
            excerpt.line,
            excerpt.file,
            excerpt.item,
            excerpt.code
        );
    }
}

#[test]
fn a_changed_excerpt_is_detected() {
    let report = "Extracto de `src/hub.rs` (`Hub::lock`):\n\n```rust\nfn lock(&self) {}\n```\n";
    let found = excerpts(report);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].file, "src/hub.rs");
    assert_eq!(found[0].item, "Hub::lock");
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/hub.rs"))
        .expect("src/hub.rs");
    assert!(!source.contains(&found[0].code));
}

const SAMPLE: &str = r##"
/// A thing.
struct Thing;

impl std::fmt::Debug for Thing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("{ not a brace")
    }
}

impl<T: AsRef<str>> From<T> for Thing {
    fn from(_: T) -> Thing {
        Thing
    }
}

impl Thing {
    /// Writes.
    #[inline]
    fn write<T>(&self, table: [u8; 4], close: char) -> Option<T> {
        let _ = (table, close == '}', '{');
        None
    }

    fn read(&self) {
        // } a brace in a comment
        let _ = r#"}"#;
    }
}

/// Free.
fn configure(x: u8) -> u8 {
    x + 1
}
"##;

#[test]
fn items_are_found_with_their_doc_comments_and_whole_bodies() {
    let write = named_items(SAMPLE, "Thing::write");
    assert_eq!(write.len(), 1);
    assert!(write[0].starts_with("    /// Writes.\n    #[inline]\n    fn write<T>"));
    assert!(write[0].ends_with("None\n    }"));
    let read = named_items(SAMPLE, "Thing::read");
    assert_eq!(read.len(), 1);
    assert!(
        read[0].ends_with("let _ = r#\"}\"#;\n    }"),
        "{:?}",
        read[0]
    );
    assert_eq!(named_items(SAMPLE, "Thing::fmt").len(), 1);
    assert_eq!(named_items(SAMPLE, "Thing::from").len(), 1);
    assert!(named_items(SAMPLE, "Other::write").is_empty());
    let free = named_items(SAMPLE, "configure");
    assert_eq!(
        free,
        vec!["/// Free.\nfn configure(x: u8) -> u8 {\n    x + 1\n}".to_string()]
    );
}

#[test]
fn an_excerpt_under_the_wrong_caption_is_detected() {
    // Real code from `src/hub.rs`, captioned with the wrong item: it is in the file, but not
    // inside the item the caption names.
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/hub.rs"))
        .expect("src/hub.rs");
    let deliver = named_items(&source, "Outbox::deliver");
    assert_eq!(deliver.len(), 1);
    let lock = named_items(&source, "Hub::lock");
    assert_eq!(lock.len(), 1);
    assert!(source.contains(&deliver[0]));
    assert!(!lock[0].contains(&deliver[0]));
    let report = format!(
        "Extracto de `src/hub.rs` (`Hub::lock`, mal rotulado):\n\n```rust\n{}\n```\n",
        deliver[0]
    );
    let found = excerpts(&report);
    assert_eq!(found[0].item, "Hub::lock");
    assert!(!named_items(&source, &found[0].item)
        .iter()
        .any(|body| body.contains(&found[0].code)));
}
