//! Optional zero-shot intent classifier: a multilingual NLI model (rust-bert on libtorch)
//! asked whether the customer's message entails `Este mensaje trata de <description>.` for
//! each menu intent. Compiled only with the `zero-shot` cargo feature.
//!
//! - [`ZeroShotClassifier`] loads a Hugging Face model folder (see `models/README.md`) and
//!   classifies one message with ONE forward pass (the premise repeated once per intent).
//! - [`HybridClassifier`] keeps the YAML classifier in front and asks the model only when
//!   the YAML classifier is unsure.
//! - [`fixture`] writes tiny random models for tests, benchmarks and install smoke tests.
//!
//! Inference is blocking CPU work; async callers go through
//! [`ModelWorker`](crate::nlu::select::ModelWorker).
//!
//! Scoring: each hypothesis gets its entailment logit; the ranking is the softmax of those
//! entailment logits across intents (so the scores sum to 1, as in Hugging Face's
//! single-label zero-shot pipeline). Because a softmax always crowns somebody, the
//! classifier also abstains when the winning hypothesis itself is not entailed: its own
//! softmax over `[contradiction, entailment]` must reach
//! [`ZeroShotOptions::min_entailment`].

mod error;
pub mod fixture;
mod hybrid;
mod load;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tch::{Kind, Tensor};
use tokenizers::Tokenizer;

pub use self::error::ModelError;
pub use self::hybrid::{HybridClassifier, HybridOptions};
use self::load::Network;
pub use self::load::NliLabels;
use super::{Classifier, Decision, Intent, Prediction};

/// Default hypothesis template; `{}` is replaced by the intent's description.
pub use super::select::DEFAULT_TEMPLATE;

/// Longest input in tokens (premise + hypothesis) unless [`ZeroShotOptions::max_tokens`]
/// says otherwise.
pub const MAX_TOKENS: usize = 128;

/// Tuning of [`ZeroShotClassifier`].
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroShotOptions {
    /// Hypothesis template with one `{}` for the intent description.
    pub template: String,
    /// Abstain (`Decision::Fallback`) when the best intent scores below this.
    pub threshold: f32,
    /// Ask to clarify when the two best intents are closer than this.
    pub clarify_margin: f32,
    /// Abstain when the best hypothesis' own entailment probability (softmax over
    /// `[contradiction, entailment]`) is below this. `0.0` turns the check off.
    pub min_entailment: f32,
    /// Longest input in tokens (premise + hypothesis); the premise is truncated.
    pub max_tokens: usize,
    /// libtorch intra-op threads (process-wide); `None` keeps libtorch's default.
    pub torch_threads: Option<usize>,
}

impl Default for ZeroShotOptions {
    /// The defaults of `reclamos server` (see [`ClassifierArgs`](crate::nlu::select::ClassifierArgs)).
    fn default() -> Self {
        super::select::ClassifierArgs::default().zero_shot_options()
    }
}

/// Raw model scores for one message, in hypothesis (description) order.
#[derive(Debug, Clone, PartialEq)]
pub struct NliScores {
    /// Softmax of the entailment logits across intents (sums to 1).
    pub intents: Vec<(Intent, f32)>,
    /// Each hypothesis' own entailment probability (softmax over contradiction/entailment).
    pub entailment: Vec<(Intent, f32)>,
}

/// Facts about a loaded model, for logs and the README figures.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// `model_type` from `config.json`.
    pub model_type: String,
    /// The weights file that was loaded.
    pub weights: PathBuf,
    /// Number of parameters.
    pub parameters: i64,
    /// Where entailment/contradiction sit in the output.
    pub labels: NliLabels,
    /// Wall time of [`ZeroShotClassifier::load`].
    pub load_time: Duration,
}

/// Network and store; `tch::Tensor` is `Send` but not `Sync`, so they live behind a mutex.
struct Model {
    network: Network,
    _store: tch::nn::VarStore,
}

