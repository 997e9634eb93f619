//! Choosing the classifier from the command line, and running a slow one off the runtime.
//!
//! Always compiled: without the `zero-shot` feature, asking for the model is a clear
//! startup error (or, with `--model-optional`, a warning and the YAML classifier).
//!
//! [`ModelWorker`] runs a blocking classifier (the NLI model) on dedicated threads behind
//! a BOUNDED queue. When the queue is full the message is answered by the YAML classifier
//! at once, and the saturation counter goes up: a burst of customers degrades answers
//! instead of latency or memory.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use anyhow::{bail, Context};
use tokio::sync::{oneshot, Notify};

use super::{Classifier, Intent, Prediction};

/// The zero-shot hypothesis template: `{}` is replaced by each intent's description.
pub const DEFAULT_TEMPLATE: &str = "Este mensaje trata de {}.";

/// Message the user sees when the model is requested from a build without it.
pub const NOT_BUILT: &str =
    "built without the zero-shot feature: rebuild with --features zero-shot";

/// Which classifier answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClassifierMode {
    /// The YAML intents classifier only.
    #[default]
    Yaml,
    /// The zero-shot NLI model only.
    ZeroShot,
    /// YAML first; the model only when the YAML classifier is unsure.
    Hybrid,
}

/// Classifier options of the server and of `eval`. [`ClassifierArgs::default`] holds the
/// defaults (the command line shows the same values).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierArgs {
    /// Which classifier answers free text.
    pub classifier: ClassifierMode,

    /// Zero-shot NLI model folder (config.json, tokenizer, model.safetensors); see
    /// models/README.md.
    pub model: Option<PathBuf>,

    /// If the model cannot be loaded, log a warning and use the YAML classifier instead of
    /// refusing to start.
    pub model_optional: bool,

    /// Zero-shot: abstain when the best intent's score is below this.
    pub zero_shot_threshold: f32,

    /// Zero-shot: abstain when the best hypothesis' own entailment probability is below
    /// this (0 turns it off).
    pub min_entailment: f32,

    /// Zero-shot and hybrid: ask to clarify when the two best scores are closer than this.
    pub clarify_margin: f32,

    /// Zero-shot hypothesis template; `{}` is replaced by the intent's description.
    pub hypothesis_template: String,

    /// Hybrid: ask the model when the YAML confidence is below this.
    pub hybrid_threshold: f32,

    /// Hybrid: weight of the model when combining with the YAML scores (0..1).
    pub hybrid_weight: f32,

    /// Messages that may wait for the model; beyond this the YAML classifier answers.
    pub model_queue: usize,

    /// Threads taking messages from the queue. One model runs one batch at a time (its
    /// tensors sit behind a mutex), so more threads only overlap tokenisation; libtorch
    /// parallelises each pass itself (--torch-threads).
    pub model_threads: u16,

    /// libtorch intra-op threads (default: libtorch's choice, usually one per core).
    pub torch_threads: Option<usize>,
}

impl Default for ClassifierArgs {
    fn default() -> Self {
        ClassifierArgs {
            classifier: ClassifierMode::Yaml,
            model: None,
            model_optional: false,
            zero_shot_threshold: 0.5,
            min_entailment: 0.5,
            clarify_margin: 0.1,
            hypothesis_template: DEFAULT_TEMPLATE.into(),
            hybrid_threshold: 0.7,
            hybrid_weight: 0.5,
            model_queue: 16,
            model_threads: 1,
            torch_threads: None,
        }
    }
}

/// The classifiers a server or `eval` run uses, built from one intents file.
pub struct Classifiers {
    /// The YAML classifier (cheap; also the fallback when the model is saturated).
    pub yaml: Arc<dyn Classifier>,
    /// What `--classifier` selects, answering synchronously (blocks while the model runs).
    pub selected: Arc<dyn Classifier>,
    /// The same, for async callers: the model runs on its own threads behind a bounded
    /// queue (inline when no model is in use).
    pub worker: ModelWorker,
}

