//! Errors while loading a zero-shot NLI model folder.

use std::path::PathBuf;

/// Why a model folder could not be loaded (or, rarely, why one inference failed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A file the model needs is not in the folder.
    #[error("missing model file {file} in {}{hint}", dir.display())]
    MissingFile {
        /// The model folder.
        dir: PathBuf,
        /// The missing file name, e.g. `config.json`.
        file: String,
        /// Extra advice (may be empty).
        hint: String,
    },
    /// A file exists but cannot be read.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `config.json` is not valid or lacks something the classifier needs.
    #[error("bad model config {}: {reason}", path.display())]
    BadConfig {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// `config.json` names an architecture this crate cannot run.
    #[error("unsupported model_type {model_type:?} (supported: bert, xlm-roberta, roberta)")]
    UnsupportedModelType {
        /// The `model_type` from `config.json`.
        model_type: String,
    },
    /// The tokenizer files cannot be loaded.
    #[error("tokenizer {}: {reason}", path.display())]
    Tokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The weights file is corrupt or not in the expected format.
    #[error("weights {}: {reason}", path.display())]
    Weights {
        /// The weights file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A tensor the architecture needs is not in the weights file.
    #[error("weights {}: tensor {name} is missing", path.display())]
    MissingTensor {
        /// The weights file.
        path: PathBuf,
        /// The tensor name (Hugging Face naming).
        name: String,
    },
    /// A tensor has a different shape than the architecture from `config.json`.
    #[error("weights: tensor {name} has shape {found:?}, config.json implies {expected:?}")]
    ShapeMismatch {
        /// The tensor name (Hugging Face naming).
        name: String,
        /// Shape built from `config.json`.
        expected: Vec<i64>,
        /// Shape in the weights file.
        found: Vec<i64>,
    },
    /// A tensor is stored with an element type we cannot convert to `f32`.
    #[error("weights: tensor {name} has unsupported dtype {dtype}")]
    UnsupportedDtype {
        /// The tensor name.
        name: String,
        /// The safetensors dtype.
        dtype: String,
    },
    /// The intent descriptions or the hypothesis template are unusable.
    #[error("zero-shot hypotheses: {0}")]
    Hypotheses(String),
    /// libtorch or rust-bert reported an error.
    #[error("model: {0}")]
    Model(String),
}