/// Zero-shot NLI classifier over a Hugging Face BERT / XLM-RoBERTa NLI model.
pub struct ZeroShotClassifier {
    model: Mutex<Model>,
    tokenizer: Tokenizer,
    hypotheses: Vec<(Intent, String)>,
    pad_id: i64,
    options: ZeroShotOptions,
    info: ModelInfo,
}

impl ZeroShotClassifier {
    /// Loads the model folder `dir` (`config.json`, `tokenizer.json` or BERT `vocab.txt`,
    /// `model.safetensors` or `rust_model.ot`) and builds one hypothesis per description.
    pub fn load(
        dir: &Path,
        descriptions: &[(Intent, String)],
        options: ZeroShotOptions,
    ) -> Result<ZeroShotClassifier, ModelError> {
        let started = Instant::now();
        let hypotheses = hypotheses(descriptions, &options.template)?;
        if let Some(threads) = options.torch_threads {
            tch::set_num_threads(i32::try_from(threads.max(1)).unwrap_or(1));
        }
        let config = load::read_config(dir)?;
        let max_tokens = options.max_tokens.clamp(8, config.max_tokens);
        let tokenizer = load::read_tokenizer(dir, &config, max_tokens)?;
        let (network, store, weights) = load::read_network(dir, &config)?;
        let pad_id = config
            .pad_token_id
            .or_else(|| {
                ["[PAD]", "<pad>"]
                    .iter()
                    .find_map(|t| tokenizer.token_to_id(t))
                    .map(i64::from)
            })
            .unwrap_or(0);
        let parameters = store.variables().values().map(|t| t.numel() as i64).sum();
        let info = ModelInfo {
            model_type: config.model_type.clone(),
            weights,
            parameters,
            labels: config.labels,
            load_time: started.elapsed(),
        };
        Ok(ZeroShotClassifier {
            model: Mutex::new(Model {
                network,
                _store: store,
            }),
            tokenizer,
            hypotheses,
            pad_id,
            options,
            info,
        })
    }

    /// Facts about the loaded model.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The hypotheses in use, one per intent.
    pub fn hypotheses(&self) -> &[(Intent, String)] {
        &self.hypotheses
    }

    /// Scores one message: one forward pass over all hypotheses.
    pub fn score(&self, text: &str) -> Result<NliScores, ModelError> {
        self.score_batch(&[text])?
            .pop()
            .ok_or_else(|| ModelError::Model("empty batch".into()))
    }

