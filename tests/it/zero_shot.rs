//! The zero-shot NLI classifier end to end on tiny random models written to temp dirs:
//! loading (BERT and XLM-RoBERTa layouts, label order, errors), scoring, hybrid routing,
//! and the bounded model worker.
#![cfg(feature = "zero-shot")]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use reclamos::nlu::select::{self, ClassifierArgs, ClassifierMode, ModelWorker, WorkerOptions};
use reclamos::nlu::zero_shot::fixture::{self, TinySpec};
use reclamos::nlu::zero_shot::{
    HybridClassifier, HybridOptions, ModelError, ZeroShotClassifier, ZeroShotOptions,
};
use reclamos::nlu::{Classifier, Decision, Intent, Prediction, Rule};

const MESSAGES: &[&str] = &[
    "quiero hablar con un ejecutivo por favor",
    "se cayó el internet , reiniciar el módem",
    "¿ cómo va mi solicitud ?",
    "chao gracias",
    "palabras desconocidas zzz",
    "",
];

fn tiny_bert(dir: &Path, spec: &TinySpec) -> ZeroShotClassifier {
    fixture::write_tiny_bert(dir, spec).expect("writing the tiny model");
    ZeroShotClassifier::load(dir, &fixture::descriptions(), ZeroShotOptions::default())
        .expect("loading the tiny model")
}

fn assert_distribution(ranking: &[(Intent, f32)]) {
    let sum: f32 = ranking.iter().map(|(_, s)| s).sum();
    assert!((sum - 1.0).abs() < 1e-4, "scores sum to {sum}: {ranking:?}");
    assert!(ranking.iter().all(|(_, s)| (0.0..=1.0).contains(s)));
    let mut intents: Vec<Intent> = ranking.iter().map(|(i, _)| *i).collect();
    intents.sort();
    assert_eq!(intents, Intent::OPTIONS.to_vec());
}

fn assert_close(a: &[(Intent, f32)], b: &[(Intent, f32)], tolerance: f32) {
    assert_eq!(a.len(), b.len());
    for ((ia, sa), (ib, sb)) in a.iter().zip(b) {
        assert_eq!(ia, ib);
        assert!((sa - sb).abs() < tolerance, "{a:?} vs {b:?}");
    }
}

#[test]
fn tiny_bert_loads_and_scores_are_probabilities_over_the_menu() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_bert(dir.path(), &TinySpec::default());
    let info = model.info();
    assert_eq!(info.model_type, "bert");
    assert!(info.weights.ends_with("model.safetensors"));
    assert_eq!(
        (
            info.labels.contradiction,
            info.labels.entailment,
            info.labels.count
        ),
        (0, 2, 3)
    );
    assert!(info.parameters > 10_000, "{} parameters", info.parameters);

    let mut seen = Vec::new();
    for text in MESSAGES {
        let scores = model.score(text).unwrap();
        assert_distribution(&scores.intents);
        assert!(scores
            .entailment
            .iter()
            .all(|(_, p)| (0.0..=1.0).contains(p)));
        let prediction = model.classify(text);
        assert_distribution(&prediction.ranking);
        assert!(prediction
            .ranking
            .windows(2)
            .all(|pair| pair[0].1 >= pair[1].1));
        assert_eq!(prediction.confidence, prediction.ranking[0].1);
        seen.push(scores.intents);
    }
    // The text reaches the network: different messages, different scores.
    assert!(seen.windows(2).any(|pair| pair[0] != pair[1]));
    // And the same message gives the same scores.
    assert_eq!(model.score(MESSAGES[0]).unwrap().intents, seen[0]);
}

#[test]
fn batched_scoring_equals_one_pass_per_hypothesis_and_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_bert(dir.path(), &TinySpec::default());
    let batch = model.score_batch(MESSAGES).unwrap();
    assert_eq!(batch.len(), MESSAGES.len());
    for (text, batched) in MESSAGES.iter().zip(&batch) {
        let single = model.score(text).unwrap();
        let unbatched = model.score_unbatched(text).unwrap();
        assert_close(&batched.intents, &single.intents, 1e-5);
        assert_close(&single.intents, &unbatched.intents, 1e-5);
        assert_close(&single.entailment, &unbatched.entailment, 1e-5);
    }
    let predictions = model.classify_batch(MESSAGES).unwrap();
    for (text, prediction) in MESSAGES.iter().zip(predictions) {
        assert_eq!(prediction.decision, model.classify(text).decision);
    }
}

