//! Learning from real traffic, the pure part: which messages the inbox keeps, how
//! `reclamos nlu review` groups them, and how labelled sentences join an intents file.
//!
//! - [`is_correction`]: the narrow set of phrases that correct the bot right after it acted
//!   on a prediction ("no, quise decir ...", "no era eso").
//! - [`inbox_text`]: the text kept for a message (control characters and RUTs removed,
//!   length capped).
//! - [`similarity`] and [`group`]: token Jaccard similarity over the classifier's own
//!   normalisation ([`super::text::normalize`], clause breaks dropped), and greedy
//!   grouping of the messages around a first member.
//! - [`append_examples`]: adds labelled sentences to the `examples: |` block of their intent
//!   in an intents file, de-duplicated against every intent after normalisation, and checks
//!   that the result still loads with [`super::data::parse`].

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use super::data::{self, TrainingData};
use super::text::{normalize, tokens, CLAUSE_BREAK};
use super::{Intent, IntentsError};

/// Phrases that, at the start of a message, correct what the bot just did. Matched on the
/// normalised text with clause breaks removed, so "No, quise decir..." and "no quise
/// decir" are the same. Deliberately short: a plain "no" or "no quiero ..." is an answer
/// or a request, not a correction.
const CORRECTIONS: &[&str] = &[
    "no era eso",
    "no es eso",
    "eso no era",
    "no quise decir",
    "quise decir",
    "no me referia a eso",
    "no me refiero a eso",
    "no pedi eso",
    "yo no pedi eso",
];

/// Whether `text` corrects the bot ("no, quise decir hablar con alguien", "no era eso").
/// Only meaningful right after the bot acted on a prediction; the conversation checks that.
pub fn is_correction(text: &str) -> bool {
    let key = key(text);
    CORRECTIONS.iter().any(|phrase| {
        key.strip_prefix(phrase)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

/// The longest text the inbox keeps, in characters (longer messages are cut).
pub const MAX_INBOX_TEXT: usize = 500;

/// The text the inbox keeps for a customer's message: one line, control characters
/// replaced, at most [`MAX_INBOX_TEXT`] characters, and what could identify someone
/// masked: RUTs (`12.345.678-5`, with a valid check digit) as `<rut>`, e-mail addresses as
/// `<email>`, and numbers of 7 digits or more, even split by spaces or signs (phones,
/// identity-card serials, RUTs mistyped: "+56 9 1234 5678") as `<number>`. Request numbers
/// (6 digits) stay. `None` when nothing is left.
pub fn inbox_text(text: &str) -> Option<String> {
    // One buffer for the words joined by single spaces (the server calls this for every
    // free-text message it acts on).
    let mut joined = String::with_capacity(text.len());
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let mut i = 0;
    while i < words.len() {
        if i > 0 {
            joined.push(' ');
        }
        let word = words[i];
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        // A run of number-like words ("+56", "9", "1234-5678"): masked as one when its
        // digits make a long number.
        let run = words[i..].iter().take_while(|w| is_number_like(w)).count();
        let digits: usize = words[i..i + run]
            .iter()
            .map(|w| w.chars().filter(char::is_ascii_digit).count())
            .sum();
        if bare.contains('-') && bare.parse::<crate::rut::Rut>().is_ok() {
            joined.push_str(&word.replace(bare, "<rut>"));
        } else if run > 0 && digits >= 7 {
            joined.push_str("<number>");
            // The punctuation that ended the run ("5678," keeps its comma).
            let last = words[i + run - 1];
            joined.push_str(&last[last.trim_end_matches(TRAILING_PUNCTUATION).len()..]);
            i += run;
            continue;
        } else if bare.contains('@') && bare.rsplit('@').next().is_some_and(|d| d.contains('.')) {
            joined.push_str(&word.replace(bare, "<email>"));
        } else {
            joined.extend(word.chars().filter(|c| !is_line_break(*c)));
        }
        i += 1;
    }
    let end = joined
        .char_indices()
        .nth(MAX_INBOX_TEXT)
        .map_or(joined.len(), |(at, _)| at);
    let kept = joined[..end].trim();
    (!kept.is_empty()).then(|| kept.to_string())
}

/// Punctuation that may end a word without being part of it ("5678,").
const TRAILING_PUNCTUATION: [char; 6] = [',', ';', ':', '.', '!', '?'];

/// A word made of digits and the signs written between them ("+56", "(2)", "1234-5678",
/// "12.345.678-k"), with at least one digit; punctuation after it is allowed ("5678,").
fn is_number_like(word: &str) -> bool {
    let word = word.trim_end_matches(TRAILING_PUNCTUATION);
    word.chars().any(|c| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '(' | ')' | 'k' | 'K'))
}

/// Characters YAML (or a terminal) may take as the end of a line.
fn is_line_break(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{FEFF}')
}

/// The comparison key of a sentence: [`normalize`]d, clause breaks dropped, single spaces.
/// Two sentences with the same key are the same training example.
pub fn key(text: &str) -> String {
    let normalized = normalize(text);
    tokens(&normalized)
        .filter(|t| *t != CLAUSE_BREAK)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Token Jaccard similarity of two sentences: |A ∩ B| / |A ∪ B| over the sets of words of
/// their [`key`]s, in `0.0..=1.0`. Two sentences without words are identical (1.0).
pub fn similarity(a: &str, b: &str) -> f32 {
    let mut words = Interner::default();
    jaccard(&words.set(&key(a)), &words.set(&key(b)))
}

/// Words as numbers, so that a sentence is a sorted list of integers.
#[derive(Default)]
struct Interner(HashMap<String, u32>);

impl Interner {
    /// The sorted, de-duplicated word numbers of a [`key`].
    fn set(&mut self, key: &str) -> Vec<u32> {
        let mut set: Vec<u32> = key
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| {
                let next = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
                *self.0.entry(w.to_string()).or_insert(next)
            })
            .collect();
        set.sort_unstable();
        set.dedup();
        set
    }
}

/// Jaccard similarity of two sorted, de-duplicated lists.
fn jaccard(a: &[u32], b: &[u32]) -> f32 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        return 1.0;
    }
    common as f32 / union as f32
}

