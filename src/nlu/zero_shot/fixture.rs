//! Tiny random NLI model folders in the Hugging Face layout, for tests, benchmarks and for
//! checking a libtorch install without downloading weights. Their predictions mean nothing.
//!
//! Tensor names are written out here from the Hugging Face naming (not taken from
//! rust-bert), so loading one exercises the real name mapping.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use safetensors::tensor::TensorView;
use safetensors::Dtype;

use crate::nlu::Intent;

/// Shape of a tiny model.
#[derive(Debug, Clone)]
pub struct TinySpec {
    /// Label names by id, e.g. `["contradiction", "neutral", "entailment"]`.
    pub labels: Vec<String>,
    /// Seed of the random weights.
    pub seed: u64,
    /// Hidden size (32 by default).
    pub hidden: usize,
    /// Encoder layers.
    pub layers: usize,
    /// Attention heads.
    pub heads: usize,
    /// Feed-forward size.
    pub intermediate: usize,
    /// Position embeddings.
    pub positions: usize,
    /// Write LayerNorm parameters as `gamma`/`beta`, like old BERT checkpoints.
    pub legacy_layer_norm_names: bool,
    /// When set, the classifier weight is zero and its bias is these logits, so every
    /// input gets exactly these logits (to test label-index handling).
    pub constant_logits: Option<Vec<f32>>,
}

impl Default for TinySpec {
    fn default() -> Self {
        TinySpec {
            labels: ["contradiction", "neutral", "entailment"]
                .map(String::from)
                .to_vec(),
            seed: 7,
            hidden: 32,
            layers: 2,
            heads: 2,
            intermediate: 64,
            positions: 64,
            legacy_layer_norm_names: false,
            constant_logits: None,
        }
    }
}

/// Words in the tiny vocabularies (besides special tokens).
pub const WORDS: &[&str] = &[
    "este",
    "mensaje",
    "trata",
    "de",
    "revisar",
    "mis",
    "atenciones",
    "anteriores",
    "reiniciar",
    "servicios",
    "el",
    "la",
    "internet",
    "hablar",
    "con",
    "un",
    "ejecutivo",
    "persona",
    "salir",
    "terminar",
    "conversación",
    "quiero",
    "no",
    "funciona",
    "mi",
    "solicitud",
    "reclamo",
    "estado",
    "chao",
    "gracias",
    "hola",
    "módem",
    "wifi",
    "se",
    "cayó",
    "por",
    "favor",
    ".",
    ",",
    "?",
    "¿",
];

/// Spanish descriptions of the four menu intents, as the YAML intents file carries them.
pub fn descriptions() -> Vec<(Intent, String)> {
    vec![
        (
            Intent::RevisarAtenciones,
            "revisar el estado de mis solicitudes anteriores".into(),
        ),
        (
            Intent::ReiniciarServicios,
            "reiniciar el internet o el módem".into(),
        ),
        (
            Intent::ContactarEjecutivo,
            "hablar con un ejecutivo o una persona".into(),
        ),
        (Intent::Salir, "terminar la conversación".into()),
    ]
}

struct Tensors {
    rng: StdRng,
    out: BTreeMap<String, (Vec<usize>, Vec<u8>, Dtype)>,
    legacy: bool,
}

impl Tensors {
    fn random(&mut self, name: &str, shape: &[usize], scale: f32) {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = (0..n).map(|_| self.rng.gen_range(-scale..scale)).collect();
        self.f32(name, shape, &values);
    }

    fn f32(&mut self, name: &str, shape: &[usize], values: &[f32]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.out
            .insert(name.to_string(), (shape.to_vec(), bytes, Dtype::F32));
    }

    fn linear(&mut self, name: &str, out: usize, input: usize) {
        self.random(&format!("{name}.weight"), &[out, input], 0.3);
        self.random(&format!("{name}.bias"), &[out], 0.1);
    }

    fn layer_norm(&mut self, name: &str, size: usize) {
        let (w, b) = if self.legacy {
            ("gamma", "beta")
        } else {
            ("weight", "bias")
        };
        let ones = vec![1.0; size];
        self.f32(&format!("{name}.{w}"), &[size], &ones);
        self.random(&format!("{name}.{b}"), &[size], 0.05);
    }

    fn encoder(&mut self, prefix: &str, vocab: usize, types: usize, spec: &TinySpec) {
        let h = spec.hidden;
        let e = format!("{prefix}.embeddings");
        self.random(&format!("{e}.word_embeddings.weight"), &[vocab, h], 1.0);
        self.random(
            &format!("{e}.position_embeddings.weight"),
            &[spec.positions, h],
            0.3,
        );
        self.random(
            &format!("{e}.token_type_embeddings.weight"),
            &[types, h],
            0.3,
        );
        self.layer_norm(&format!("{e}.LayerNorm"), h);
        // A buffer some checkpoints carry; the loader must ignore it.
        let ids: Vec<u8> = (0..spec.positions as i64)
            .flat_map(|i| i.to_le_bytes())
            .collect();
        self.out.insert(
            format!("{e}.position_ids"),
            (vec![1, spec.positions], ids, Dtype::I64),
        );
        for layer in 0..spec.layers {
            let l = format!("{prefix}.encoder.layer.{layer}");
            for part in ["query", "key", "value"] {
                self.linear(&format!("{l}.attention.self.{part}"), h, h);
            }
            self.linear(&format!("{l}.attention.output.dense"), h, h);
            self.layer_norm(&format!("{l}.attention.output.LayerNorm"), h);
            self.linear(&format!("{l}.intermediate.dense"), spec.intermediate, h);
            self.linear(&format!("{l}.output.dense"), h, spec.intermediate);
            self.layer_norm(&format!("{l}.output.LayerNorm"), h);
        }
    }

