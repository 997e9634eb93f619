//! Intents files: Rasa NLU training data (`version: "3.1"`, `nlu:` with `- intent:`,
//! `- synonym:`, `- regex:` and `- lookup:` entries) plus the project's extension keys.
//!
//! Extensions, all optional, so a plain Rasa NLU file loads as is:
//! - per intent entry: `option` (menu number, must match the intent), `description`
//!   (one Spanish sentence describing the intent, usable as a zero-shot hypothesis) and
//!   `keywords` (words or short phrases that are strong evidence for the intent);
//! - a top-level `reclamos:` block with the decision settings: `temperature`,
//!   `fallback_bias`, `abstain_threshold`, `clarify_margin` and `rule_confidence` (see
//!   [`Thresholds`]).
//!
//! [`parse`] is the one loading function; [`load`] reads a file and calls it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{Intent, Rule};

/// The embedded default training file (`intents/es.yaml`).
pub const EMBEDDED_INTENTS: &str = include_str!("../../intents/es.yaml");

/// The name used for the embedded file in error messages.
pub const EMBEDDED_NAME: &str = "<embedded intents/es.yaml>";

/// Why an intents file could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntentsError {
    /// The file could not be read.
    #[error("cannot read {file}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML is malformed or does not have the expected shape.
    #[error("{file}{}: {message}", at(*line, *column))]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line (0 when serde_yaml gave no location).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// serde_yaml's description.
        message: String,
    },
    /// An `- intent:` entry names an intent the menu does not have.
    #[error("{file}:{line}: unknown intent `{name}` (expected one of: {expected})")]
    UnknownIntent {
        /// The file.
        file: String,
        /// 1-based line of the entry.
        line: usize,
        /// The unknown name.
        name: String,
        /// The valid names, comma-separated.
        expected: String,
    },
    /// An entry is well-formed YAML but inconsistent (bad option number, bad regex,
    /// threshold out of range, no examples at all...).
    #[error("{file}{}: {message}", at(*line, 0))]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line of the entry (0 for the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// `:line:column`, `:line`, or nothing when the place is unknown (0): an error about the
/// whole file is not said to be at line 0.
fn at(line: usize, column: usize) -> String {
    match (line, column) {
        (0, _) => String::new(),
        (line, 0) => format!(":{line}"),
        (line, column) => format!(":{line}:{column}"),
    }
}

/// Decision thresholds (`reclamos:` block).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Below this confidence the classifier abstains (`nlu_fallback`).
    pub abstain_threshold: f32,
    /// When the two best options are closer than this, ask the customer to choose.
    pub clarify_margin: f32,
    /// Softmax temperature applied to the model's scores (calibration fitted on folds by
    /// `reclamos eval --cv K`; 1.0 = uncalibrated).
    pub temperature: f32,
    /// Added to the fallback class's score before the softmax (fitted on folds by
    /// `reclamos eval --cv K`): above 0 the classifier abstains more often.
    pub fallback_bias: f32,
    /// The confidence of the decisions each rule after the model makes (fitted on folds
    /// by `reclamos eval --cv K`); a rule without one keeps the model's confidence.
    pub rule_confidence: RuleConfidence,
}

/// The confidence of each rule's decisions: how often the rule was right where it
/// decided on held-out folds (`rule_confidence:` in the `reclamos:` block, a map from a
/// rule's name to a number in `0..=1`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RuleConfidence([Option<f32>; Rule::ALL.len()]);

impl RuleConfidence {
    /// The confidence of `rule`'s decisions, if set.
    pub fn get(&self, rule: Rule) -> Option<f32> {
        self.0[rule.index()]
    }

    /// Sets the confidence of `rule`'s decisions.
    pub fn set(&mut self, rule: Rule, confidence: Option<f32>) {
        self.0[rule.index()] = confidence;
    }

    /// The rules that have one, with it, in [`Rule::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Rule, f32)> + '_ {
        Rule::ALL
            .into_iter()
            .filter_map(|rule| Some((rule, self.get(rule)?)))
    }
}

impl<'de> Deserialize<'de> for RuleConfidence {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut confidence = RuleConfidence::default();
        for (name, value) in BTreeMap::<String, f32>::deserialize(deserializer)? {
            let rule = Rule::from_name(&name).ok_or_else(|| {
                let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
                D::Error::custom(format!(
                    "unknown rule `{name}` in rule_confidence (expected one of: {})",
                    names.join(", ")
                ))
            })?;
            if !(0.0..=1.0).contains(&value) {
                return Err(D::Error::custom(format!(
                    "rule_confidence of {name} must be in 0..=1, got {value}"
                )));
            }
            confidence.set(rule, Some(value));
        }
        Ok(confidence)
    }
}