/// The similarity at or above which [`group`] puts a message with a group's first member.
pub const GROUP_THRESHOLD: f32 = 0.5;

/// Groups sentences (by index into `texts`): each sentence, in order, joins the group whose
/// first member it is most similar to (the earliest group on a tie) when that
/// [`similarity`] is at least `threshold`, and starts a new group otherwise. Groups come
/// largest first, ties by first appearance; members keep their order. Deterministic, and
/// every index is in exactly one group.
///
/// Only groups whose first member shares a word with the sentence are compared (an index
/// from words to groups): with a positive threshold no other group can qualify, so the
/// result is the same as comparing with all of them, at a fraction of the cost.
pub fn group(texts: &[&str], threshold: f32) -> Vec<Vec<usize>> {
    if texts.is_empty() {
        return Vec::new();
    }
    if threshold <= 0.0 {
        // Every similarity qualifies: the first sentence's group takes them all.
        return vec![(0..texts.len()).collect()];
    }
    let mut words = Interner::default();
    let sets: Vec<Vec<u32>> = texts.iter().map(|t| words.set(&key(t))).collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    // Word -> groups whose first member has it; the group of sentences without words.
    let mut by_word: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut wordless: Option<usize> = None;
    let mut candidates = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        let best = if set.is_empty() {
            wordless
        } else {
            candidates.clear();
            candidates.extend(set.iter().filter_map(|w| by_word.get(w)).flatten().copied());
            candidates.sort_unstable();
            candidates.dedup();
            candidates
                .iter()
                .map(|&g| (g, jaccard(&sets[groups[g][0]], set)))
                .filter(|(_, s)| *s >= threshold)
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(g, _)| g)
        };
        match best {
            Some(g) => groups[g].push(i),
            None => {
                let g = groups.len();
                groups.push(vec![i]);
                if set.is_empty() {
                    wordless = Some(g);
                }
                for w in set {
                    by_word.entry(*w).or_default().push(g);
                }
            }
        }
    }
    // A stable sort keeps first appearance among groups of one size.
    groups.sort_by_key(|members| std::cmp::Reverse(members.len()));
    groups
}