    /// Scores several messages in ONE forward pass (messages × hypotheses rows).
    pub fn score_batch(&self, texts: &[&str]) -> Result<Vec<NliScores>, ModelError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let pairs: Vec<(&str, &str)> = texts
            .iter()
            .flat_map(|text| {
                self.hypotheses
                    .iter()
                    .map(move |(_, h)| (*text, h.as_str()))
            })
            .collect();
        let logits = self.forward(&pairs)?;
        Ok(logits
            .chunks(self.hypotheses.len())
            .map(|rows| self.scores_from_logits(rows))
            .collect())
    }

    /// Scores one message with one forward pass PER hypothesis (no padding). Slower; kept
    /// to check and measure the batched path against.
    pub fn score_unbatched(&self, text: &str) -> Result<NliScores, ModelError> {
        let mut rows = Vec::with_capacity(self.hypotheses.len());
        for (_, hypothesis) in &self.hypotheses {
            rows.extend(self.forward(&[(text, hypothesis.as_str())])?);
        }
        Ok(self.scores_from_logits(&rows))
    }

    /// Classifies one message, reporting model errors instead of abstaining.
    fn try_classify(&self, text: &str) -> Result<Prediction, ModelError> {
        Ok(self.decide(&self.score(text)?))
    }

    /// Classifies several messages with one forward pass.
    pub fn classify_batch(&self, texts: &[&str]) -> Result<Vec<Prediction>, ModelError> {
        Ok(self
            .score_batch(texts)?
            .iter()
            .map(|s| self.decide(s))
            .collect())
    }

    /// Turns scores into a prediction with the configured thresholds.
    pub fn decide(&self, scores: &NliScores) -> Prediction {
        let mut prediction = decide(
            scores.intents.clone(),
            self.options.threshold,
            self.options.clarify_margin,
        );
        let best = prediction.ranking.first().map(|(intent, _)| *intent);
        let entailed = scores
            .entailment
            .iter()
            .find(|(intent, _)| Some(*intent) == best)
            .is_some_and(|(_, p)| *p >= self.options.min_entailment);
        if !entailed {
            prediction.intent = Intent::Fallback;
            prediction.decision = Decision::Fallback;
        }
        prediction
    }

    fn scores_from_logits(&self, rows: &[Vec<f32>]) -> NliScores {
        let labels = self.info.labels;
        let entailment_logits: Vec<f32> = rows.iter().map(|r| r[labels.entailment]).collect();
        let across = softmax(&entailment_logits);
        let intents = self.hypotheses.iter().map(|(intent, _)| *intent);
        NliScores {
            intents: intents.clone().zip(across).collect(),
            entailment: intents
                .zip(rows.iter().map(|r| {
                    let pair = softmax(&[r[labels.contradiction], r[labels.entailment]]);
                    pair[1]
                }))
                .collect(),
        }
    }

    /// Tokenizes the (premise, hypothesis) pairs, pads them into one batch and returns one
    /// row of logits per pair.
    fn forward(&self, pairs: &[(&str, &str)]) -> Result<Vec<Vec<f32>>, ModelError> {
        let mut encodings = Vec::with_capacity(pairs.len());
        for (premise, hypothesis) in pairs {
            let encoding = self
                .tokenizer
                .encode((*premise, *hypothesis), true)
                .map_err(|e| ModelError::Model(format!("tokenizing: {e}")))?;
            encodings.push(encoding);
        }
        let width = encodings.iter().map(|e| e.len()).max().unwrap_or(0);
        let rows = encodings.len();
        let mut ids = vec![self.pad_id; rows * width];
        let mut mask = vec![0i64; rows * width];
        let mut types = vec![0i64; rows * width];
        for (row, encoding) in encodings.iter().enumerate() {
            let start = row * width;
            for (i, ((&id, &m), &t)) in encoding
                .get_ids()
                .iter()
                .zip(encoding.get_attention_mask())
                .zip(encoding.get_type_ids())
                .enumerate()
            {
                ids[start + i] = i64::from(id);
                mask[start + i] = i64::from(m);
                types[start + i] = i64::from(t);
            }
        }
        let shape = [rows as i64, width as i64];
        let ids = Tensor::of_slice(&ids).view(shape);
        let mask = Tensor::of_slice(&mask).view(shape);
        let types = Tensor::of_slice(&types).view(shape);

        let model = self
            .model
            .lock()
            .map_err(|_| ModelError::Model("model lock poisoned by a panic".into()))?;
        let logits = tch::no_grad(|| match &model.network {
            Network::Bert(net) => {
                net.forward_t(Some(&ids), Some(&mask), Some(&types), None, None, false)
                    .logits
            }
            // RoBERTa has no segment embeddings to speak of (type_vocab_size 1).
            Network::Roberta(net) => {
                net.forward_t(Some(&ids), Some(&mask), None, None, None, false)
                    .logits
            }
        });
        drop(model);
        let logits = logits.to_kind(Kind::Float);
        Ok(Vec::<Vec<f32>>::from(&logits))
    }
}

impl Classifier for ZeroShotClassifier {
    fn classify(&self, text: &str) -> Prediction {
        match self.try_classify(text) {
            Ok(prediction) => prediction,
            Err(err) => {
                tracing::warn!(cause = %err, "zero-shot classification failed; abstaining");
                Prediction::not_understood()
            }
        }
    }
}