#[test]
fn label_indices_come_from_the_config_and_legacy_names_load() {
    // Permuted labels and logits fixed by the head: entailment 2.0, neutral 0.5,
    // contradiction -1.0 whatever the input.
    let dir = tempfile::tempdir().unwrap();
    let spec = TinySpec {
        labels: ["ENTAILMENT", "Neutral", "contradiction"]
            .map(String::from)
            .to_vec(),
        constant_logits: Some(vec![2.0, 0.5, -1.0]),
        legacy_layer_norm_names: true,
        ..TinySpec::default()
    };
    let model = tiny_bert(dir.path(), &spec);
    let labels = model.info().labels;
    assert_eq!((labels.entailment, labels.contradiction), (0, 2));

    let scores = model.score("hola").unwrap();
    let expected = 1.0 / (1.0 + (-3.0f32).exp()); // softmax([-1, 2])[1]
    for (_, p) in &scores.entailment {
        assert!((p - expected).abs() < 1e-5, "{p} vs {expected}");
    }
    // Equal entailment logits: a uniform ranking, which must not be taken as an answer.
    for (_, p) in &scores.intents {
        assert!((p - 0.25).abs() < 1e-5);
    }
    assert_eq!(model.classify("hola").decision, Decision::Fallback);
}

#[test]
fn abstains_when_the_best_hypothesis_is_not_entailed() {
    let dir = tempfile::tempdir().unwrap();
    let spec = TinySpec {
        constant_logits: Some(vec![3.0, 0.0, -3.0]), // contradiction wins everywhere
        ..TinySpec::default()
    };
    fixture::write_tiny_bert(dir.path(), &spec).unwrap();
    let options = ZeroShotOptions {
        threshold: 0.0,
        clarify_margin: 0.0,
        ..ZeroShotOptions::default()
    };
    let model =
        ZeroShotClassifier::load(dir.path(), &fixture::descriptions(), options.clone()).unwrap();
    assert_eq!(model.classify("hola").decision, Decision::Fallback);
    let lenient = ZeroShotOptions {
        min_entailment: 0.0,
        ..options
    };
    let model = ZeroShotClassifier::load(dir.path(), &fixture::descriptions(), lenient).unwrap();
    assert!(matches!(
        model.classify("hola").decision,
        Decision::Intent(_)
    ));
}

#[test]
fn hypotheses_use_the_configured_template() {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_tiny_bert(dir.path(), &TinySpec::default()).unwrap();
    let options = ZeroShotOptions {
        template: "Quiero {}".into(),
        ..ZeroShotOptions::default()
    };
    let model = ZeroShotClassifier::load(dir.path(), &fixture::descriptions(), options).unwrap();
    assert_eq!(
        model.hypotheses()[3],
        (Intent::Salir, "Quiero terminar la conversación".to_string())
    );
    let default = tiny_bert(dir.path(), &TinySpec::default());
    assert_ne!(
        model.score("chao").unwrap().intents,
        default.score("chao").unwrap().intents
    );
}

#[test]
fn tiny_xlm_roberta_loads_from_tokenizer_json() {
    let dir = tempfile::tempdir().unwrap();
    let spec = TinySpec {
        labels: ["entailment", "neutral", "contradiction"]
            .map(String::from)
            .to_vec(),
        ..TinySpec::default()
    };
    fixture::write_tiny_xlm_roberta(dir.path(), &spec).unwrap();
    let model = ZeroShotClassifier::load(
        dir.path(),
        &fixture::descriptions(),
        ZeroShotOptions::default(),
    )
    .unwrap();
    assert_eq!(model.info().model_type, "xlm-roberta");
    assert_eq!(model.info().labels.entailment, 0);
    let batch = model.score_batch(MESSAGES).unwrap();
    for (text, batched) in MESSAGES.iter().zip(&batch) {
        assert_distribution(&batched.intents);
        assert_close(
            &batched.intents,
            &model.score_unbatched(text).unwrap().intents,
            1e-5,
        );
    }
    assert!(batch.windows(2).any(|pair| pair[0] != pair[1]));
}