    fn head(&mut self, name: &str, spec: &TinySpec) {
        let labels = spec.labels.len();
        match &spec.constant_logits {
            Some(logits) => {
                self.f32(
                    &format!("{name}.weight"),
                    &[labels, spec.hidden],
                    &vec![0.0; labels * spec.hidden],
                );
                self.f32(&format!("{name}.bias"), &[labels], logits);
            }
            None => {
                self.random(&format!("{name}.weight"), &[labels, spec.hidden], 1.0);
                self.random(&format!("{name}.bias"), &[labels], 0.1);
            }
        }
    }

    fn write(self, path: &Path) -> io::Result<()> {
        let views = self
            .out
            .iter()
            .map(|(name, (shape, data, dtype))| {
                TensorView::new(*dtype, shape.clone(), data)
                    .map(|view| (name.clone(), view))
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
            })
            .collect::<io::Result<Vec<_>>>()?;
        safetensors::serialize_to_file(views, &None, path)
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

fn config_json(
    spec: &TinySpec,
    model_type: &str,
    vocab: usize,
    extra: serde_json::Value,
) -> String {
    let id2label: serde_json::Map<String, serde_json::Value> = spec
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| (i.to_string(), l.clone().into()))
        .collect();
    let label2id: serde_json::Map<String, serde_json::Value> = spec
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), i.into()))
        .collect();
    let mut config = serde_json::json!({
        "architectures": [if model_type == "bert" { "BertForSequenceClassification" } else { "XLMRobertaForSequenceClassification" }],
        "model_type": model_type,
        "hidden_size": spec.hidden,
        "num_hidden_layers": spec.layers,
        "num_attention_heads": spec.heads,
        "intermediate_size": spec.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": spec.positions,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "vocab_size": vocab,
        "id2label": id2label,
        "label2id": label2id,
    });
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        config.extend(extra.clone());
    }
    serde_json::to_string_pretty(&config).unwrap_or_default()
}

/// Writes a tiny BERT NLI model: `config.json`, `vocab.txt`, `tokenizer_config.json` and
/// `model.safetensors` with random weights.
pub fn write_tiny_bert(dir: &Path, spec: &TinySpec) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut vocab: Vec<&str> = vec!["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    vocab.extend_from_slice(WORDS);
    vocab.extend(["##s", "##es", "##ar", "##o", "##a"]);
    std::fs::write(dir.join("vocab.txt"), vocab.join("\n") + "\n")?;
    std::fs::write(
        dir.join("tokenizer_config.json"),
        r#"{"do_lower_case": true, "strip_accents": false}"#,
    )?;
    let extra = serde_json::json!({"type_vocab_size": 2, "pad_token_id": 0});
    std::fs::write(
        dir.join("config.json"),
        config_json(spec, "bert", vocab.len(), extra),
    )?;
    let mut tensors = Tensors {
        rng: StdRng::seed_from_u64(spec.seed),
        out: BTreeMap::new(),
        legacy: spec.legacy_layer_norm_names,
    };
    tensors.encoder("bert", vocab.len(), 2, spec);
    tensors.linear("bert.pooler.dense", spec.hidden, spec.hidden);
    tensors.head("classifier", spec);
    tensors.write(&dir.join("model.safetensors"))
}

/// Writes a tiny XLM-RoBERTa NLI model: `config.json`, a word-level `tokenizer.json` with
/// RoBERTa pair handling (`<s> a </s></s> b </s>`) and `model.safetensors`.
pub fn write_tiny_xlm_roberta(dir: &Path, spec: &TinySpec) -> io::Result<()> {
    use tokenizers::models::wordlevel::WordLevel;
    use tokenizers::normalizers::Lowercase;
    use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
    use tokenizers::processors::roberta::RobertaProcessing;

    std::fs::create_dir_all(dir)?;
    let mut tokens: Vec<&str> = vec!["<s>", "<pad>", "</s>", "<unk>"];
    tokens.extend_from_slice(WORDS);
    let vocab: std::collections::HashMap<String, u32> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.to_string(), i as u32))
        .collect();
    let invalid = |e: Box<dyn std::error::Error + Send + Sync>| {
        io::Error::new(io::ErrorKind::InvalidData, e.to_string())
    };
    let model = WordLevel::builder()
        .vocab(vocab)
        .unk_token("<unk>".into())
        .build()
        .map_err(invalid)?;
    let mut tokenizer = tokenizers::Tokenizer::new(model);
    tokenizer
        .with_normalizer(Lowercase)
        .with_pre_tokenizer(BertPreTokenizer)
        .with_post_processor(RobertaProcessing::new(
            ("</s>".into(), 2),
            ("<s>".into(), 0),
        ));
    tokenizer
        .save(dir.join("tokenizer.json"), true)
        .map_err(invalid)?;

    // RoBERTa positions start at padding_idx + 1 = 2.
    let mut spec = spec.clone();
    spec.positions += 2;
    let extra = serde_json::json!({
        "type_vocab_size": 1, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
        "layer_norm_eps": 1e-5,
    });
    std::fs::write(
        dir.join("config.json"),
        config_json(&spec, "xlm-roberta", tokens.len(), extra),
    )?;
    let mut tensors = Tensors {
        rng: StdRng::seed_from_u64(spec.seed),
        out: BTreeMap::new(),
        legacy: false,
    };
    tensors.encoder("roberta", tokens.len(), 1, &spec);
    tensors.linear("classifier.dense", spec.hidden, spec.hidden);
    tensors.head("classifier.out_proj", &spec);
    tensors.write(&dir.join("model.safetensors"))
}