/// Loads the intents (`None`: the embedded `intents/es.yaml`) and builds the classifiers
/// the arguments ask for; the intents' descriptions become the zero-shot hypotheses.
pub fn load(
    args: &ClassifierArgs,
    intents: Option<&std::path::Path>,
) -> anyhow::Result<Classifiers> {
    let yaml = super::load_classifier(intents)?;
    if args.classifier == ClassifierMode::Yaml {
        return Ok(Classifiers {
            selected: yaml.clone(),
            worker: ModelWorker::inline(yaml.clone()),
            yaml,
        });
    }
    let data = super::load_training_data(intents)?;
    let descriptions = descriptions(&data);
    // One model, shared by the synchronous handle and the worker threads.
    let Some(model) = build_model(args, &yaml, &descriptions)? else {
        return Ok(Classifiers {
            selected: yaml.clone(),
            worker: ModelWorker::inline(yaml.clone()),
            yaml,
        });
    };
    let worker = ModelWorker::spawn(model.clone(), yaml.clone(), worker_options(args))
        .context("starting the model threads")?;
    Ok(Classifiers {
        yaml,
        selected: model,
        worker,
    })
}

/// Each menu intent's Spanish description, in menu order (intents without one are left
/// out: the model cannot score them).
pub fn descriptions(data: &super::data::TrainingData) -> Vec<(Intent, String)> {
    Intent::OPTIONS
        .iter()
        .filter_map(|intent| Some((*intent, data.intent(*intent)?.description.clone()?)))
        .collect()
}

/// Builds the classifier the arguments ask for. `yaml` is the YAML classifier and
/// `descriptions` its per-intent descriptions (the zero-shot hypotheses).
///
/// The returned classifier blocks for the model's inference; async callers use
/// [`build_worker`].
pub fn build(
    args: &ClassifierArgs,
    yaml: Arc<dyn Classifier>,
    descriptions: &[(Intent, String)],
) -> anyhow::Result<Arc<dyn Classifier>> {
    Ok(build_model(args, &yaml, descriptions)?.unwrap_or(yaml))
}

/// Like [`build`], wrapped for async callers: a [`ModelWorker`] with `--model-threads`
/// threads and a `--model-queue` queue when a model is in use, else one that answers
/// inline with the YAML classifier.
pub fn build_worker(
    args: &ClassifierArgs,
    yaml: Arc<dyn Classifier>,
    descriptions: &[(Intent, String)],
) -> anyhow::Result<ModelWorker> {
    match build_model(args, &yaml, descriptions)? {
        None => Ok(ModelWorker::inline(yaml)),
        Some(model) => ModelWorker::spawn(model, yaml, worker_options(args))
            .context("starting the model threads"),
    }
}

fn worker_options(args: &ClassifierArgs) -> WorkerOptions {
    WorkerOptions {
        threads: usize::from(args.model_threads),
        queue: args.model_queue,
        // In hybrid mode a confident YAML answer never needs to wait in the queue.
        answer_confident_inline: (args.classifier == ClassifierMode::Hybrid)
            .then_some(args.hybrid_threshold),
    }
}