#[test]
fn long_messages_are_truncated_not_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_bert(dir.path(), &TinySpec::default()); // 64 positions
    let long = "quiero hablar con un ejecutivo ".repeat(100);
    assert_distribution(&model.score(&long).unwrap().intents);
}

fn load_error(dir: &Path) -> String {
    match ZeroShotClassifier::load(dir, &fixture::descriptions(), ZeroShotOptions::default()) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(err) => err.to_string(),
    }
}

#[test]
fn missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_tiny_bert(dir.path(), &TinySpec::default()).unwrap();

    std::fs::rename(
        dir.path().join("model.safetensors"),
        dir.path().join("moved"),
    )
    .unwrap();
    let message = load_error(dir.path());
    assert!(
        message.contains("missing model file model.safetensors"),
        "{message}"
    );
    std::fs::write(dir.path().join("pytorch_model.bin"), b"pickle").unwrap();
    assert!(load_error(dir.path()).contains("convert it"));
    std::fs::rename(
        dir.path().join("moved"),
        dir.path().join("model.safetensors"),
    )
    .unwrap();

    std::fs::remove_file(dir.path().join("vocab.txt")).unwrap();
    let message = load_error(dir.path());
    assert!(message.contains("vocab.txt"), "{message}");

    std::fs::remove_file(dir.path().join("config.json")).unwrap();
    let message = load_error(dir.path());
    assert!(
        message.contains("missing model file config.json"),
        "{message}"
    );
}

#[test]
fn corrupt_or_mismatched_weights_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_tiny_bert(dir.path(), &TinySpec::default()).unwrap();
    let weights = dir.path().join("model.safetensors");

    // Truncated file.
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let message = load_error(dir.path());
    assert!(
        message.contains("not a valid safetensors file"),
        "{message}"
    );
    // Garbage.
    std::fs::write(&weights, b"\xff\xff\xff\xff\xff\xff\xff\xffnot json").unwrap();
    assert!(load_error(dir.path()).contains("not a valid safetensors file"));

    // A config that disagrees with the weights names the tensor.
    fixture::write_tiny_bert(dir.path(), &TinySpec::default()).unwrap();
    let config_path = dir.path().join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["intermediate_size"] = 48.into();
    std::fs::write(&config_path, config.to_string()).unwrap();
    let err = ZeroShotClassifier::load(
        dir.path(),
        &fixture::descriptions(),
        ZeroShotOptions::default(),
    )
    .err()
    .unwrap();
    match &err {
        ModelError::ShapeMismatch {
            name,
            expected,
            found,
        } => {
            assert!(name.contains("intermediate.dense"), "{err}");
            assert_ne!(expected, found);
        }
        other => panic!("expected a shape mismatch, got {other}"),
    }

    // A tensor the architecture needs is absent (a config with more layers).
    config["intermediate_size"] = 64.into();
    config["num_hidden_layers"] = 3.into();
    std::fs::write(&config_path, config.to_string()).unwrap();
    let message = load_error(dir.path());
    assert!(message.contains("bert.encoder.layer.2."), "{message}");
}

#[test]
fn bad_configs_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_tiny_bert(dir.path(), &TinySpec::default()).unwrap();
    let config_path = dir.path().join("config.json");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();

    let mut config = original.clone();
    config["model_type"] = "gpt2".into();
    std::fs::write(&config_path, config.to_string()).unwrap();
    assert!(load_error(dir.path()).contains("unsupported model_type \"gpt2\""));

    let mut config = original.clone();
    config["id2label"] = serde_json::json!({"0": "LABEL_0", "1": "LABEL_1"});
    std::fs::write(&config_path, config.to_string()).unwrap();
    let message = load_error(dir.path());
    assert!(
        message.contains("bad model config") && message.contains("NLI"),
        "{message}"
    );

    std::fs::write(&config_path, "{ not json").unwrap();
    assert!(load_error(dir.path()).contains("bad model config"));
}