impl serde::Serialize for RuleConfidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(rule, value)| (rule.name(), value)))
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            abstain_threshold: 0.45,
            clarify_margin: 0.12,
            temperature: 1.0,
            fallback_bias: 0.0,
            rule_confidence: RuleConfidence::default(),
        }
    }
}

/// One intent with its examples and extension keys.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentData {
    /// The intent (`Fallback` for `nlu_fallback`).
    pub intent: Intent,
    /// Training sentences, entity annotations removed.
    pub examples: Vec<String>,
    /// `description`, if given.
    pub description: Option<String>,
    /// `keywords`, if given.
    pub keywords: Vec<String>,
}

/// A `- regex:` entry.
#[derive(Debug, Clone)]
pub struct RegexData {
    /// The entry's name.
    pub name: String,
    /// Its compiled patterns.
    pub patterns: Vec<regex::Regex>,
}

/// A parsed intents file.
#[derive(Debug, Clone)]
pub struct TrainingData {
    /// Intents in file order (an intent listed twice has its examples merged).
    pub intents: Vec<IntentData>,
    /// Variant -> canonical word or phrase (from `- synonym:` entries).
    pub synonyms: BTreeMap<String, String>,
    /// `- regex:` entries.
    pub regexes: Vec<RegexData>,
    /// `- lookup:` entries: name -> elements.
    pub lookups: BTreeMap<String, Vec<String>>,
    /// Decision thresholds.
    pub thresholds: Thresholds,
}

impl TrainingData {
    /// The entry of `intent`, if the file has one.
    pub fn intent(&self, intent: Intent) -> Option<&IntentData> {
        self.intents.iter().find(|d| d.intent == intent)
    }

    /// Every (sentence, intent) training pair.
    pub fn examples(&self) -> impl Iterator<Item = (&str, Intent)> {
        self.intents
            .iter()
            .flat_map(|d| d.examples.iter().map(move |e| (e.as_str(), d.intent)))
    }
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    nlu: Vec<RawItem>,
    #[serde(default)]
    reclamos: Option<Thresholds>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    intent: Option<String>,
    synonym: Option<String>,
    regex: Option<String>,
    lookup: Option<String>,
    examples: Option<String>,
    /// Rasa allows metadata on entries; it is ignored.
    #[allow(dead_code)]
    metadata: Option<serde_yaml::Value>,
    option: Option<u8>,
    description: Option<String>,
    keywords: Option<Vec<String>>,
}

/// Reads and parses an intents file.
pub fn load(path: &Path) -> Result<TrainingData, IntentsError> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|source| IntentsError::Io {
        file: file.clone(),
        source,
    })?;
    parse(&source, &file)
}

