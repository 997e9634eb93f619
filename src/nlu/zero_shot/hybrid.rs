//! YAML classifier in front, zero-shot model behind it for the messages it is unsure about.

use std::sync::Arc;

use super::decide;
use crate::nlu::select::ClassifierMode;
use crate::nlu::{Classifier, Decision, Intent, Prediction};

/// Tuning of [`HybridClassifier`].
#[derive(Debug, Clone, PartialEq)]
pub struct HybridOptions {
    /// Which classifier answers.
    pub mode: ClassifierMode,
    /// In hybrid mode, ask the model when the YAML confidence is below this (the model is
    /// also asked whenever the YAML classifier abstains or wants to clarify).
    pub unsure_below: f32,
    /// Weight of the model's scores when combining (`0.0` = YAML only, `1.0` = model only).
    pub model_weight: f32,
    /// Abstain when the combined best score is below this.
    pub threshold: f32,
    /// Ask to clarify when the two best combined scores are closer than this.
    pub clarify_margin: f32,
}

impl Default for HybridOptions {
    /// The defaults of `reclamos server --classifier hybrid`.
    fn default() -> Self {
        crate::nlu::select::ClassifierArgs {
            classifier: ClassifierMode::Hybrid,
            ..Default::default()
        }
        .hybrid_options()
    }
}

/// Routes each message to the YAML classifier, the model, or both (see [`ClassifierMode`]).
///
/// In hybrid mode the combined score of an intent is
/// `model_weight * model + (1 - model_weight) * yaml`, an intent missing from a ranking
/// counting as 0. When the model abstains because no hypothesis is entailed, its scores
/// still count: the threshold on the combined score decides.
pub struct HybridClassifier {
    yaml: Arc<dyn Classifier>,
    model: Arc<dyn Classifier>,
    options: HybridOptions,
}

impl HybridClassifier {
    /// Combines the YAML classifier with a model (normally a
    /// [`ZeroShotClassifier`](super::ZeroShotClassifier)).
    pub fn new(
        yaml: Arc<dyn Classifier>,
        model: Arc<dyn Classifier>,
        options: HybridOptions,
    ) -> HybridClassifier {
        HybridClassifier {
            yaml,
            model,
            options,
        }
    }

    /// The options in use.
    pub fn options(&self) -> &HybridOptions {
        &self.options
    }

    /// Whether hybrid mode would ask the model about this YAML prediction.
    pub fn is_unsure(&self, yaml: &Prediction) -> bool {
        is_unsure(yaml, self.options.unsure_below)
    }

    fn combine(&self, yaml: &Prediction, model: &Prediction) -> Prediction {
        let weight = self.options.model_weight.clamp(0.0, 1.0);
        let score = |ranking: &[(Intent, f32)], intent: Intent| {
            ranking
                .iter()
                .find(|(i, _)| *i == intent)
                .map_or(0.0, |(_, s)| *s)
        };
        let ranking = Intent::OPTIONS
            .iter()
            .filter(|i| {
                yaml.ranking.iter().any(|(j, _)| j == *i)
                    || model.ranking.iter().any(|(j, _)| j == *i)
            })
            .map(|&intent| {
                let combined = weight * score(&model.ranking, intent)
                    + (1.0 - weight) * score(&yaml.ranking, intent);
                (intent, combined)
            })
            .collect();
        decide(ranking, self.options.threshold, self.options.clarify_margin)
    }
}

/// Whether a YAML prediction is unsure: it abstains, wants to clarify, or is not confident.
/// A decision a rule after the model made is not: the rule carries the labelling guide's
/// policy (a complaint goes to an executive with its topic, another business's outage is
/// out of scope, a goodbye asks before closing), which the model's descriptions do not
/// know; its confidence says how often the rule is right, and the conversation asks
/// below its thresholds.
pub(crate) fn is_unsure(prediction: &Prediction, unsure_below: f32) -> bool {
    prediction.rule.is_none()
        && (!matches!(prediction.decision, Decision::Intent(_))
            || prediction.confidence < unsure_below)
}

impl Classifier for HybridClassifier {
    fn classify(&self, text: &str) -> Prediction {
        match self.options.mode {
            ClassifierMode::Yaml => self.yaml.classify(text),
            ClassifierMode::ZeroShot => self.model.classify(text).with_topic(text),
            ClassifierMode::Hybrid => {
                let yaml = self.yaml.classify(text);
                if !self.is_unsure(&yaml) {
                    return yaml;
                }
                let model = self.model.classify(text);
                self.combine(&yaml, &model).with_topic(text)
            }
        }
    }
}