/// Stand-in for the YAML classifier: a fixed answer per message.
struct ScriptedYaml;

impl Classifier for ScriptedYaml {
    fn classify(&self, text: &str) -> Prediction {
        let (intent, confidence, rule) = match text {
            "quiero hablar con un ejecutivo" => (Intent::ContactarEjecutivo, 0.95, None),
            "algo con el internet" => (Intent::ReiniciarServicios, 0.55, None),
            "lo veo con mi señora, chao" => (Intent::Salir, 0.05, Some(Rule::Farewell)),
            "el wifi del hotel no anda" => (Intent::Fallback, 0.6, Some(Rule::ElsewhereOutage)),
            _ => (Intent::Fallback, 0.1, None),
        };
        let decision = if intent == Intent::Fallback {
            Decision::Fallback
        } else {
            Decision::Intent(intent)
        };
        Prediction {
            intent,
            confidence,
            ranking: if intent == Intent::Fallback {
                Vec::new()
            } else {
                vec![(intent, confidence)]
            },
            decision,
            topic: None,
            rule,
        }
    }
}

/// Counts the calls reaching the wrapped classifier.
struct Counting {
    inner: Arc<dyn Classifier>,
    calls: AtomicUsize,
}

impl Classifier for Counting {
    fn classify(&self, text: &str) -> Prediction {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.classify(text)
    }
}

#[test]
fn hybrid_asks_the_model_only_when_yaml_is_unsure() {
    let dir = tempfile::tempdir().unwrap();
    let model: Arc<dyn Classifier> = Arc::new(tiny_bert(dir.path(), &TinySpec::default()));
    let counting = Arc::new(Counting {
        inner: Arc::clone(&model),
        calls: AtomicUsize::new(0),
    });
    let options = HybridOptions {
        unsure_below: 0.7,
        model_weight: 0.5,
        ..HybridOptions::default()
    };
    let hybrid = HybridClassifier::new(Arc::new(ScriptedYaml), counting.clone(), options);

    let confident = hybrid.classify("quiero hablar con un ejecutivo");
    assert_eq!(
        confident,
        ScriptedYaml.classify("quiero hablar con un ejecutivo")
    );
    assert_eq!(counting.calls.load(Ordering::SeqCst), 0);

    // Low YAML confidence: the model is asked and the scores are combined.
    let text = "algo con el internet";
    let combined = hybrid.classify(text);
    assert_eq!(counting.calls.load(Ordering::SeqCst), 1);
    let model_ranking = model.classify(text).ranking;
    let model_score = |intent| {
        model_ranking
            .iter()
            .find(|(i, _)| *i == intent)
            .map(|(_, s)| *s)
            .unwrap()
    };
    for (intent, score) in &combined.ranking {
        let yaml = if *intent == Intent::ReiniciarServicios {
            0.55
        } else {
            0.0
        };
        let expected = 0.5 * model_score(*intent) + 0.5 * yaml;
        assert!(
            (score - expected).abs() < 1e-6,
            "{intent}: {score} vs {expected}"
        );
    }

    // YAML abstains: the model is asked too.
    hybrid.classify("zzz");
    assert_eq!(counting.calls.load(Ordering::SeqCst), 2);

    // A rule after the model decided, however unsure: its decision stands, unasked.
    for ruled in ["lo veo con mi señora, chao", "el wifi del hotel no anda"] {
        assert_eq!(hybrid.classify(ruled), ScriptedYaml.classify(ruled));
    }
    assert_eq!(counting.calls.load(Ordering::SeqCst), 2);

    // Modes.
    let yaml_only = HybridClassifier::new(
        Arc::new(ScriptedYaml),
        counting.clone(),
        HybridOptions {
            mode: ClassifierMode::Yaml,
            ..HybridOptions::default()
        },
    );
    yaml_only.classify("zzz");
    assert_eq!(counting.calls.load(Ordering::SeqCst), 2);
    let model_only = HybridClassifier::new(
        Arc::new(ScriptedYaml),
        counting.clone(),
        HybridOptions {
            mode: ClassifierMode::ZeroShot,
            ..HybridOptions::default()
        },
    );
    let answer = model_only.classify("quiero hablar con un ejecutivo");
    assert_eq!(counting.calls.load(Ordering::SeqCst), 3);
    assert_eq!(answer, model.classify("quiero hablar con un ejecutivo"));
}

