//! Reading a Hugging Face model folder: `config.json`, the tokenizer and the weights.
//!
//! The network is built by rust-bert from `config.json`; its variable names are the
//! Hugging Face tensor names (`bert.encoder.layer.0.attention.self.query.weight`,
//! `classifier.out_proj.bias`, ...), so `model.safetensors` is copied into the `VarStore`
//! name by name. Old BERT checkpoints name LayerNorm parameters `gamma`/`beta`; those are
//! mapped to `weight`/`bias`. Tensors the network does not use (`position_ids`, a RoBERTa
//! pooler) are ignored.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rust_bert::bert::{BertConfig, BertForSequenceClassification};
use rust_bert::roberta::RobertaForSequenceClassification;
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::{Model as _, Tokenizer, TruncationParams, TruncationStrategy};

use super::ModelError;

/// The architectures we can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Architecture {
    /// `model_type: bert`.
    Bert,
    /// `model_type: xlm-roberta` or `roberta`.
    Roberta,
}

/// Where the NLI labels sit in the classifier head's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NliLabels {
    /// Index of the `entailment` logit.
    pub entailment: usize,
    /// Index of the `contradiction` logit.
    pub contradiction: usize,
    /// Number of labels (logits per row).
    pub count: usize,
}

/// What `config.json` tells us beyond rust-bert's `BertConfig`.
pub(crate) struct ModelConfig {
    pub architecture: Architecture,
    pub model_type: String,
    pub labels: NliLabels,
    pub bert: BertConfig,
    pub pad_token_id: Option<i64>,
    /// Longest input the position embeddings allow.
    pub max_tokens: usize,
}

#[derive(Deserialize)]
struct RawConfig {
    model_type: Option<String>,
    id2label: Option<BTreeMap<String, String>>,
    label2id: Option<BTreeMap<String, i64>>,
    pad_token_id: Option<i64>,
    max_position_embeddings: Option<i64>,
}

/// Returns `dir/file`, or [`ModelError::MissingFile`].
pub(crate) fn require(dir: &Path, file: &str, hint: &str) -> Result<PathBuf, ModelError> {
    let path = dir.join(file);
    if path.is_file() {
        Ok(path)
    } else {
        Err(ModelError::MissingFile {
            dir: dir.to_path_buf(),
            file: file.to_string(),
            hint: hint.to_string(),
        })
    }
}

/// Reads `config.json`.
pub(crate) fn read_config(dir: &Path) -> Result<ModelConfig, ModelError> {
    let path = require(dir, "config.json", "")?;
    let bad = |reason: String| ModelError::BadConfig {
        path: path.clone(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ModelError::Io {
        path: path.clone(),
        source,
    })?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let raw: RawConfig = serde_json::from_value(value.clone()).map_err(|e| bad(e.to_string()))?;

    let model_type = raw
        .model_type
        .ok_or_else(|| bad("no model_type".to_string()))?;
    let architecture = match model_type.as_str() {
        "bert" => Architecture::Bert,
        "xlm-roberta" | "roberta" => Architecture::Roberta,
        _ => return Err(ModelError::UnsupportedModelType { model_type }),
    };

    // Label names by index, from id2label or else label2id.
    let mut names: BTreeMap<i64, String> = BTreeMap::new();
    if let Some(id2label) = &raw.id2label {
        for (id, label) in id2label {
            let id: i64 = id
                .parse()
                .map_err(|_| bad(format!("id2label key {id:?} is not a number")))?;
            names.insert(id, label.clone());
        }
    } else if let Some(label2id) = &raw.label2id {
        for (label, id) in label2id {
            names.insert(*id, label.clone());
        }
    }
    if names.is_empty() {
        return Err(bad("neither id2label nor label2id is set".to_string()));
    }
    let count = names.len();
    if names.keys().copied().ne(0..count as i64) {
        return Err(bad(format!(
            "label ids must be 0..{count}, found {:?}",
            names.keys().collect::<Vec<_>>()
        )));
    }
    let find = |prefix: &str| {
        names
            .iter()
            .find(|(_, name)| name.to_lowercase().starts_with(prefix))
            .map(|(id, _)| *id as usize)
    };
    let labels = match (find("entail"), find("contradict")) {
        (Some(entailment), Some(contradiction)) => NliLabels {
            entailment,
            contradiction,
            count,
        },
        _ => {
            return Err(bad(format!(
                "labels {:?} do not name entailment and contradiction; is this an NLI model?",
                names.values().collect::<Vec<_>>()
            )))
        }
    };

    // rust-bert sizes the classifier head from id2label; give it one in its own format.
    let id2label: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|(id, name)| (id.to_string(), serde_json::Value::String(name.clone())))
        .collect();
    if let Some(object) = value.as_object_mut() {
        object.insert("id2label".into(), serde_json::Value::Object(id2label));
        object.remove("label2id");
    }
    let bert: BertConfig = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;

    let positions = raw
        .max_position_embeddings
        .unwrap_or(bert.max_position_embeddings);
    // RoBERTa positions start after the padding index (2 slots are never used).
    let max_tokens = match architecture {
        Architecture::Bert => positions,
        Architecture::Roberta => positions - 2,
    };
    if max_tokens < 8 {
        return Err(bad(format!(
            "max_position_embeddings {positions} is too small"
        )));
    }

    Ok(ModelConfig {
        architecture,
        model_type,
        labels,
        bert,
        pad_token_id: raw.pad_token_id,
        max_tokens: max_tokens as usize,
    })
}