/// `None` when the YAML classifier alone should answer.
fn build_model(
    args: &ClassifierArgs,
    yaml: &Arc<dyn Classifier>,
    descriptions: &[(Intent, String)],
) -> anyhow::Result<Option<Arc<dyn Classifier>>> {
    if args.classifier == ClassifierMode::Yaml {
        return Ok(None);
    }
    let Some(dir) = &args.model else {
        bail!(
            "--classifier {} needs --model DIR (see models/README.md)",
            mode_name(args.classifier)
        );
    };
    match load_model(args, dir, yaml, descriptions) {
        Ok(model) => Ok(Some(model)),
        Err(err) if args.model_optional => {
            tracing::warn!(
                cause = format!("{err:#}"),
                "zero-shot model unavailable (--model-optional): using the YAML classifier"
            );
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

fn mode_name(mode: ClassifierMode) -> &'static str {
    match mode {
        ClassifierMode::Yaml => "yaml",
        ClassifierMode::ZeroShot => "zero-shot",
        ClassifierMode::Hybrid => "hybrid",
    }
}

#[cfg(feature = "zero-shot")]
fn load_model(
    args: &ClassifierArgs,
    dir: &std::path::Path,
    yaml: &Arc<dyn Classifier>,
    descriptions: &[(Intent, String)],
) -> anyhow::Result<Arc<dyn Classifier>> {
    use super::zero_shot::{HybridClassifier, ZeroShotClassifier};

    let model = ZeroShotClassifier::load(dir, descriptions, args.zero_shot_options())
        .with_context(|| format!("loading the zero-shot model {}", dir.display()))?;
    let info = model.info();
    tracing::info!(
        model_type = %info.model_type,
        weights = %info.weights.display(),
        parameters = info.parameters,
        load_ms = info.load_time.as_millis() as u64,
        "zero-shot model loaded"
    );
    Ok(Arc::new(HybridClassifier::new(
        Arc::clone(yaml),
        Arc::new(model),
        args.hybrid_options(),
    )))
}

#[cfg(feature = "zero-shot")]
impl ClassifierArgs {
    /// The model's tuning these arguments ask for; with the defaults, the defaults of
    /// [`ZeroShotOptions`](super::zero_shot::ZeroShotOptions) (defined once, here).
    pub(crate) fn zero_shot_options(&self) -> super::zero_shot::ZeroShotOptions {
        super::zero_shot::ZeroShotOptions {
            template: self.hypothesis_template.clone(),
            threshold: self.zero_shot_threshold,
            clarify_margin: self.clarify_margin,
            min_entailment: self.min_entailment,
            max_tokens: super::zero_shot::MAX_TOKENS,
            torch_threads: self.torch_threads,
        }
    }

    /// The routing between the YAML classifier and the model these arguments ask for.
    pub(crate) fn hybrid_options(&self) -> super::zero_shot::HybridOptions {
        super::zero_shot::HybridOptions {
            mode: self.classifier,
            unsure_below: self.hybrid_threshold,
            model_weight: self.hybrid_weight,
            threshold: self.zero_shot_threshold,
            clarify_margin: self.clarify_margin,
        }
    }
}

#[cfg(not(feature = "zero-shot"))]
fn load_model(
    args: &ClassifierArgs,
    _dir: &std::path::Path,
    _yaml: &Arc<dyn Classifier>,
    _descriptions: &[(Intent, String)],
) -> anyhow::Result<Arc<dyn Classifier>> {
    bail!("--classifier {}: {NOT_BUILT}", mode_name(args.classifier))
}

/// Sizing of a [`ModelWorker`].
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerOptions {
    /// Threads running the classifier (at least 1).
    pub threads: usize,
    /// Messages that may wait beyond those being classified (0 = hand-over only).
    pub queue: usize,
    /// When set, the fallback classifier is asked first, inline, and its answer is used
    /// directly when confident (decision `Intent` with confidence at least this).
    pub answer_confident_inline: Option<f32>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            threads: 1,
            queue: 16,
            answer_confident_inline: None,
        }
    }
}

/// A classifier that may still be training. The server listens while the YAML classifier
/// trains (most of its start-up time): logins and menu numbers need no classifier, and the
/// rare free-text message that comes first waits for it (at most the training time).
#[derive(Clone)]
struct Trained(Arc<TrainedSlot>);

/// Where a classifier in training lands.
struct TrainedSlot {
    classifier: OnceLock<Arc<dyn Classifier>>,
    ready: Notify,
}

impl TrainedSlot {
    /// Hands over the trained classifier and wakes whoever waits for it (only the first
    /// call counts).
    fn fill(&self, classifier: Arc<dyn Classifier>) {
        let _ = self.classifier.set(classifier);
        self.ready.notify_waiters();
    }
}

impl Trained {
    fn now(classifier: Arc<dyn Classifier>) -> Trained {
        Trained(Arc::new(TrainedSlot {
            classifier: OnceLock::from(classifier),
            ready: Notify::new(),
        }))
    }

    fn later() -> (Trained, Arc<TrainedSlot>) {
        let slot = Arc::new(TrainedSlot {
            classifier: OnceLock::new(),
            ready: Notify::new(),
        });
        (Trained(Arc::clone(&slot)), slot)
    }