#[test]
fn select_builds_the_model_from_cli_args() {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_tiny_bert(dir.path(), &TinySpec::default()).unwrap();
    let model = ZeroShotClassifier::load(
        dir.path(),
        &fixture::descriptions(),
        ZeroShotOptions::default(),
    )
    .unwrap();
    let args = ClassifierArgs {
        classifier: ClassifierMode::ZeroShot,
        model: Some(dir.path().to_path_buf()),
        ..ClassifierArgs::default()
    };
    let built = select::build(&args, Arc::new(ScriptedYaml), &fixture::descriptions()).unwrap();
    for text in MESSAGES {
        assert_eq!(built.classify(text), model.classify(text));
    }

    // Too few descriptions: refused, or the YAML classifier with --model-optional.
    let few = &fixture::descriptions()[..1];
    let err = select::build(&args, Arc::new(ScriptedYaml), few)
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("at least 2 intents"), "{err:#}");
    let optional = ClassifierArgs {
        model_optional: true,
        ..args
    };
    let built = select::build(&optional, Arc::new(ScriptedYaml), few).unwrap();
    assert_eq!(built.classify("zzz"), ScriptedYaml.classify("zzz"));
}

/// A model that blocks until released, reporting when it starts.
struct Gate {
    entered: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
}

impl Classifier for Gate {
    fn classify(&self, text: &str) -> Prediction {
        let _ = self.entered.lock().unwrap().send(());
        let _ = self.release.lock().unwrap().recv();
        if text == "panic" {
            panic!("model failure");
        }
        Prediction {
            intent: Intent::Salir,
            confidence: 0.99,
            ranking: vec![(Intent::Salir, 0.99)],
            decision: Decision::Intent(Intent::Salir),
            topic: None,
            rule: None,
        }
    }
}

fn gate() -> (Arc<Gate>, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let gate = Gate {
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    };
    (Arc::new(gate), entered_rx, release_tx)
}

async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn worker_falls_back_to_yaml_when_saturated() {
    for queue in [0, 1] {
        let (model, entered, release) = gate();
        let options = WorkerOptions {
            threads: 1,
            queue,
            answer_confident_inline: None,
        };
        let worker = ModelWorker::spawn(model, Arc::new(ScriptedYaml), options).unwrap();

        // The first message occupies the only thread. With a hand-over queue (size 0) it
        // is refused until the thread waits in `recv`, so retry until the model starts.
        let mut entered = entered;
        let busy = loop {
            let task = tokio::spawn({
                let worker = worker.clone();
                async move { worker.classify("zzz").await }
            });
            let (started, back) = tokio::task::spawn_blocking(move || {
                let started = entered.recv_timeout(Duration::from_millis(100)).is_ok();
                (started, entered)
            })
            .await
            .unwrap();
            entered = back;
            if started {
                break task;
            }
            assert_eq!(task.await.unwrap(), ScriptedYaml.classify("zzz"));
        };
        let saturated_before = worker.saturated();

        // Fill the queue (nothing to fill with size 0).
        let mut queued = Vec::new();
        for _ in 0..queue {
            let worker = worker.clone();
            queued.push(tokio::spawn(async move { worker.classify("zzz").await }));
        }
        let expected_pending = 1 + queue;
        wait_until("the queue to fill", || worker.pending() == expected_pending).await;

        // Saturated: answered at once by the YAML classifier.
        let answer = tokio::time::timeout(Duration::from_secs(5), worker.classify("zzz"))
            .await
            .expect("a saturated worker must not wait");
        assert_eq!(answer, ScriptedYaml.classify("zzz"), "queue {queue}");
        assert_eq!(worker.saturated(), saturated_before + 1, "queue {queue}");

        for _ in 0..expected_pending {
            release.send(()).unwrap();
        }
        assert_eq!(busy.await.unwrap().intent, Intent::Salir);
        for task in queued {
            assert_eq!(task.await.unwrap().intent, Intent::Salir);
        }
        assert_eq!(worker.answered(), expected_pending as u64);
        assert_eq!(worker.pending(), 0);
    }
}