/// Loads `tokenizer.json`, or builds a BERT WordPiece tokenizer from `vocab.txt`.
pub(crate) fn read_tokenizer(
    dir: &Path,
    config: &ModelConfig,
    max_tokens: usize,
) -> Result<Tokenizer, ModelError> {
    let json = dir.join("tokenizer.json");
    let mut tokenizer = if json.is_file() {
        Tokenizer::from_file(&json).map_err(|e| ModelError::Tokenizer {
            path: json.clone(),
            reason: e.to_string(),
        })?
    } else if config.architecture == Architecture::Bert {
        let hint = " (nor tokenizer.json)";
        let vocab = require(dir, "vocab.txt", hint)?;
        bert_tokenizer(dir, &vocab)?
    } else {
        return Err(ModelError::MissingFile {
            dir: dir.to_path_buf(),
            file: "tokenizer.json".into(),
            hint: " (see models/README.md to create it)".into(),
        });
    };
    // Only the premise (the customer's message) is ever cut; hypotheses are short.
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: max_tokens,
            strategy: TruncationStrategy::OnlyFirst,
            ..TruncationParams::default()
        }))
        .map_err(|e| ModelError::Tokenizer {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
    tokenizer.with_padding(None);
    Ok(tokenizer)
}

#[derive(Deserialize, Default)]
struct TokenizerConfig {
    do_lower_case: Option<bool>,
    strip_accents: Option<bool>,
}

/// The standard BERT pipeline around a WordPiece `vocab.txt`; casing from
/// `tokenizer_config.json` (Hugging Face's default is to lowercase).
fn bert_tokenizer(dir: &Path, vocab: &Path) -> Result<Tokenizer, ModelError> {
    let fail = |path: &Path, reason: String| ModelError::Tokenizer {
        path: path.to_path_buf(),
        reason,
    };
    let config_path = dir.join("tokenizer_config.json");
    let config: TokenizerConfig = if config_path.is_file() {
        let text = std::fs::read_to_string(&config_path).map_err(|source| ModelError::Io {
            path: config_path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| fail(&config_path, e.to_string()))?
    } else {
        TokenizerConfig::default()
    };
    let lowercase = config.do_lower_case.unwrap_or(true);

    let vocab_str = vocab
        .to_str()
        .ok_or_else(|| fail(vocab, "path is not UTF-8".into()))?;
    let model = WordPiece::from_file(vocab_str)
        .unk_token("[UNK]".into())
        .build()
        .map_err(|e| fail(vocab, e.to_string()))?;
    let vocab_ids = model.get_vocab();
    let token_id = |token: &str| {
        vocab_ids
            .get(token)
            .copied()
            .ok_or_else(|| fail(vocab, format!("{token} is not in the vocabulary")))
    };
    let sep = ("[SEP]".to_string(), token_id("[SEP]")?);
    let cls = ("[CLS]".to_string(), token_id("[CLS]")?);
    token_id("[UNK]")?;

    let mut tokenizer = Tokenizer::new(model);
    tokenizer
        .with_normalizer(BertNormalizer::new(
            true,
            true,
            config.strip_accents,
            lowercase,
        ))
        .with_pre_tokenizer(BertPreTokenizer)
        .with_post_processor(BertProcessing::new(sep, cls));
    Ok(tokenizer)
}

/// The network with its weights.
pub(crate) enum Network {
    Bert(BertForSequenceClassification),
    Roberta(RobertaForSequenceClassification),
}

/// Builds the network from `config` and fills it from the weights in `dir`. Returns the
/// network, its `VarStore` and the weights file used.
pub(crate) fn read_network(
    dir: &Path,
    config: &ModelConfig,
) -> Result<(Network, VarStore, PathBuf), ModelError> {
    let mut store = VarStore::new(Device::Cpu);
    let root = store.root();
    let network = match config.architecture {
        Architecture::Bert => BertForSequenceClassification::new(&root, &config.bert)
            .map(Network::Bert)
            .map_err(|e| ModelError::Model(e.to_string()))?,
        Architecture::Roberta => RobertaForSequenceClassification::new(&root, &config.bert)
            .map(Network::Roberta)
            .map_err(|e| ModelError::Model(e.to_string()))?,
    };
    let safetensors = dir.join("model.safetensors");
    let ot = dir.join("rust_model.ot");
    let path = if safetensors.is_file() {
        load_safetensors(&store, &safetensors)?;
        safetensors
    } else if ot.is_file() {
        load_ot(&store, &ot)?;
        ot
    } else {
        let hint = if dir.join("pytorch_model.bin").is_file() {
            " (only pytorch_model.bin is there: convert it, see models/README.md)"
        } else {
            " (nor rust_model.ot)"
        };
        return Err(ModelError::MissingFile {
            dir: dir.to_path_buf(),
            file: "model.safetensors".into(),
            hint: hint.into(),
        });
    };
    store.freeze();
    Ok((network, store, path))
}

/// The Hugging Face spelling of a rust-bert variable name in older checkpoints.
fn legacy_name(name: &str) -> Option<String> {
    if let Some(stem) = name.strip_suffix("LayerNorm.weight") {
        Some(format!("{stem}LayerNorm.gamma"))
    } else {
        name.strip_suffix("LayerNorm.bias")
            .map(|stem| format!("{stem}LayerNorm.beta"))
    }
}

/// Copies every variable of `store` from the safetensors file at `path`.
fn load_safetensors(store: &VarStore, path: &Path) -> Result<(), ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        reason: format!("not a valid safetensors file: {e}"),
    })?;
    let tensors: HashMap<String, _> = file.tensors().into_iter().collect();
    fill_store(store, path, |name| {
        let view = tensors.get(name)?;
        let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        let kind = match view.dtype() {
            Dtype::F32 => Kind::Float,
            Dtype::F16 => Kind::Half,
            Dtype::BF16 => Kind::BFloat16,
            Dtype::F64 => Kind::Double,
            other => {
                return Some(Err(ModelError::UnsupportedDtype {
                    name: name.to_string(),
                    dtype: format!("{other:?}"),
                }))
            }
        };
        Some(
            Tensor::f_of_data_size(view.data(), &shape, kind).map_err(|e| ModelError::Weights {
                path: path.to_path_buf(),
                reason: format!("tensor {name}: {e}"),
            }),
        )
    })
}