/// What [`append_examples`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appended {
    /// The new text of the file.
    pub text: String,
    /// The sentences added, with their intent, as written to the file.
    pub added: Vec<(Intent, String)>,
    /// The sentences left out because the file (or an earlier addition) already had them
    /// under the same intent.
    pub duplicates: Vec<(Intent, String)>,
    /// The sentences left out because the file (or an earlier addition) has them under
    /// another intent: the file is not changed, and the operator is told.
    pub conflicts: Vec<Conflict>,
}

/// A labelled sentence the intents file already holds under another intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The sentence, as cleaned.
    pub sentence: String,
    /// The intent the operator gave it.
    pub labelled: Intent,
    /// The intent the file (or an earlier addition) has it under, which stays.
    pub kept: Intent,
}

/// Why labelled sentences could not be added to an intents file.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The file does not load as it is.
    #[error("the intents file does not load")]
    Invalid(#[source] IntentsError),
    /// The edited file would not load, or would not hold exactly the old examples plus the
    /// new ones (a layout this editor does not understand). The file is left as it was.
    #[error("adding the sentences would break {file}: {reason}")]
    WouldBreak {
        /// The file.
        file: String,
        /// What went wrong.
        reason: String,
    },
}

/// Adds labelled sentences to an intents file's text (`file` names it in errors).
///
/// Each sentence is cleaned to one line (brackets, which Rasa reads as entity annotations,
/// become parentheses) and skipped when its [`key`] is already an example of any intent
/// or was added just before. The rest go at the end of the first `examples: |` block of
/// their intent, with the block's indentation; an intent without such a block gets a new
/// `- intent:` entry at the end of the `nlu:` list. The result must load with
/// [`data::parse`] and hold exactly the old examples plus the added ones, or nothing is
/// returned.
pub fn append_examples(
    source: &str,
    file: &str,
    labelled: &[(Intent, String)],
) -> Result<Appended, AppendError> {
    let before = data::parse(source, file).map_err(AppendError::Invalid)?;
    let mut known: HashMap<String, Intent> = before
        .examples()
        .map(|(e, intent)| (key(e), intent))
        .collect();
    let mut appended = Appended::default();
    for (intent, sentence) in labelled {
        let Some(clean) = clean_sentence(sentence) else {
            continue;
        };
        let k = key(&clean);
        if k.is_empty() {
            appended.duplicates.push((*intent, clean));
            continue;
        }
        match known.entry(k) {
            Entry::Occupied(kept) if kept.get() == intent => {
                appended.duplicates.push((*intent, clean));
            }
            Entry::Occupied(kept) => appended.conflicts.push(Conflict {
                sentence: clean,
                labelled: *intent,
                kept: *kept.get(),
            }),
            Entry::Vacant(new) => {
                new.insert(*intent);
                appended.added.push((*intent, clean));
            }
        }
    }
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    for intent in Intent::OPTIONS.into_iter().chain([Intent::Fallback]) {
        let sentences: Vec<&str> = appended
            .added
            .iter()
            .filter(|(i, _)| *i == intent)
            .map(|(_, s)| s.as_str())
            .collect();
        if sentences.is_empty() {
            continue;
        }
        match examples_block_end(&lines, intent) {
            Some((at, indent)) => {
                let bullets = sentences
                    .iter()
                    .map(|s| format!("{}- {s}", " ".repeat(indent)));
                lines.splice(at..at, bullets);
            }
            None => {
                let (at, indent) = nlu_list_end(&lines).ok_or_else(|| AppendError::WouldBreak {
                    file: file.to_string(),
                    reason: "no `nlu:` list at the top level".into(),
                })?;
                let pad = " ".repeat(indent);
                let mut entry = vec![
                    format!("{pad}- intent: {}", intent.name()),
                    format!("{pad}  examples: |"),
                ];
                entry.extend(sentences.iter().map(|s| format!("{pad}    - {s}")));
                lines.splice(at..at, entry);
            }
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    let after = data::parse(&text, file).map_err(|err| AppendError::WouldBreak {
        file: file.to_string(),
        reason: err.to_string(),
    })?;
    check_examples(&before, &after, &appended.added).map_err(|reason| AppendError::WouldBreak {
        file: file.to_string(),
        reason,
    })?;
    appended.text = text;
    Ok(appended)
}

/// One line, trimmed, single spaces, no brackets; `None` when empty.
fn clean_sentence(sentence: &str) -> Option<String> {
    let text = inbox_text(sentence)?;
    let text: String = text
        .chars()
        .map(|c| match c {
            '[' => '(',
            ']' => ')',
            '\t' => ' ',
            c => c,
        })
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Where new bullets go in the first `examples: |` block of `intent` (the line after its
/// last non-blank line) and the bullets' indentation.
fn examples_block_end(lines: &[String], intent: Intent) -> Option<(usize, usize)> {
    let entry = lines.iter().position(|line| {
        line.trim_start()
            .strip_prefix("- intent:")
            .is_some_and(|name| name.trim() == intent.name())
    })?;
    let item_indent = indent_of(&lines[entry]);
    // The entry's keys: until a line at the item's indentation or less (the next item, or
    // the end of the list).
    let mut examples = None;
    for (i, line) in lines.iter().enumerate().skip(entry + 1) {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if indent_of(line) <= item_indent {
            break;
        }
        let trimmed = line.trim_start();
        if let Some(value) = trimmed.strip_prefix("examples:") {
            if matches!(value.trim(), "|" | "|-" | "|+") {
                examples = Some((i, indent_of(line)));
            }
            break;
        }
    }
    let (key_line, key_indent) = examples?;
    let mut last = None;
    let mut bullet_indent = None;
    for (i, line) in lines.iter().enumerate().skip(key_line + 1) {
        if line.trim().is_empty() {
            continue;
        }
        if indent_of(line) <= key_indent {
            break;
        }
        last = Some(i);
        if bullet_indent.is_none() && line.trim_start().starts_with("- ") {
            bullet_indent = Some(indent_of(line));
        }
    }
    let last = last?;
    Some((last + 1, bullet_indent.unwrap_or(key_indent + 2)))
}

/// Where a new entry goes at the end of the top-level `nlu:` list, and the items'
/// indentation.
fn nlu_list_end(lines: &[String]) -> Option<(usize, usize)> {
    let start = lines.iter().position(|line| line.trim_end() == "nlu:")?;
    let mut indent = None;
    let mut end = start + 1;
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent_of(line) == 0 && !trimmed.starts_with("- ") {
            break;
        }
        if indent.is_none() && trimmed.starts_with("- ") {
            indent = Some(indent_of(line));
        }
        end = i + 1;
    }
    Some((end, indent.unwrap_or(0)))
}

/// Whether `after` holds exactly the examples of `before` plus `added`, per intent.
fn check_examples(
    before: &TrainingData,
    after: &TrainingData,
    added: &[(Intent, String)],
) -> Result<(), String> {
    for intent in Intent::OPTIONS.into_iter().chain([Intent::Fallback]) {
        let examples = |data: &TrainingData| -> Vec<String> {
            data.intent(intent)
                .map(|d| d.examples.clone())
                .unwrap_or_default()
        };
        let mut expected = examples(before);
        expected.extend(
            added
                .iter()
                .filter(|(i, _)| *i == intent)
                .map(|(_, s)| s.clone()),
        );
        let mut found = examples(after);
        expected.sort();
        found.sort();
        if expected != found {
            return Err(format!(
                "{intent} would have {} examples instead of {}",
                found.len(),
                expected.len()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_are_recognised_narrowly() {
        let table = [
            ("no, quise decir hablar con alguien", true),
            ("No era eso", true),
            ("no era eso lo que pedí", true),
            ("quise decir la opción 3", true),
            ("eso no era, quiero ver mis reclamos", true),
            ("No me refería a eso!!", true),
            ("no", false),
            ("no quiero hablar con un ejecutivo", false),
            ("no funciona internet", false),
            ("quisiera decir algo", false),
            ("quise decirle al ejecutivo", false),
            ("era eso", false),
            ("", false),
        ];
        for (text, expected) in table {
            assert_eq!(is_correction(text), expected, "{text:?}");
        }
    }

    #[test]
    fn inbox_text_masks_ruts_and_keeps_one_line() {
        assert_eq!(
            inbox_text("mi rut es 12.345.678-5, ayuda").as_deref(),
            Some("mi rut es <rut>, ayuda")
        );
        // A RUT with a wrong check digit is still a long number; a request number stays.
        assert_eq!(
            inbox_text("12.345.678-9 y la 124578").as_deref(),
            Some("<number> y la 124578")
        );
        assert_eq!(
            inbox_text("llamenme al +56 9 1234 5678, o al 22345678. gracias").as_deref(),
            Some("llamenme al <number>, o al <number>. gracias")
        );
        assert_eq!(
            inbox_text("mi correo es juan.perez@gmail.com.").as_deref(),
            Some("mi correo es <email>.")
        );
        // Short numbers and a lone "@" are not personal data.
        assert_eq!(
            inbox_text("me llegaron 2 boletas de $35.990 a las 10 @ casa").as_deref(),
            Some("me llegaron 2 boletas de $35.990 a las 10 @ casa")
        );
        assert_eq!(
            inbox_text("  hola\r\n\tmundo\u{1b}[31m ").as_deref(),
            Some("hola mundo [31m")
        );
        assert_eq!(inbox_text(" \t "), None);
        let long = "palabra ".repeat(200);
        assert_eq!(
            inbox_text(&long).unwrap().chars().count(),
            MAX_INBOX_TEXT,
            "cut at the limit"
        );
    }

    #[test]
    fn similarity_is_token_jaccard_over_the_normalised_text() {
        let table = [
            (
                "¿Cuánto sale el pack de fútbol?",
                "cuanto sale el pack de futbol",
                1.0,
            ),
            ("hola", "HOLAAAA!!", 1.0),
            ("a b c d", "a b", 0.5),
            ("a b", "c d", 0.0),
            ("?!", "...", 1.0),
        ];
        for (a, b, expected) in table {
            let s = similarity(a, b);
            assert!((s - expected).abs() < 1e-6, "{a:?} {b:?}: {s}");
            assert!((similarity(b, a) - s).abs() < 1e-6, "symmetric");
        }
    }

    #[test]
    fn grouping_puts_similar_messages_together_largest_group_first() {
        let texts = [
            "cuanto sale el pack de futbol",     // 0
            "quiero contratar fibra",            // 1
            "¿Cuánto sale el pack de fútbol?",   // 2: same words as 0
            "cuanto sale el pack hd",            // 3: 4 of 7 words shared with 0
            "quiero contratar fibra en mi casa", // 4: 3 of 6 with 1
            "atienden los sabados",              // 5
        ];
        let groups = group(&texts, GROUP_THRESHOLD);
        assert_eq!(groups, vec![vec![0, 2, 3], vec![1, 4], vec![5]]);
        // Each index exactly once, whatever the threshold.
        for threshold in [0.0, 0.3, 0.9, 1.0] {
            let mut all: Vec<usize> = group(&texts, threshold).concat();
            all.sort();
            assert_eq!(all, (0..texts.len()).collect::<Vec<_>>(), "{threshold}");
        }
        assert_eq!(group(&texts, 0.0).len(), 1, "threshold 0 joins everything");
        assert!(group(&[], 0.5).is_empty());
        // Sentences without words group together, apart from the rest.
        assert_eq!(
            group(&["?", "hola", "!!", "hola"], 0.5),
            vec![vec![0, 2], vec![1, 3]]
        );
        // The best group wins, not the first one that qualifies.
        // ("a b c e f" is 0.5 like the first group and 0.8 like the second.)
        let best = ["a b c d", "a b e f", "a b c e f"];
        assert_eq!(group(&best, 0.5), vec![vec![1, 2], vec![0]]);
        // On a tie, the earlier group.
        let tie = ["a b c d", "a b e f", "a b c d e f g h"];
        assert_eq!(group(&tie, 0.5), vec![vec![0, 2], vec![1]]);
    }

    /// The definition of [`group`], comparing with every group.
    fn group_by_definition(texts: &[&str], threshold: f32) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let best = groups
                .iter()
                .enumerate()
                .map(|(g, members)| (g, similarity(texts[members[0]], text)))
                .filter(|(_, s)| *s >= threshold)
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            match best {
                Some((g, _)) => groups[g].push(i),
                None => groups.push(vec![i]),
            }
        }
        groups.sort_by_key(|members| std::cmp::Reverse(members.len()));
        groups
    }

    #[test]
    fn the_word_index_gives_the_same_groups_as_comparing_with_every_group() {
        let vocabulary = [
            "pack", "futbol", "fibra", "casa", "cuanto", "sale", "el", "mi", "?",
        ];
        let texts: Vec<String> = (0..300u32)
            .map(|i| {
                let len = (i * 7 % 5) as usize;
                (0..len)
                    .map(|w| vocabulary[((i * 31 + w as u32 * 17) % 9) as usize])
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        for threshold in [0.2, 0.5, 0.75, 1.0] {
            assert_eq!(
                group(&texts, threshold),
                group_by_definition(&texts, threshold),
                "{threshold}"
            );
        }
    }

    const SMALL: &str = "\
version: \"3.1\"
reclamos:
  abstain_threshold: 0.45
nlu:
- intent: revisar_atenciones
  option: 1
  examples: |
    - ver mis reclamos
    - estado de mi solicitud

- intent: contactar_ejecutivo
  option: 3
  examples: |
    - hablar con un ejecutivo
- synonym: wifi
  examples: |
    - wi fi
";

    fn labelled(items: &[(Intent, &str)]) -> Vec<(Intent, String)> {
        items.iter().map(|(i, s)| (*i, s.to_string())).collect()
    }

    #[test]
    fn sentences_join_their_intents_block_and_the_file_still_loads() {
        let result = append_examples(
            SMALL,
            "small.yaml",
            &labelled(&[
                (
                    Intent::RevisarAtenciones,
                    "¿ya quedó hecho el traslado que pedí?",
                ),
                (Intent::ContactarEjecutivo, "que me llame un supervisor"),
                (Intent::Fallback, "cuanto sale el pack de futbol"),
                (Intent::Salir, "muchas gracias, eso era todo"),
            ]),
        )
        .unwrap();
        assert_eq!(result.added.len(), 4);
        assert!(result.duplicates.is_empty());
        let text = &result.text;
        // In place, with the block's indentation, before the blank line.
        assert!(
            text.contains(
                "    - estado de mi solicitud\n    - ¿ya quedó hecho el traslado que pedí?\n\n"
            ),
            "{text}"
        );
        assert!(text.contains(
            "    - hablar con un ejecutivo\n    - que me llame un supervisor\n- synonym: wifi"
        ));
        // Intents the file lacks get an entry at the end of the nlu list.
        assert!(text.ends_with(
            "- intent: salir\n  examples: |\n    - muchas gracias, eso era todo\n\
             - intent: nlu_fallback\n  examples: |\n    - cuanto sale el pack de futbol\n"
        ));
        let data = data::parse(text, "small.yaml").unwrap();
        assert_eq!(
            data.intent(Intent::RevisarAtenciones)
                .unwrap()
                .examples
                .len(),
            3
        );
        assert_eq!(data.intent(Intent::Salir).unwrap().examples.len(), 1);
        assert_eq!(data.synonyms.get("wi fi").map(String::as_str), Some("wifi"));
    }

    #[test]
    fn sentences_already_present_under_any_intent_are_not_added_twice() {
        let result = append_examples(
            SMALL,
            "small.yaml",
            &labelled(&[
                // Present under another intent, after normalisation.
                (Intent::Fallback, "¡Hablar con un EJECUTIVO!"),
                (Intent::RevisarAtenciones, "ver mis reclamos"),
                (Intent::Salir, "chao"),
                // Twice in one review.
                (Intent::Salir, "Chaooo."),
                (Intent::Salir, "   "),
            ]),
        )
        .unwrap();
        assert_eq!(result.added, labelled(&[(Intent::Salir, "chao")]));
        assert_eq!(
            result.duplicates,
            labelled(&[
                (Intent::RevisarAtenciones, "ver mis reclamos"),
                (Intent::Salir, "Chaooo."),
            ])
        );
        // Under another intent: not added, and said.
        assert_eq!(
            result.conflicts,
            [Conflict {
                sentence: "¡Hablar con un EJECUTIVO!".into(),
                labelled: Intent::Fallback,
                kept: Intent::ContactarEjecutivo,
            }]
        );
        let twice = append_examples(
            SMALL,
            "small.yaml",
            &labelled(&[
                (Intent::Salir, "nos vemos"),
                (Intent::Fallback, "Nos vemos!"),
            ]),
        )
        .unwrap();
        assert_eq!(twice.added, labelled(&[(Intent::Salir, "nos vemos")]));
        assert_eq!(twice.conflicts[0].kept, Intent::Salir, "{twice:?}");
        // Appending the same again adds nothing and leaves the text as it was.
        let again = append_examples(
            &result.text,
            "small.yaml",
            &labelled(&[(Intent::Salir, "chao")]),
        )
        .unwrap();
        assert!(again.added.is_empty());
        assert_eq!(again.text, result.text);
    }

    #[test]
    fn awkward_sentences_stay_valid_yaml() {
        let awkward = [
            "# no es un comentario",
            "key: value",
            "- guion inicial",
            "[124578](request_number) entre corchetes",
            "comillas \" y ' y barra \\",
            "'sólo comillas'",
            "{llaves}",
            "tab\tdentro",
            "| barra",
        ];
        let items: Vec<(Intent, String)> = awkward
            .iter()
            .map(|s| (Intent::Fallback, s.to_string()))
            .collect();
        let result = append_examples(SMALL, "small.yaml", &items).unwrap();
        assert_eq!(result.added.len(), awkward.len(), "{:?}", result.duplicates);
        let data = data::parse(&result.text, "small.yaml").unwrap();
        let examples = &data.intent(Intent::Fallback).unwrap().examples;
        assert!(examples.contains(&"(124578)(request_number) entre corchetes".to_string()));
        assert!(examples.contains(&"# no es un comentario".to_string()));
    }

    #[test]
    fn the_real_intents_file_takes_new_sentences() {
        let result = append_examples(
            data::EMBEDDED_INTENTS,
            data::EMBEDDED_NAME,
            &labelled(&[(Intent::ContactarEjecutivo, "zzz frase de prueba nueva")]),
        )
        .unwrap();
        assert_eq!(result.added.len(), 1);
        let before = data::parse(data::EMBEDDED_INTENTS, "a").unwrap();
        let after = data::parse(&result.text, "b").unwrap();
        let count = |d: &TrainingData| d.intent(Intent::ContactarEjecutivo).unwrap().examples.len();
        assert_eq!(count(&after), count(&before) + 1);
        assert_eq!(after.synonyms, before.synonyms);
        assert_eq!(after.thresholds, before.thresholds);
    }

    #[test]
    fn a_broken_file_is_refused() {
        let err = append_examples("nlu: [", "bad.yaml", &[]).unwrap_err();
        assert!(matches!(err, AppendError::Invalid(_)), "{err}");
    }
}
