//! The project report (`docs/informe.md`) quotes real code. Each ```` ```rust ```` block must
//! be preceded by a line naming its file (`` `src/...rs` ``) and appear verbatim in it, so
//! the report cannot drift from the code: when this test fails, update the excerpt.

use std::path::Path;

/// A Rust block of the report and the file its introducing line names.
struct Excerpt {
    file: String,
    code: String,
    line: usize,
}

/// The last `` `src/...rs` `` path mentioned in `line`.
fn named_file(line: &str) -> Option<String> {
    line.split('`')
        .rfind(|part| part.starts_with("src/") && part.ends_with(".rs"))
        .map(str::to_string)
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
            let file = named_file(intro).unwrap_or_else(|| {
                panic!(
                    "the Rust excerpt at line {} of docs/informe.md is not introduced by a line naming its file: {intro:?}",
                    start + 1
                )
            });
            found.push(Excerpt {
                file,
                code: lines[body_start..i].join("\n"),
                line: start + 1,
            });
        }
        i += 1;
    }
    found
}

#[test]
fn every_rust_excerpt_is_verbatim_from_the_file_it_names() {
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
    }
}

#[test]
fn a_changed_excerpt_is_detected() {
    let report = "Extracto de `src/hub.rs` (`Hub::lock`):\n\n```rust\nfn lock(&self) {}\n```\n";
    let found = excerpts(report);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].file, "src/hub.rs");
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/hub.rs"))
        .expect("src/hub.rs");
    assert!(!source.contains(&found[0].code));
}