/// Parses the text of an intents file; `file` names it in errors.
pub fn parse(source: &str, file: &str) -> Result<TrainingData, IntentsError> {
    let raw: RawFile = serde_yaml::from_str(source).map_err(|err| {
        let (line, column) = err
            .location()
            .map_or((0, 0), |loc| (loc.line(), loc.column()));
        IntentsError::Syntax {
            file: file.to_owned(),
            line,
            column,
            message: err.to_string(),
        }
    })?;
    let invalid = |line: usize, message: String| IntentsError::Invalid {
        file: file.to_owned(),
        line,
        message,
    };
    let thresholds = raw.reclamos.unwrap_or_default();
    for (name, value, range) in [
        ("abstain_threshold", thresholds.abstain_threshold, 0.0..=1.0),
        ("clarify_margin", thresholds.clarify_margin, 0.0..=1.0),
        ("temperature", thresholds.temperature, 0.05..=20.0),
        ("fallback_bias", thresholds.fallback_bias, -5.0..=5.0),
    ] {
        if !range.contains(&value) {
            let line = line_of(source, &format!("{name}:"), "", 0);
            let (low, high) = range.into_inner();
            return Err(invalid(
                line,
                format!("{name} must be in {low}..={high}, got {value}"),
            ));
        }
    }

    let mut data = TrainingData {
        intents: Vec::new(),
        synonyms: BTreeMap::new(),
        regexes: Vec::new(),
        lookups: BTreeMap::new(),
        thresholds,
    };
    // Line search starts after the previous entry so repeated names resolve in order.
    let mut cursor = 0;
    for (index, item) in raw.nlu.into_iter().enumerate() {
        let examples = item.examples.as_deref().map(bullets).unwrap_or_default();
        if let Some(name) = &item.intent {
            let line = line_of(source, "intent:", name, cursor);
            cursor = line + 1;
            let intent = Intent::from_name(name).ok_or_else(|| IntentsError::UnknownIntent {
                file: file.to_owned(),
                line,
                name: name.clone(),
                expected: Intent::OPTIONS
                    .iter()
                    .chain([&Intent::Fallback])
                    .map(|i| i.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            if let Some(option) = item.option {
                if intent.option() != Some(option) {
                    return Err(invalid(
                        line,
                        format!(
                            "intent `{name}` has option {option}, but it is menu option {}",
                            intent.option().map_or("none".into(), |o| o.to_string())
                        ),
                    ));
                }
            }
            let entry = match data.intents.iter_mut().find(|d| d.intent == intent) {
                Some(entry) => entry,
                None => {
                    data.intents.push(IntentData {
                        intent,
                        examples: Vec::new(),
                        description: None,
                        keywords: Vec::new(),
                    });
                    data.intents.last_mut().expect("just pushed")
                }
            };
            entry.examples.extend(examples);
            if item.description.is_some() {
                entry.description = item.description;
            }
            entry.keywords.extend(item.keywords.unwrap_or_default());
        } else if let Some(canonical) = &item.synonym {
            cursor = line_of(source, "synonym:", canonical, cursor) + 1;
            for variant in examples {
                data.synonyms.insert(variant, canonical.clone());
            }
        } else if let Some(name) = &item.regex {
            let line = line_of(source, "regex:", name, cursor);
            cursor = line + 1;
            let patterns = examples
                .iter()
                .map(|p| regex::Regex::new(p))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| invalid(line, format!("regex `{name}`: {err}")))?;
            data.regexes.push(RegexData {
                name: name.clone(),
                patterns,
            });
        } else if let Some(name) = &item.lookup {
            cursor = line_of(source, "lookup:", name, cursor) + 1;
            data.lookups
                .entry(name.clone())
                .or_default()
                .extend(examples);
        } else {
            return Err(invalid(
                0,
                format!(
                    "nlu entry #{} has none of intent, synonym, regex, lookup",
                    index + 1
                ),
            ));
        }
    }
    if !data
        .intents
        .iter()
        .any(|d| d.intent != Intent::Fallback && !d.examples.is_empty())
    {
        return Err(invalid(0, "no examples for any menu intent".into()));
    }
    Ok(data)
}

/// The example sentences of an `examples: |` block: one per `- ` bullet, with Rasa entity
/// annotations (`[124578](request_number)`, `[wifi]{"entity": "servicio"}`) reduced to
/// their text.
fn bullets(block: &str) -> Vec<String> {
    block
        .lines()
        .filter_map(|line| line.trim().strip_prefix('-'))
        .map(|s| strip_annotations(s.trim()))
        .filter(|s| !s.is_empty())
        .collect()
}

fn strip_annotations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            break;
        };
        let after = &rest[close + 1..];
        let skip = match after.chars().next() {
            Some('(') => after.find(')').map(|e| e + 1),
            Some('{') => after.find('}').map(|e| e + 1),
            _ => None,
        };
        match skip {
            Some(skip) => {
                out.push_str(&rest[..open]);
                out.push_str(&rest[open + 1..close]);
                rest = &after[skip..];
            }
            None => {
                out.push_str(&rest[..=close]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The 1-based line, at or after line `from`, holding `key` followed by `value` (0 if
/// not found). Comment lines are skipped: the line that sets a key, not one that names it.
fn line_of(source: &str, key: &str, value: &str, from: usize) -> usize {
    source
        .lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .filter(|(_, line)| !line.trim_start().starts_with('#'))
        .find(|(_, line)| {
            line.find(key)
                .is_some_and(|at| line[at + key.len()..].contains(value))
        })
        .map_or(0, |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_file_parses_with_every_intent() {
        let data = parse(EMBEDDED_INTENTS, EMBEDDED_NAME).expect("embedded file parses");
        for intent in Intent::OPTIONS.into_iter().chain([Intent::Fallback]) {
            let entry = data.intent(intent).expect("intent present");
            assert!(
                entry.examples.len() >= 80,
                "{intent}: {}",
                entry.examples.len()
            );
            assert!(entry.description.is_some(), "{intent} has a description");
        }
        assert_eq!(data.synonyms.get("guifi").map(String::as_str), Some("wifi"));
        assert_eq!(data.regexes.len(), 1);
    }

    #[test]
    fn annotations_are_stripped() {
        let cases = [
            ("solicitud [124578](request_number)", "solicitud 124578"),
            (
                "el [wifi]{\"entity\": \"servicio\"} no anda",
                "el wifi no anda",
            ),
            ("sin [corchetes", "sin [corchetes"),
            ("[a] b", "[a] b"),
        ];
        for (input, expected) in cases {
            assert_eq!(strip_annotations(input), expected);
        }
    }
}