/// Builds the hypothesis of every intent from its description.
fn hypotheses(
    descriptions: &[(Intent, String)],
    template: &str,
) -> Result<Vec<(Intent, String)>, ModelError> {
    if template.matches("{}").count() != 1 {
        return Err(ModelError::Hypotheses(format!(
            "template {template:?} must contain exactly one {{}}"
        )));
    }
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for (intent, description) in descriptions {
        if *intent == Intent::Fallback {
            return Err(ModelError::Hypotheses(
                "nlu_fallback cannot have a hypothesis".into(),
            ));
        }
        if seen.contains(intent) {
            return Err(ModelError::Hypotheses(format!(
                "two descriptions for {intent}"
            )));
        }
        let description = description.trim();
        if description.is_empty() {
            return Err(ModelError::Hypotheses(format!(
                "empty description for {intent}"
            )));
        }
        seen.push(*intent);
        out.push((*intent, template.replace("{}", description)));
    }
    if out.len() < 2 {
        return Err(ModelError::Hypotheses(format!(
            "need descriptions for at least 2 intents, got {}",
            out.len()
        )));
    }
    Ok(out)
}

fn softmax(values: &[f32]) -> Vec<f32> {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = values.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// The abstaining prediction used when no classifier could answer.
/// Sorts `ranking` best first and decides: fallback below `threshold`, clarify when the
/// runner-up is within `margin`, else the best intent. For a fallback, `confidence` is the
/// best option's score.
pub(crate) fn decide(mut ranking: Vec<(Intent, f32)>, threshold: f32, margin: f32) -> Prediction {
    ranking.retain(|(intent, _)| *intent != Intent::Fallback);
    ranking.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let Some(&(best, score)) = ranking.first() else {
        return Prediction::not_understood();
    };
    let decision = match ranking.get(1) {
        _ if score < threshold => Decision::Fallback,
        Some(&(second, second_score)) if score - second_score < margin => {
            Decision::Clarify(best, second)
        }
        _ => Decision::Intent(best),
    };
    Prediction {
        intent: if decision == Decision::Fallback {
            Intent::Fallback
        } else {
            best
        },
        confidence: score,
        ranking,
        decision,
        topic: None,
        rule: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decide_table() {
        use Intent::*;
        let cases: [(&[(Intent, f32)], Decision); 4] = [
            (
                &[(Salir, 0.9), (ContactarEjecutivo, 0.1)],
                Decision::Intent(Salir),
            ),
            (
                &[(Salir, 0.3), (ContactarEjecutivo, 0.2)],
                Decision::Fallback,
            ),
            (
                &[(Salir, 0.52), (ContactarEjecutivo, 0.48)],
                Decision::Clarify(Salir, ContactarEjecutivo),
            ),
            (&[], Decision::Fallback),
        ];
        for (ranking, expected) in cases {
            let prediction = decide(ranking.to_vec(), 0.5, 0.1);
            assert_eq!(prediction.decision, expected, "{ranking:?}");
        }
    }

    #[test]
    fn hypotheses_need_a_placeholder_and_two_intents() {
        let descriptions = vec![
            (Intent::Salir, "terminar la conversación".to_string()),
            (
                Intent::ContactarEjecutivo,
                "hablar con una persona".to_string(),
            ),
        ];
        let built = hypotheses(&descriptions, DEFAULT_TEMPLATE).unwrap();
        assert_eq!(
            built[0].1,
            "Este mensaje trata de terminar la conversación."
        );
        assert!(hypotheses(&descriptions, "sin marcador").is_err());
        assert!(hypotheses(&descriptions[..1], DEFAULT_TEMPLATE).is_err());
        let mut fallback = descriptions.clone();
        fallback.push((Intent::Fallback, "nada".into()));
        assert!(hypotheses(&fallback, DEFAULT_TEMPLATE).is_err());
    }
}