    async fn get(&self) -> &Arc<dyn Classifier> {
        loop {
            if let Some(classifier) = self.0.classifier.get() {
                return classifier;
            }
            // Registered before the second look, so a `fill` in between is not missed.
            let ready = self.0.ready.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            if let Some(classifier) = self.0.classifier.get() {
                return classifier;
            }
            ready.await;
        }
    }
}

/// A classifier whose training failed: every message is "not understood", so customers
/// still have the menu's numbers.
struct Untrained;

impl Classifier for Untrained {
    fn classify(&self, _text: &str) -> Prediction {
        Prediction::not_understood()
    }
}

/// Starts loading the server's classifier on a thread of its own, and answers once the
/// server may listen: with the YAML classifier (the default) as soon as the intents file
/// is parsed and valid, training going on meanwhile (a free-text message that comes first
/// waits for it); with a model, once everything is loaded. A bad intents file or model is
/// an error here, before listening.
pub fn start_loading(
    args: ClassifierArgs,
    intents: Option<PathBuf>,
) -> std::io::Result<oneshot::Receiver<anyhow::Result<ModelWorker>>> {
    let (done, loaded) = oneshot::channel();
    // A thread that ends with training, not one of the blocking pool's, which idle on
    // for 10 s with their allocator heaps.
    std::thread::Builder::new()
        .name("classifier-training".into())
        .spawn(move || {
            if args.classifier != ClassifierMode::Yaml {
                let _ = done.send(load(&args, intents.as_deref()).map(|c| c.worker));
                return;
            }
            if let Some(trained) = intents.is_none().then(super::embedded_if_trained).flatten() {
                let _ = done.send(Ok(ModelWorker::inline(trained)));
                return;
            }
            let data = match super::load_training_data(intents.as_deref()) {
                Ok(data) => data,
                Err(err) => {
                    let _ = done.send(Err(err.into()));
                    return;
                }
            };
            let (worker, slot) = ModelWorker::inline_when_trained();
            let _ = done.send(Ok(worker));
            let started = std::time::Instant::now();
            match std::panic::catch_unwind(|| super::train(&data, intents.as_deref())) {
                Ok(classifier) => {
                    tracing::info!(
                        training_ms = started.elapsed().as_millis() as u64,
                        examples = data.examples().count(),
                        "classifier trained"
                    );
                    slot.fill(classifier);
                }
                Err(_) => {
                    tracing::error!(
                        "training the classifier failed: free text is not understood, menu numbers work"
                    );
                    slot.fill(Arc::new(Untrained));
                }
            }
        })?;
    Ok(loaded)
}

struct Job {
    text: String,
    reply: oneshot::Sender<Prediction>,
}

#[derive(Default)]
struct Counters {
    saturated: AtomicU64,
    failed: AtomicU64,
    answered: AtomicU64,
    pending: AtomicUsize,
}

/// Runs a blocking classifier on dedicated threads behind a bounded queue, so async
/// connection tasks never block the runtime. Cheap to clone.
#[derive(Clone)]
pub struct ModelWorker {
    sender: Option<SyncSender<Job>>,
    fallback: Trained,
    counters: Arc<Counters>,
    inline_below: Option<f32>,
}

impl ModelWorker {
    /// A worker without threads: every message is answered inline by `classifier` (for
    /// cheap classifiers such as the YAML one).
    pub fn inline(classifier: Arc<dyn Classifier>) -> ModelWorker {
        ModelWorker {
            sender: None,
            fallback: Trained::now(classifier),
            counters: Arc::default(),
            inline_below: None,
        }
    }

    /// A worker without threads whose classifier is still training: messages wait for it
    /// (see [`Trained`]). The returned slot receives it.
    fn inline_when_trained() -> (ModelWorker, Arc<TrainedSlot>) {
        let (fallback, slot) = Trained::later();
        let worker = ModelWorker {
            sender: None,
            fallback,
            counters: Arc::default(),
            inline_below: None,
        };
        (worker, slot)
    }