#[tokio::test]
async fn worker_survives_a_model_panic() {
    let (model, _entered, release) = gate();
    let worker =
        ModelWorker::spawn(model, Arc::new(ScriptedYaml), WorkerOptions::default()).unwrap();
    release.send(()).unwrap();
    release.send(()).unwrap();
    assert_eq!(
        worker.classify("panic").await,
        ScriptedYaml.classify("panic")
    );
    assert_eq!(worker.failed(), 1);
    assert_eq!(worker.classify("zzz").await.intent, Intent::Salir);
}

#[tokio::test]
async fn worker_runs_the_real_model_off_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_tiny_bert(dir.path(), &TinySpec::default()).unwrap();
    let args = ClassifierArgs {
        classifier: ClassifierMode::Hybrid,
        model: Some(dir.path().to_path_buf()),
        model_threads: 2,
        ..ClassifierArgs::default()
    };
    let worker =
        select::build_worker(&args, Arc::new(ScriptedYaml), &fixture::descriptions()).unwrap();
    assert!(worker.has_threads());
    let direct = select::build(&args, Arc::new(ScriptedYaml), &fixture::descriptions()).unwrap();

    // Confident YAML answers are given inline, the others go to the model threads.
    let confident = worker.classify("quiero hablar con un ejecutivo").await;
    assert_eq!(
        confident.decision,
        Decision::Intent(Intent::ContactarEjecutivo)
    );
    assert_eq!(worker.answered(), 0);
    let tasks: Vec<_> = MESSAGES
        .iter()
        .map(|text| {
            let worker = worker.clone();
            tokio::spawn(async move { worker.classify(text).await })
        })
        .collect();
    for (text, task) in MESSAGES.iter().zip(tasks) {
        assert_eq!(task.await.unwrap(), direct.classify(text), "{text}");
    }
    assert_eq!(
        worker.answered() + worker.saturated(),
        MESSAGES.len() as u64
    );
}

/// Rewrites `model.safetensors` as rust-bert's `rust_model.ot` (tch `save_multi` format).
fn convert_to_ot(dir: &Path) {
    let bytes = std::fs::read(dir.join("model.safetensors")).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let tensors: Vec<(String, tch::Tensor)> = file
        .tensors()
        .into_iter()
        .filter(|(_, view)| view.dtype() == safetensors::Dtype::F32)
        .map(|(name, view)| {
            let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
            let tensor = tch::Tensor::of_data_size(view.data(), &shape, tch::Kind::Float);
            (name, tensor)
        })
        .collect();
    tch::Tensor::save_multi(&tensors, dir.join("rust_model.ot")).unwrap();
    std::fs::remove_file(dir.join("model.safetensors")).unwrap();
}

#[test]
fn rust_model_ot_weights_load_like_safetensors() {
    let dir = tempfile::tempdir().unwrap();
    let from_safetensors = tiny_bert(dir.path(), &TinySpec::default());
    convert_to_ot(dir.path());
    let from_ot = ZeroShotClassifier::load(
        dir.path(),
        &fixture::descriptions(),
        ZeroShotOptions::default(),
    )
    .unwrap();
    assert!(from_ot.info().weights.ends_with("rust_model.ot"));
    for text in MESSAGES {
        assert_close(
            &from_ot.score(text).unwrap().intents,
            &from_safetensors.score(text).unwrap().intents,
            1e-6,
        );
    }
    assert!(from_ot.score_batch(&[]).unwrap().is_empty());

    // A .ot file for a different shape names the tensor instead of broadcasting.
    let config_path = dir.path().join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["intermediate_size"] = 48.into();
    std::fs::write(&config_path, config.to_string()).unwrap();
    assert!(load_error(dir.path()).contains("intermediate.dense"));

    std::fs::write(dir.path().join("rust_model.ot"), b"garbage").unwrap();
    let message = load_error(dir.path());
    assert!(
        message.contains("not a valid rust_model.ot file"),
        "{message}"
    );
}