/// Copies every variable of `store` from rust-bert's `rust_model.ot` at `path`.
fn load_ot(store: &VarStore, path: &Path) -> Result<(), ModelError> {
    let tensors: HashMap<String, Tensor> = Tensor::load_multi(path)
        .map_err(|e| ModelError::Weights {
            path: path.to_path_buf(),
            reason: format!("not a valid rust_model.ot file: {e}"),
        })?
        .into_iter()
        .collect();
    fill_store(store, path, |name| {
        tensors.get(name).map(|t| Ok(t.shallow_clone()))
    })
}

/// Copies every variable of `store` from the tensor `source` returns for its name (or
/// its legacy LayerNorm name), checking shapes: `copy_` alone would broadcast.
fn fill_store(
    store: &VarStore,
    path: &Path,
    source: impl Fn(&str) -> Option<Result<Tensor, ModelError>>,
) -> Result<(), ModelError> {
    let mut variables: Vec<(String, Tensor)> = store.variables().into_iter().collect();
    variables.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, mut variable) in variables {
        let tensor = source(&name)
            .or_else(|| legacy_name(&name).and_then(|legacy| source(&legacy)))
            .ok_or_else(|| ModelError::MissingTensor {
                path: path.to_path_buf(),
                name: name.clone(),
            })??;
        let found = tensor.size();
        let expected = variable.size();
        if found != expected {
            return Err(ModelError::ShapeMismatch {
                name,
                expected,
                found,
            });
        }
        tch::no_grad(|| {
            tensor
                .f_to_kind(variable.kind())
                .and_then(|t| variable.f_copy_(&t))
        })
        .map_err(|e| ModelError::Weights {
            path: path.to_path_buf(),
            reason: format!("tensor {name}: {e}"),
        })?;
    }
    Ok(())
}