    /// Waits until the classifier is trained (at once unless it is still training).
    pub async fn trained(&self) {
        self.fallback.get().await;
    }

    /// Starts `options.threads` threads classifying with `model`. `fallback` answers when
    /// the queue is full or the model fails. The threads stop when every clone of the
    /// worker is dropped.
    pub fn spawn(
        model: Arc<dyn Classifier>,
        fallback: Arc<dyn Classifier>,
        options: WorkerOptions,
    ) -> std::io::Result<ModelWorker> {
        let (sender, receiver) = mpsc::sync_channel::<Job>(options.queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let counters = Arc::new(Counters::default());
        for index in 0..options.threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let model = Arc::clone(&model);
            let counters = Arc::clone(&counters);
            std::thread::Builder::new()
                .name(format!("classifier-{index}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job, never while
                    // classifying, so the other threads can pick up work.
                    let job = {
                        let receiver = receiver.lock().unwrap_or_else(PoisonError::into_inner);
                        match receiver.recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        }
                    };
                    let result =
                        std::panic::catch_unwind(AssertUnwindSafe(|| model.classify(&job.text)));
                    counters.pending.fetch_sub(1, Ordering::Relaxed);
                    match result {
                        Ok(prediction) => {
                            counters.answered.fetch_add(1, Ordering::Relaxed);
                            // The asker may have gone away; nothing to do then.
                            let _ = job.reply.send(prediction);
                        }
                        // Dropping the reply makes the asker fall back.
                        Err(_) => {
                            counters.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })?;
        }
        Ok(ModelWorker {
            sender: Some(sender),
            fallback: Trained::now(fallback),
            counters,
            inline_below: options.answer_confident_inline,
        })
    }

    /// Classifies `text` on the worker threads; answers with the fallback classifier at
    /// once when the queue is full, and when the model panics.
    pub async fn classify(&self, text: &str) -> Prediction {
        let fallback = self.fallback.get().await;
        let Some(sender) = &self.sender else {
            return fallback.classify(text);
        };
        if let Some(unsure_below) = self.inline_below {
            let prediction = fallback.classify(text);
            if matches!(prediction.decision, super::Decision::Intent(_))
                && prediction.confidence >= unsure_below
            {
                return prediction;
            }
        }
        let (reply, answer) = oneshot::channel();
        self.counters.pending.fetch_add(1, Ordering::Relaxed);
        let job = Job {
            text: text.to_string(),
            reply,
        };
        match sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                self.counters.pending.fetch_sub(1, Ordering::Relaxed);
                self.counters.saturated.fetch_add(1, Ordering::Relaxed);
                return fallback.classify(&job.text);
            }
        }
        match answer.await {
            Ok(prediction) => prediction,
            Err(_) => fallback.classify(text),
        }
    }

    /// Messages answered by the fallback because the queue was full.
    pub fn saturated(&self) -> u64 {
        self.counters.saturated.load(Ordering::Relaxed)
    }

    /// Messages the model failed on (panicked); they were answered by the fallback.
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }

    /// Messages answered by the model threads.
    pub fn answered(&self) -> u64 {
        self.counters.answered.load(Ordering::Relaxed)
    }

    /// Messages queued or being classified right now.
    pub fn pending(&self) -> usize {
        self.counters.pending.load(Ordering::Relaxed)
    }

    /// Whether messages go to worker threads (false: answered inline).
    pub fn has_threads(&self) -> bool {
        self.sender.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    struct Fixed(Intent);

    impl Classifier for Fixed {
        fn classify(&self, _text: &str) -> Prediction {
            Prediction {
                intent: self.0,
                confidence: 1.0,
                ranking: vec![(self.0, 1.0)],
                decision: super::super::Decision::Intent(self.0),
                topic: None,
                rule: None,
            }
        }
    }

    #[test]
    fn yaml_mode_returns_the_yaml_classifier() {
        let yaml: Arc<dyn Classifier> = Arc::new(Fixed(Intent::Salir));
        let built = build(&ClassifierArgs::default(), Arc::clone(&yaml), &[]).unwrap();
        assert!(Arc::ptr_eq(&built, &yaml));
    }

    #[test]
    fn model_modes_need_a_model_dir() {
        let yaml: Arc<dyn Classifier> = Arc::new(Fixed(Intent::Salir));
        for mode in [ClassifierMode::ZeroShot, ClassifierMode::Hybrid] {
            let args = ClassifierArgs {
                classifier: mode,
                ..ClassifierArgs::default()
            };
            let err = build(&args, Arc::clone(&yaml), &[]).err().unwrap();
            assert!(format!("{err:#}").contains("needs --model DIR"), "{err:#}");
        }
    }

    #[test]
    fn unloadable_model_is_an_error_unless_optional() {
        let yaml: Arc<dyn Classifier> = Arc::new(Fixed(Intent::Salir));
        let dir = tempfile::tempdir().unwrap();
        let mut args = ClassifierArgs {
            classifier: ClassifierMode::Hybrid,
            model: Some(dir.path().join("nothing-here")),
            ..ClassifierArgs::default()
        };
        let descriptions = [
            (Intent::Salir, "terminar la conversación".to_string()),
            (
                Intent::ContactarEjecutivo,
                "hablar con una persona".to_string(),
            ),
        ];
        let err = build(&args, Arc::clone(&yaml), &descriptions)
            .err()
            .unwrap();
        let message = format!("{err:#}");
        if cfg!(feature = "zero-shot") {
            assert!(message.contains("config.json"), "{message}");
        } else {
            assert!(message.contains(NOT_BUILT), "{message}");
        }
        args.model_optional = true;
        let built = build(&args, Arc::clone(&yaml), &descriptions).unwrap();
        assert!(Arc::ptr_eq(&built, &yaml));
    }

    #[tokio::test]
    async fn inline_worker_answers_with_its_classifier() {
        let worker = ModelWorker::inline(Arc::new(Fixed(Intent::Salir)));
        assert!(!worker.has_threads());
        assert_eq!(worker.classify("chao").await.intent, Intent::Salir);
        assert_eq!(worker.saturated(), 0);
    }

    #[tokio::test]
    async fn a_message_waits_for_the_classifier_in_training_then_gets_its_answer() {
        let (worker, slot) = ModelWorker::inline_when_trained();
        let asking = tokio::spawn({
            let worker = worker.clone();
            async move { worker.classify("chao").await.intent }
        });
        // Let the asker run until it waits.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(
            !asking.is_finished(),
            "answered before the classifier was trained"
        );
        slot.fill(Arc::new(Fixed(Intent::Salir)));
        assert_eq!(asking.await.unwrap(), Intent::Salir);
        // Later messages find it at once; a second fill changes nothing.
        slot.fill(Arc::new(Fixed(Intent::ReiniciarServicios)));
        assert_eq!(worker.classify("chao").await.intent, Intent::Salir);
        worker.trained().await;
    }

    #[tokio::test]
    async fn loading_for_the_server_refuses_a_bad_intents_file_before_listening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.yaml");
        std::fs::write(&path, "version: \"3.1\"\nnlu:\n  - intent: [\n").unwrap();
        let loaded = start_loading(ClassifierArgs::default(), Some(path.clone()));
        let err = loaded
            .unwrap()
            .await
            .unwrap()
            .err()
            .expect("a bad file is an error");
        assert!(format!("{err:#}").contains("bad.yaml"), "{err:#}");
    }

    #[tokio::test]
    async fn loading_for_the_server_answers_before_training_and_classifies_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mini.yaml");
        std::fs::write(
            &path,
            "version: \"3.1\"\nnlu:\n  - intent: salir\n    examples: |\n      - chao\n      - adios\n      - me voy\n  - intent: reiniciar_servicios\n    examples: |\n      - reinicien el modem\n      - reiniciar internet\n      - se cayo el wifi\n",
        )
        .unwrap();
        let worker = start_loading(ClassifierArgs::default(), Some(path))
            .unwrap()
            .await
            .unwrap()
            .unwrap();
        worker.trained().await;
        assert_eq!(
            worker.classify("reinicien el modem").await.intent,
            Intent::ReiniciarServicios
        );
    }
}
