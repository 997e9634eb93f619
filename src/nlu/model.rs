//! The default classifier: a multinomial logistic regression trained at start-up on the
//! YAML examples, over two TF-IDF channels, each L2-normalised on its own: word stems,
//! stem bigrams and keyword/regex/lookup evidence; and character 2- to 5-grams of each
//! normalised word, padded at the word's boundaries (the channel that copes with typos
//! and word forms the lexicon does not know).
//!
//! The text goes through the lexicon first: normalisation, synonyms, typo correction
//! (a phonetic key for Chilean spellings plus a symmetric-delete index, so correcting an
//! unknown word costs a few hash look-ups, not a scan of the vocabulary) and Spanish
//! stemming. Messages are split into clauses at punctuation and contrast words ("pero",
//! "sino", "solo", "mejor"); a clause whose wish is negated ("no quiero salir")
//! is dropped when another clause carries evidence, clauses before a contrast word
//! weigh less, and so do clauses that only describe the problem when another one asks
//! for something. A message asking for two options ("reiniciar el modem o hablar con
//! alguien") gets a clarification.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rust_stemmers::{Algorithm, Stemmer};

use super::data::{Thresholds, TrainingData};
use super::text::{self, CLAUSE_BREAK};
use super::{entities, Classifier, Decision, Intent, Prediction, Topic};

/// Classes of the model: the four options, then the fallback.
const CLASSES: [Intent; 5] = [
    Intent::RevisarAtenciones,
    Intent::ReiniciarServicios,
    Intent::ContactarEjecutivo,
    Intent::Salir,
    Intent::Fallback,
];
const NCLASS: usize = CLASSES.len();
const FALLBACK: usize = 4;

/// Words that negate a following wish (a want or an action, see below).
const NEGATORS: [&str; 5] = ["no", "ni", "nunca", "tampoco", "jamas"];
/// Wants whose negation means "not this" ("no quiero salir", "no necesito un ejecutivo"),
/// in any form (matched by stem).
const DESIRE_WORDS: &[&str] = &[
    "quiero",
    "quisiera",
    "queria",
    "necesito",
    "deseo",
    "busco",
    "interesa",
    "gustaria",
    "pido",
    "prefiero",
    // "no es necesario", "no hace falta"
    "necesario",
    "falta",
];
/// Actions whose negation means "not this" only as an infinitive or an imperative ("no
/// me corten el internet", "no reseteen nada", "no quiero salir"), so matched by the
/// exact word: their other forms describe a fault ("no sale imagen", "el modem no se
/// reinicia", "el deco no se apaga").
const ACTION_WISHES: &[&str] = &[
    "salir",
    "reiniciar",
    "reinicien",
    "reinicies",
    "hablar",
    "hablen",
    "ver",
    "revisar",
    "revisen",
    "contactar",
    "contacten",
    "esperar",
    "seguir",
    "corten",
    "cortar",
    "cortes",
    "apaguen",
    "apagar",
    "apagues",
    "reseteen",
    "resetear",
    "resetees",
    "toquen",
    "toques",
    "tocar",
    "desconecten",
    "desconectar",
    "desconectes",
    // Passing the customer on: "no me pasen con un ejecutivo" (a blind probe set's "no
    // me pase con ejecutivos" was contactar_ejecutivo with 0.95).
    "pase",
    "pasen",
    "pasar",
    "comunique",
    "comuniquen",
    "comunicar",
    "transfiera",
    "transfieran",
    "transferir",
    "derive",
    "deriven",
    "derivar",
];
/// Pronouns right after a negator ("no me lo corten"): they do not count toward the
/// negation's reach.
const CLITICS: &[&str] = &[
    "me", "te", "le", "les", "lo", "la", "los", "las", "nos", "se",
];
/// Forms of "ir" that, followed by "a", make the "ir a" future ("no me vayan a cortar"):
/// the pair does not count toward the negation's reach either.
const IR_A: &[&str] = &["vayan", "vaya", "vayas", "van", "vas"];

/// The words a negator at the start of `after` reaches: three, after the pronouns right
/// behind it and an "ir a" future ("no me lo vayan a cortar el cable" reaches "cortar").
/// Only right behind it: an article further on is no pronoun ("no me llega la boleta, me
/// gustaría hablar con alguien" negates nothing).
fn negation_reach<'t, 'a>(after: &'t [Token<'a>]) -> &'t [Token<'a>] {
    let mut start = after
        .iter()
        .take_while(|t| CLITICS.contains(&t.raw))
        .count();
    if after.get(start).is_some_and(|t| IR_A.contains(&t.raw))
        && after.get(start + 1).is_some_and(|t| t.raw == "a")
    {
        start += 2;
    }
    &after[start..(start + 3).min(after.len())]
}
/// Whether token `i` of a normalised message is a change of mind: [`RETRACTION`] after
/// something, read as [`entities::changes_mind`] reads it.
fn retracts(raw: &[&str], i: usize) -> bool {
    raw[i] == RETRACTION
        && i > 0
        && entities::changes_mind(
            Some(raw[i - 1]),
            raw.get(i + 1).copied(),
            raw.get(i + 2).copied(),
        )
}

/// Where the `nth` (from 0) [`RETRACTION`] word starts in `message` (as typed, any case; a
/// word of its own, not the start of "mejorar"). The normalised message has the same
/// [`RETRACTION`] words in the same order.
fn retraction_word(message: &str, nth: usize) -> Option<usize> {
    let bytes = message.as_bytes();
    let word = RETRACTION.as_bytes();
    let letter = |at: usize| {
        bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b >= 0x80)
    };
    (0..=bytes.len().checked_sub(word.len())?)
        .filter(|&at| {
            bytes[at..at + word.len()].eq_ignore_ascii_case(word)
                && !letter(at + word.len())
                && (at == 0 || !letter(at - 1))
        })
        .nth(nth)
}

/// Function words that are no evidence of what a clause asks for.
const STOPWORDS: [&str; 34] = [
    "que", "de", "la", "el", "los", "las", "un", "una", "y", "o", "a", "en", "con", "por", "para",
    "mi", "mis", "me", "se", "lo", "le", "es", "al", "del", "no", "si", "ya", "po", "pero", "nada",
    "mas", "solo", "tu", "te",
];
/// Words that ask for something: wants and common imperatives.
const REQUEST_WORDS: [&str; 29] = [
    "quiero",
    "necesito",
    "quisiera",
    "deseo",
    "prefiero",
    "solicito",
    "busco",
    "kiero",
    "pasame",
    "pasenme",
    "paseme",
    "comunicame",
    "comuniquenme",
    "comuniqueme",
    "contactame",
    "reinicien",
    "reinicia",
    // Not "reinicie": without its accent it is also "reinicié" (I restarted), which
    // describes the problem ("ya reinicié el modem y no funciona").
    "resetea",
    "reseteen",
    "muestrame",
    "muestreme",
    "dame",
    "deme",
    "llamenme",
    "ayudame",
    "ayudenme",
    "derivame",
    "transfiereme",
    "sacame",
];
/// Weight of clauses that only describe, when another clause asks.
const DESCRIPTION_WEIGHT: f32 = 0.8;

/// Confidence a part of a message needs to count as a second request.
const MULTI_REQUEST_CONFIDENCE: f32 = 0.7;

/// First-person wants; a second one in a clause starts a new clause.
const WANT_WORDS: [&str; 8] = [
    "quiero", "necesito", "quisiera", "deseo", "prefiero", "solicito", "busco", "kiero",
];
/// Words that make a following verb the object of the previous one ("no quiero que me
/// reinicien").
const OBJECT_LINKS: [&str; 12] = [
    "que", "q", "k", "me", "se", "te", "le", "lo", "la", "les", "nos", "ustedes",
];
/// Words that start a new clause which overrides the previous ones.
const CONTRAST_WORDS: [&str; 6] = ["pero", "sino", "solo", "solamente", "mejor", "ahora"];
/// The weight of what was said before a contrast word.
const CONTRASTED_WEIGHT: f32 = 0.6;
/// A change of mind: "mejor" starting a clause, or right after a bare "no" ("reinicien el
/// modem... no, mejor comuníqueme con alguien"). What was said before it is taken back: it
/// is neither evidence nor a second request to ask about.
const RETRACTION: &str = "mejor";
/// The intents file's lookup of other businesses' words (banks, shops, utilities...):
/// complaints about them are out of scope.
const OTHER_BUSINESSES: &str = "ajeno";

/// What another business can own that a customer of the company also has: a service, a
/// device, a technician, a web page ("el wifi del hotel", "el técnico de la lavadora", "la
/// página del SII"; for a device, see [`DEVICES`]).
const OWNED_THINGS: &[&str] = &[
    "modem",
    "router",
    "deco",
    "decodificador",
    "internet",
    "wifi",
    "senal",
    "red",
    "app",
    "aplicacion",
    "cable",
    "tele",
    "linea",
    "telefono",
    "fono",
    "conexion",
    "fibra",
    "datos",
    "tecnico",
    "tecnica",
    "pagina",
    "sitio",
    "web",
];

/// The company's equipment ([`OWNED_THINGS`]): in a business, the customer's own ("el
/// router del minimarket no enciende la luz de internet"), unless the customer says they
/// are there as a guest or an employee ("el deco del hotel donde estoy alojado").
const DEVICES: &[&str] = &["modem", "router", "deco", "decodificador"];

/// Places rented for the holidays, another business's only when the customer is on holiday
/// there (many a customer rents them out: "tengo unas cabañas en Chonchi").
const LODGINGS: &[&str] = &["cabana", "cabanas", "camping"];

/// Words that say the customer is in a place as a guest or an employee ([`DEVICES`]).
const VISITING: &[&str] = &[
    "alojado",
    "alojada",
    "hospedado",
    "hospedada",
    "quedando",
    "estoy",
    "trabajo",
    "visita",
];

/// Trades of the `ajeno` lookup a customer may run themselves: the service such a place
/// has is the customer's own ("no me funciona el internet del taller", "hace una semana que
/// el wifi de la botillería anda mal"), unless the message says they go or work there, or
/// that it is someone else's ([`own_business_at`]). A clinic's or a hotel's is not.
const OWN_TRADES: &[&str] = &[
    "taller",
    "botilleria",
    "peluqueria",
    "barberia",
    "minimarket",
    "almacen",
    "lavanderia",
    "tintoreria",
];

/// Businesses of the `ajeno` lookup a customer may say they run ("tengo un hostal",
/// "nuestro restaurante"; "mi gimnasio" is where one goes): then the service there is
/// theirs ([`own_business_at`]).
const RUN_TRADES: &[&str] = &[
    "restaurante",
    "restaurant",
    "restoran",
    "cafe",
    "cafeteria",
    "hostal",
    "hosteria",
    "hotel",
    "gimnasio",
    "farmacia",
    "funeraria",
    "teatro",
    "camping",
];

/// Other trades a company may be "de" ("la compañía de luz", "la empresa de la luz", "la
/// empresa de alarmas"): another business ([`YamlClassifier::other_business_at`]).
const OTHER_TRADES: &[&str] = &[
    "luz",
    "electricidad",
    "agua",
    "gas",
    "alarmas",
    "alarma",
    "seguridad",
    "mudanzas",
    "mudanza",
    "buses",
    "transporte",
    "seguros",
    "aseo",
    "basura",
    "gasfiteria",
];

/// What a company or supplier may be "de" that is no other trade: the company's own
/// services, what customers call it and what else a "de" starts ("una empresa de
/// telecomunicaciones", "esta empresa de porquería", "una empresa de este tamaño", "la
/// empresa de siempre"; see [`YamlClassifier::other_business_at`]).
const NOT_TRADES: &[&str] = &[
    // The company's own trade, and its debt collectors.
    "telefonia",
    "telefonos",
    "telecomunicaciones",
    "telecomunicacion",
    "comunicaciones",
    "telecom",
    "television",
    "celulares",
    "servicios",
    "ustedes",
    "cobranza",
    // What customers call it.
    "mierda",
    "porqueria",
    "cuarta",
    "quinta",
    "pacotilla",
    "ladrones",
    "rateros",
    "delincuentes",
    "abusadores",
    "estafadores",
    "chantas",
    "payasos",
    "mentirosos",
    "sinverguenza",
    "sinverguenzas",
    // How good, big or old it is.
    "confianza",
    "prestigio",
    "renombre",
    "verdad",
    "calidad",
    "lujo",
    "primera",
    "primer",
    "mala",
    "buena",
    "buenas",
    "este",
    "esta",
    "estas",
    "estos",
    "tanto",
    "tanta",
    "tantos",
    "tantas",
    "toda",
    "todo",
    "todos",
    "todas",
    "nombre",
    // What else a "de" starts besides a trade ("la compañía de nuevo me cobró doble", "la
    // empresa de siempre", "de manera arbitraria").
    "nuevo",
    "nueva",
    "siempre",
    "antes",
    "ahora",
    "manana",
    "ayer",
    "veras",
    "hecho",
    "repente",
    "pronto",
    "golpe",
    "inmediato",
    "igual",
    "vuelta",
    "manera",
    "forma",
    "otra",
    "otro",
    "otras",
    "otros",
    "alguna",
    "algun",
    "ninguna",
    "cualquier",
];

/// Lengths of the character n-grams (the character channel).
const CHAR_NGRAMS: std::ops::RangeInclusive<usize> = 2..=5;
/// L2 norm of the character channel in a message's vector (the other features have norm
/// 1).
const CHAR_CHANNEL_NORM: f32 = 1.0;

/// Passes of stochastic gradient descent over the training set.
const EPOCHS: usize = 20;
/// Examples whose own class already has probability above `1 - SKIP_LEARNT` are not
/// updated in that pass.
const SKIP_LEARNT: f32 = 1e-3;

/// Noisy copies of each training example (typo augmentation).
const TYPO_COPIES: usize = 3;

/// At most this many threads compute the training examples' features.
const TRAINING_THREADS: usize = 4;

/// Feature namespaces (first byte of the hashed feature).
const NS_WORD: u8 = b'w';
const NS_BIGRAM: u8 = b'b';
const NS_CHAR: u8 = b'c';
const NS_KEYWORD: u8 = b'k';
const NS_REGEX: u8 = b'r';
const NS_LOOKUP: u8 = b'l';
/// Any feature of a negated clause, re-hashed under this namespace (and, alone, the mark
/// that the message has a negated clause).
const NS_NEGATED: u8 = b'n';

/// Per-namespace multipliers applied on top of TF-IDF.
fn namespace_weight(ns: u8) -> f32 {
    match ns {
        NS_WORD => 1.0,
        NS_BIGRAM => 0.6,
        // The character channel is normalised on its own (see `finish_vector`).
        NS_CHAR => 1.0,
        NS_KEYWORD => 1.2,
        _ => 0.8,
    }
}

/// A hasher for keys that already are 64-bit hashes.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Hashed features with their weight and namespace, before vectorisation.
type RawFeatures = Vec<(u64, f32, u8)>;

type FeatureMap = HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>;

/// The lexicon's and the keyword tables' maps: built once from the intents file, so a
/// fixed, fast hasher (foldhash) instead of SipHash, which guards against hash flooding.
type StrMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// A text's hash, for an order and seeds that do not depend on where the text is.
fn text_hash(text: &str) -> u64 {
    feature_hash(0, &[text.as_bytes()])
}

/// FNV-1a over a namespace byte and some byte slices.
fn feature_hash(ns: u8, parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(ns);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            eat(0x1f);
        }
        for &b in *part {
            eat(b);
        }
    }
    h
}

/// What the lexicon knows about a word.
#[derive(Debug, Clone)]
struct WordInfo {
    /// Stem of the word's canonical form (after synonyms).
    stem: String,
    /// How often the training data has the word as typed.
    count: u32,
}

/// Vocabulary, synonyms, typo correction and stemming.
pub(crate) struct Lexicon {
    stemmer: Stemmer,
    /// Known normalised words (training examples, keywords, synonyms, lookups).
    words: StrMap<String, WordInfo>,
    /// Two-word synonym variants ("wi fi") -> canonical word.
    phrases: StrMap<(String, String), String>,
    /// Phonetic key -> the most frequent known word with that key.
    phonetic: StrMap<String, String>,
    /// Known phonetic keys and their best word and frequency.
    keys: Vec<(String, String, u32)>,
    /// Phonetic key and its one-letter deletions -> indexes into `keys`.
    deletes: StrMap<String, Vec<u32>>,
    /// Known words (by frequency) for spelling-level matching.
    spellings: Vec<(String, u32)>,
    /// Word and its one-letter deletions -> indexes into `spellings`.
    spelling_deletes: StrMap<String, Vec<u32>>,
    /// The stems of the known words: an unknown word with one of them is another form of
    /// a known word ("devolvieron" of "devolver"), not words typed without spaces.
    stems: std::collections::HashSet<String, foldhash::fast::FixedState>,
}

impl Lexicon {
    fn new(data: &TrainingData) -> Lexicon {
        let stemmer = Stemmer::create(Algorithm::Spanish);
        let mut counts: StrMap<String, u32> = StrMap::default();
        let add_text = |t: &str, counts: &mut StrMap<String, u32>| {
            for tok in text::tokens(&text::normalize(t)) {
                if tok != CLAUSE_BREAK {
                    *counts.entry(tok.to_owned()).or_default() += 1;
                }
            }
        };
        for (example, _) in data.examples() {
            add_text(example, &mut counts);
        }
        for entry in &data.intents {
            for k in &entry.keywords {
                add_text(k, &mut counts);
            }
        }
        for values in data.lookups.values() {
            for v in values {
                add_text(v, &mut counts);
            }
        }
        let mut single_synonyms: StrMap<String, String> = StrMap::default();
        let mut phrases = StrMap::default();
        for (variant, canonical) in &data.synonyms {
            let canonical = text::normalize(canonical).replace(' ', "");
            let variant = text::normalize(variant);
            let parts: Vec<&str> = text::tokens(&variant).collect();
            match parts.as_slice() {
                [one] => {
                    single_synonyms.insert((*one).to_owned(), canonical.clone());
                }
                [a, b] => {
                    phrases.insert(((*a).to_owned(), (*b).to_owned()), canonical.clone());
                }
                _ => {}
            }
            *counts.entry(canonical).or_default() += 1;
        }
        for variant in single_synonyms.keys() {
            counts.entry(variant.clone()).or_default();
        }
        let mut words = StrMap::default();
        for word in counts.keys() {
            let canonical = single_synonyms.get(word).unwrap_or(word);
            let stem = stemmer.stem(canonical).into_owned();
            let count = counts.get(word).copied().unwrap_or(0);
            words.insert(word.clone(), WordInfo { stem, count });
        }
        // Phonetic keys: most frequent word wins; ties broken alphabetically for
        // determinism.
        let mut by_key: StrMap<String, (String, u32)> = StrMap::default();
        for (word, &count) in &counts {
            if word.len() < 3 || word.bytes().any(|b| b.is_ascii_digit()) {
                continue;
            }
            let key = text::phonetic_key(word);
            let slot = by_key.entry(key).or_insert_with(|| (word.clone(), count));
            if count > slot.1 || (count == slot.1 && *word < slot.0) {
                *slot = (word.clone(), count);
            }
        }
        let mut keys: Vec<(String, String, u32)> =
            by_key.into_iter().map(|(k, (w, c))| (k, w, c)).collect();
        keys.sort();
        let phonetic = keys
            .iter()
            .map(|(k, w, _)| (k.clone(), w.clone()))
            .collect();
        let mut deletes: StrMap<String, Vec<u32>> = StrMap::default();
        for (i, (key, _, _)) in keys.iter().enumerate() {
            if key.len() < 3 {
                continue;
            }
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            deletes.entry(key.clone()).or_default().push(i);
            for d in one_deletions(key) {
                deletes.entry(d).or_default().push(i);
            }
        }
        let stems = words.values().map(|info| info.stem.clone()).collect();
        let mut spellings: Vec<(String, u32)> = counts
            .iter()
            .filter(|(w, _)| w.len() >= 3 && !w.bytes().any(|b| b.is_ascii_digit()))
            .map(|(w, c)| (w.clone(), *c))
            .collect();
        spellings.sort();
        let mut spelling_deletes: StrMap<String, Vec<u32>> = StrMap::default();
        for (i, (word, _)) in spellings.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            spelling_deletes.entry(word.clone()).or_default().push(i);
            for d in one_deletions(word) {
                spelling_deletes.entry(d).or_default().push(i);
            }
        }
        Lexicon {
            stemmer,
            words,
            phrases,
            phonetic,
            keys,
            deletes,
            spellings,
            spelling_deletes,
            stems,
        }
    }

    /// The stem of a normalised token, after synonym mapping and typo correction.
    fn stem<'a>(&'a self, token: &'a str) -> Cow<'a, str> {
        if let Some(info) = self.words.get(token) {
            return Cow::Borrowed(&info.stem);
        }
        if token.bytes().all(|b| b.is_ascii_digit()) {
            return Cow::Borrowed(match token {
                "1" => "uno",
                "2" => "dos",
                "3" => "tres",
                "4" => "cuatr",
                t if t.len() >= 4 => "#num",
                _ => "#digit",
            });
        }
        if let Some(word) = self.correct(token) {
            if let Some(info) = self.words.get(word) {
                return Cow::Borrowed(&info.stem);
            }
        }
        self.stemmer.stem(token)
    }

    /// The message with each run of words typed without spaces ("notengointernet",
    /// "quierohablarconunejecutivo") spaced out, when it has one; `None` otherwise (the
    /// message is read as typed). Only an unknown token of [`GLUED_MIN_LEN`] letters or
    /// more, with no known word's stem ("devolvieron") and that no typo correction
    /// reaches, is read as glued; see [`Lexicon::unglue`].
    fn spaced_out<'m>(&self, message: &'m str) -> Option<String> {
        let glued = |chunk: &'m str| {
            let letters = chunk.trim_matches(|c: char| !c.is_alphanumeric());
            if letters.chars().count() < GLUED_MIN_LEN {
                return None;
            }
            let word = text::normalize(letters);
            if word.contains(' ')
                || self.words.contains_key(&word)
                || self.stems.contains(self.stemmer.stem(&word).as_ref())
            {
                return None;
            }
            let pieces = self.unglue(&word)?;
            (self.correct(&word).is_none()).then(|| (letters, pieces.join(" ")))
        };
        let mut found = message.split_whitespace().filter_map(glued).peekable();
        found.peek()?;
        let mut spaced = message.to_owned();
        for (letters, pieces) in found {
            spaced = spaced.replacen(letters, &pieces, 1);
        }
        Some(spaced)
    }

    /// Whether a normalised message has a word [`Lexicon::spaced_out`] may space out: an
    /// unknown one of [`GLUED_MIN_LEN`] bytes or more (its cheap first test).
    fn may_be_glued(&self, normalized: &str) -> bool {
        text::words(normalized).any(|w| w.len() >= GLUED_MIN_LEN && !self.words.contains_key(w))
    }

    /// The known words a normalised token splits into, as few as possible (then the most
    /// frequent): "notengointernet" -> "no tengo internet". Each piece is a word the
    /// training data has at least twice, of three letters or more or a frequent short
    /// one ("y", "de", "mi"; one letter not first nor last); `None` when the token is no
    /// run of [`GLUED_MIN_PIECES`] or more such words.
    fn unglue<'t>(&self, token: &'t str) -> Option<Vec<&'t str>> {
        // How often the data has a word that may be a piece.
        let piece = |w: &str| {
            self.words.get(w).map(|info| info.count).filter(|&count| {
                count >= GLUED_MIN_COUNT && (w.len() >= 3 || count >= GLUED_SHORT_MIN_COUNT)
            })
        };
        let bounds: Vec<usize> = token
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(token.len()))
            .collect();
        // best[k]: the fewest pieces (then the greatest summed log-frequency) ending at
        // bounds[k], and where its last piece starts.
        let mut best: Vec<Option<(usize, f32, usize)>> = vec![None; bounds.len()];
        best[0] = Some((0, 0.0, 0));
        for end in 1..bounds.len() {
            for start in end.saturating_sub(GLUED_MAX_PIECE)..end {
                let Some((n, score, _)) = best[start] else {
                    continue;
                };
                let word = &token[bounds[start]..bounds[end]];
                // A letter alone only between words ("sinsenalyno"): at an edge it is more
                // likely a word's own ("a proxima dos", "teleoperador a").
                let edge = start == 0 || end == bounds.len() - 1;
                let Some(count) = piece(word).filter(|_| !(edge && end - start == 1)) else {
                    continue;
                };
                let candidate = (n + 1, score + (count as f32).ln(), start);
                let better = best[end].is_none_or(|(bn, bs, _)| {
                    candidate.0 < bn || (candidate.0 == bn && candidate.1 > bs)
                });
                if better {
                    best[end] = Some(candidate);
                }
            }
        }
        let (n, _, _) = best[bounds.len() - 1]?;
        if n < GLUED_MIN_PIECES {
            return None;
        }
        let mut pieces = Vec::with_capacity(n);
        let mut end = bounds.len() - 1;
        while end > 0 {
            let (_, _, start) = best[end]?;
            pieces.push(&token[bounds[start]..bounds[end]]);
            end = start;
        }
        pieces.reverse();
        Some(pieces)
    }

    /// The known word closest to an unknown token, if one is close enough: same
    /// phonetic key, else the fewest edits (on the spelling or on the phonetic key; one
    /// edit for short words, two from eight letters, only a swap for three letters),
    /// ties going to the more frequent word.
    fn correct<'s>(&'s self, token: &str) -> Option<&'s str> {
        if token.len() < 3 {
            return None;
        }
        let key = text::phonetic_key(token);
        if let Some(word) = self.phonetic.get(&key) {
            return Some(word);
        }
        let max_distance = match token.len() {
            0..=3 => 1,
            4..=7 => 1,
            _ => 2,
        };
        let swap_only = token.len() == 3;
        let mut best: Option<(usize, u32, &'s str)> = None;
        let accept = |a: &str, b: &str| -> Option<usize> {
            if swap_only && (a.len() != b.len() || !same_letters(a, b)) {
                return None;
            }
            let d = strsim::damerau_levenshtein(a, b);
            (d <= max_distance).then_some(d)
        };
        for probe in std::iter::once(token.to_owned()).chain(one_deletions(token)) {
            for &idx in self.spelling_deletes.get(&probe).into_iter().flatten() {
                if let Some((word, count)) = self.spellings.get(idx as usize) {
                    if let Some(d) = accept(token, word) {
                        offer(&mut best, d, *count, word);
                    }
                }
            }
        }
        if key.len() >= 3 && !swap_only {
            for probe in std::iter::once(key.clone()).chain(one_deletions(&key)) {
                for &idx in self.deletes.get(&probe).into_iter().flatten() {
                    if let Some((k, word, count)) = self.keys.get(idx as usize) {
                        if let Some(d) = accept(&key, k) {
                            offer(&mut best, d, *count, word);
                        }
                    }
                }
            }
        }
        best.map(|(_, _, w)| w)
    }
}

/// The fewest letters of a token read as words typed without spaces (see
/// [`Lexicon::spaced_out`]): shorter unknown words are typos or words the data lacks.
const GLUED_MIN_LEN: usize = 9;
/// How often the training data must have a word for it to be a piece of a glued token.
const GLUED_MIN_COUNT: u32 = 2;
/// How often the training data must have a word of one or two letters for it to be a
/// piece ("y", "de", "mi", not a rare "ot").
const GLUED_SHORT_MIN_COUNT: u32 = 20;
/// The fewest words a glued token must split into: two known words make up many a word
/// the data lacks ("con seguir", "entre tiene", "habitacion es").
const GLUED_MIN_PIECES: usize = 3;
/// The most letters of one piece of a glued token.
const GLUED_MAX_PIECE: usize = 16;

/// Whether `raw[i]` is the want of a cleft ("lo que necesito es ...", "lo unico q
/// quiero"): it names the real wish, so it contrasts with what came before ("no me
/// reinicien el modem lo q necesito es que revisen el cobro"). Not when nothing follows
/// it, nor after "todo" ("eso es todo lo que necesito" closes the chat).
fn is_cleft_want(raw: &[&str], i: usize) -> bool {
    WANT_WORDS.contains(&raw[i])
        && i >= 2
        && ["que", "q", "k"].contains(&raw[i - 1])
        && ["lo", "unico"].contains(&raw[i - 2])
        && (i < 3 || raw[i - 3] != "todo")
        && raw.get(i + 1).is_some_and(|next| *next != CLAUSE_BREAK)
}

/// Whether a normalised word looks like a Spanish infinitive ("hablar", "ver", "salir").
fn is_infinitive(word: &str) -> bool {
    word.len() >= 3 && (word.ends_with("ar") || word.ends_with("er") || word.ends_with("ir"))
}

/// Keeps the better of two correction candidates: fewer edits, then more frequent,
/// then alphabetical (for determinism).
fn offer<'s>(best: &mut Option<(usize, u32, &'s str)>, d: usize, count: u32, word: &'s str) {
    let better = match *best {
        None => true,
        Some((bd, bc, bw)) => (d, u32::MAX - count, word) < (bd, u32::MAX - bc, bw),
    };
    if better {
        *best = Some((d, count, word));
    }
}

/// Whether two words use the same letters (a swap, not a different letter).
fn same_letters(a: &str, b: &str) -> bool {
    let mut x: Vec<u8> = a.bytes().collect();
    let mut y: Vec<u8> = b.bytes().collect();
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

/// Every string obtained by deleting one character of `word` (on char boundaries).
fn one_deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    word.char_indices().map(move |(i, c)| {
        let mut s = String::with_capacity(word.len());
        s.push_str(&word[..i]);
        s.push_str(&word[i + c.len_utf8()..]);
        s
    })
}

/// One analysed token.
#[derive(Clone)]
struct Token<'a> {
    /// Normalised surface form.
    raw: &'a str,
    /// Stem after synonyms and correction.
    stem: Cow<'a, str>,
}

impl AsRef<str> for Token<'_> {
    /// The normalised surface form.
    fn as_ref(&self) -> &str {
        self.raw
    }
}

/// A clause of the message.
#[derive(Clone)]
struct Clause<'a> {
    tokens: Vec<Token<'a>>,
    negated: bool,
    weight: f32,
}

/// The YAML-trained classifier (see the module docs).
pub struct YamlClassifier {
    lexicon: Lexicon,
    /// First keyword stem -> (remaining stems, class).
    keywords: StrMap<String, Vec<(Vec<String>, usize)>>,
    /// Stems of negatable desire verbs.
    desire: Vec<String>,
    regexes: Vec<(u64, Vec<regex::Regex>)>,
    /// Stem -> lookup feature hashes.
    lookups: StrMap<String, Vec<u64>>,
    /// The words of the [`OTHER_BUSINESSES`] lookup, normalised (as typed, not stemmed:
    /// "comida" and "como" share a stem).
    other_businesses: std::collections::HashSet<String>,
    features: FeatureMap,
    /// Per-feature IDF times namespace weight.
    scale: Vec<f32>,
    /// Whether each feature belongs to the character n-gram channel.
    char_channel: Vec<bool>,
    /// `features.len() * NCLASS` weights, feature-major.
    weights: Vec<f32>,
    bias: [f32; NCLASS],
    thresholds: Thresholds,
}

impl YamlClassifier {
    /// Trains a classifier on parsed training data (deterministic: same data, same
    /// model).
    pub fn new(data: &TrainingData) -> YamlClassifier {
        let lexicon = Lexicon::new(data);
        let stem_phrase = |phrase: &str| -> Vec<String> {
            let norm = text::normalize(phrase);
            text::tokens(&norm)
                .filter(|t| *t != CLAUSE_BREAK)
                .map(|t| lexicon.stem(t).into_owned())
                .collect()
        };
        let mut keywords: StrMap<String, Vec<(Vec<String>, usize)>> = StrMap::default();
        for entry in &data.intents {
            let Some(class) = CLASSES.iter().position(|c| *c == entry.intent) else {
                continue;
            };
            for k in &entry.keywords {
                let mut stems = stem_phrase(k);
                if stems.is_empty() {
                    continue;
                }
                let first = stems.remove(0);
                let list = keywords.entry(first).or_default();
                if !list.contains(&(stems.clone(), class)) {
                    list.push((stems, class));
                }
            }
        }
        let desire = DESIRE_WORDS
            .iter()
            .map(|w| lexicon.stemmer.stem(w).into_owned())
            .collect();
        let regexes = data
            .regexes
            .iter()
            .map(|r| {
                (
                    feature_hash(NS_REGEX, &[r.name.as_bytes()]),
                    r.patterns.clone(),
                )
            })
            .collect();
        let mut lookups: StrMap<String, Vec<u64>> = StrMap::default();
        for (name, values) in &data.lookups {
            let h = feature_hash(NS_LOOKUP, &[name.as_bytes()]);
            for v in values {
                for stem in stem_phrase(v) {
                    let list = lookups.entry(stem).or_default();
                    if !list.contains(&h) {
                        list.push(h);
                    }
                }
            }
        }
        let other_businesses = data
            .lookups
            .get(OTHER_BUSINESSES)
            .into_iter()
            .flatten()
            .map(|v| text::normalize(v))
            .collect();
        let mut model = YamlClassifier {
            lexicon,
            keywords,
            desire,
            regexes,
            lookups,
            other_businesses,
            features: FeatureMap::default(),
            scale: Vec::new(),
            char_channel: Vec::new(),
            weights: Vec::new(),
            bias: [0.0; NCLASS],
            thresholds: data.thresholds,
        };
        model.train(data);
        model
    }

    /// The decision thresholds in use.
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// Splits a normalised message into clauses and marks negated ones.
    /// Also which [`RETRACTION`] word (counted from 0) is the last change of mind, if any:
    /// the clauses before it are dropped.
    fn clauses<'a>(&'a self, normalized: &'a str) -> (Vec<Clause<'a>>, Option<usize>) {
        let raw: Vec<&str> = text::tokens(normalized).collect();
        let mut retraction = None;
        let mut clauses: Vec<Clause<'a>> = vec![Clause {
            // Room for the whole message: most are one clause.
            tokens: Vec::with_capacity(raw.len()),
            negated: false,
            weight: 1.0,
        }];
        let mut i = 0;
        while i < raw.len() {
            let tok = raw[i];
            // A contrast word that ends the message contrasts nothing ("quiero salir
            // ahora").
            let ends = raw.get(i + 1).is_none_or(|n| *n == CLAUSE_BREAK);
            let contrast = (CONTRAST_WORDS.contains(&tok) && !ends)
                || (tok == "mas" && raw.get(i + 1) == Some(&"bien"))
                || (tok == "en" && raw.get(i + 1) == Some(&"cambio"))
                || is_cleft_want(&raw, i);
            // "no quiero salir quiero ver mis reclamos": a second want starts a new
            // clause even without punctuation.
            let second_want = WANT_WORDS.contains(&tok)
                && i > 0
                && !NEGATORS.contains(&raw[i - 1])
                && clauses
                    .last()
                    .is_some_and(|c| c.tokens.iter().any(|t| WANT_WORDS.contains(&t.raw)));
            // "no quiero hablar con nadie reinicien el router": after a negation, a
            // request that is not itself negated starts a new clause.
            // Not when the request is the negated wish's object ("no quiero que me
            // reinicien"): the word before it must not be "que" or a pronoun, nor a
            // negation.
            let after_negation = (REQUEST_WORDS.contains(&tok) || WANT_WORDS.contains(&tok))
                && i > 0
                && !OBJECT_LINKS.contains(&raw[i - 1])
                && !raw[i.saturating_sub(2)..i]
                    .iter()
                    .any(|t| NEGATORS.contains(t))
                && clauses
                    .last()
                    .is_some_and(|c| c.tokens.iter().any(|t| NEGATORS.contains(&t.raw)));
            if (second_want || after_negation)
                && clauses.last().is_some_and(|c| !c.tokens.is_empty())
            {
                clauses.push(Clause {
                    tokens: Vec::new(),
                    negated: false,
                    weight: 1.0,
                });
            }
            if tok == CLAUSE_BREAK || contrast {
                if contrast {
                    // Everything said before a contrast word counts less; before a change
                    // of mind, nothing.
                    if retracts(&raw, i) {
                        clauses.clear();
                        retraction = Some(raw[..i].iter().filter(|t| **t == RETRACTION).count());
                    }
                    for c in &mut clauses {
                        c.weight = CONTRASTED_WEIGHT;
                    }
                }
                if clauses.last().is_none_or(|c| !c.tokens.is_empty()) {
                    clauses.push(Clause {
                        tokens: Vec::new(),
                        negated: false,
                        weight: 1.0,
                    });
                }
                if tok == CLAUSE_BREAK {
                    i += 1;
                    continue;
                }
            }
            // Two-word synonyms ("wi fi" -> "wifi").
            if let Some(next) = raw.get(i + 1) {
                if let Some(canonical) = self
                    .lexicon
                    .phrases
                    .get(&(tok.to_owned(), (*next).to_owned()))
                {
                    let stem = self.lexicon.stem(canonical).into_owned();
                    if let Some(c) = clauses.last_mut() {
                        c.tokens.push(Token {
                            raw: tok,
                            stem: Cow::Owned(stem),
                        });
                    }
                    i += 2;
                    continue;
                }
            }
            let stem = self.lexicon.stem(tok);
            if let Some(c) = clauses.last_mut() {
                c.tokens.push(Token { raw: tok, stem });
            }
            i += 1;
        }
        clauses.retain(|c| !c.tokens.is_empty());
        for clause in &mut clauses {
            clause.negated = entities::turned_down_after(&clause.tokens)
                || clause.tokens.iter().enumerate().any(|(j, t)| {
                    NEGATORS.contains(&t.raw)
                        && negation_reach(&clause.tokens[j + 1..]).iter().any(|n| {
                            ACTION_WISHES.contains(&n.raw)
                                || self.desire.iter().any(|d| *d == n.stem)
                        })
                });
        }
        // A clause that asks for something outweighs clauses that describe the problem
        // ("ya reinicié el modem y no funciona, pásame con alguien").
        let asks = |c: &Clause| c.tokens.iter().any(|t| REQUEST_WORDS.contains(&t.raw));
        if clauses.len() > 1 && clauses.iter().any(|c| asks(c) && !c.negated) {
            for c in clauses.iter_mut().filter(|c| !asks(c)) {
                c.weight *= DESCRIPTION_WEIGHT;
            }
        }
        // Drop negated clauses when the rest of the message carries evidence of its own:
        // a keyword, or a known content word.
        let evidence = |c: &Clause| {
            self.keyword_hits(c).next().is_some()
                || c.tokens.iter().any(|t| {
                    t.raw.len() >= 3
                        && !STOPWORDS.contains(&t.raw)
                        && (self.lexicon.words.contains_key(t.raw)
                            || self.lexicon.correct(t.raw).is_some())
                })
        };
        if clauses.iter().any(|c| c.negated) && clauses.iter().any(|c| !c.negated && evidence(c)) {
            clauses.retain(|c| !c.negated);
        }
        (clauses, retraction)
    }

    /// Keyword classes matched in a clause.
    fn keyword_hits<'c>(&'c self, clause: &'c Clause<'_>) -> impl Iterator<Item = usize> + 'c {
        clause.tokens.iter().enumerate().flat_map(move |(i, t)| {
            self.keywords
                .get(t.stem.as_ref())
                .into_iter()
                .flatten()
                .filter(move |(rest, _)| {
                    rest.len() < clause.tokens.len() - i
                        && rest
                            .iter()
                            .zip(&clause.tokens[i + 1..])
                            .all(|(r, t)| *r == t.stem)
                })
                .map(|(_, class)| *class)
        })
    }

    /// The hashed features of a message with their raw weights (duplicates not merged),
    /// passed to `f` with the message as read (words typed without spaces spaced out:
    /// [`Lexicon::spaced_out`]), its normalised text and its clauses: what training and
    /// every prediction start from.
    fn with_raw_features<R>(
        &self,
        message: &str,
        f: impl FnOnce(&str, &str, &[Clause<'_>], RawFeatures) -> R,
    ) -> R {
        let normalized = text::normalize(message);
        // (A long unknown word is the only sign, and a rare one: most messages are read
        // once.)
        if self.lexicon.may_be_glued(&normalized) {
            if let Some(spaced) = self.lexicon.spaced_out(message) {
                let normalized = text::normalize(&spaced);
                return self.raw_features_of(&spaced, &normalized, f);
            }
        }
        self.raw_features_of(message, &normalized, f)
    }

    /// [`YamlClassifier::with_raw_features`] of a message read as it is.
    fn raw_features_of<R>(
        &self,
        message: &str,
        normalized: &str,
        f: impl FnOnce(&str, &str, &[Clause<'_>], RawFeatures) -> R,
    ) -> R {
        let (clauses, retraction) = self.clauses(normalized);
        // Room for a typical message's features (a word brings a dozen or more character
        // n-grams besides its word, bigram and look-up features).
        let mut raw = Vec::with_capacity(256);
        self.clause_features(&clauses, &mut raw);
        // After a change of mind, the patterns read only what follows it.
        let read = match retraction.and_then(|nth| retraction_word(message, nth)) {
            Some(at) => &message[at..],
            None => message,
        };
        self.regex_features(read, &mut raw);
        f(message, normalized, &clauses, raw)
    }

    /// Word, bigram, lookup, character n-gram and keyword features of clauses.
    fn clause_features(&self, clauses: &[Clause<'_>], out: &mut RawFeatures) {
        for clause in clauses {
            let w = clause.weight;
            let start = out.len();
            for (i, t) in clause.tokens.iter().enumerate() {
                out.push((feature_hash(NS_WORD, &[t.stem.as_bytes()]), w, NS_WORD));
                if let Some(next) = clause.tokens.get(i + 1) {
                    out.push((
                        feature_hash(NS_BIGRAM, &[t.stem.as_bytes(), next.stem.as_bytes()]),
                        w,
                        NS_BIGRAM,
                    ));
                }
                if let Some(hs) = self.lookups.get(t.stem.as_ref()) {
                    out.extend(hs.iter().map(|h| (*h, w, NS_LOOKUP)));
                }
                char_ngrams(t.raw, w, out);
            }
            for class in self.keyword_hits(clause) {
                out.push((feature_hash(NS_KEYWORD, &[&[class as u8]]), w, NS_KEYWORD));
            }
            // A negated clause ("no quiero hablar con un ejecutivo") says what the customer
            // does not want: its features live apart from the same words said plainly, so
            // the model learns from negated examples what such a message asks for (an
            // executive after "no quiero hablar con una máquina", nothing after "no
            // quiero hablar con un ejecutivo").
            if clause.negated {
                for (h, _, _) in &mut out[start..] {
                    *h = feature_hash(NS_NEGATED, &[&h.to_le_bytes()]);
                }
                out.push((feature_hash(NS_NEGATED, &[]), w, NS_NEGATED));
            }
        }
    }

    /// Features of the YAML `- regex:` entries matching the raw message.
    fn regex_features(&self, message: &str, out: &mut RawFeatures) {
        for (h, patterns) in &self.regexes {
            if patterns.iter().any(|p| p.is_match(message)) {
                out.push((*h, 1.0, NS_REGEX));
            }
        }
    }

    /// The sparse, L2-normalised vector of raw features (known features only).
    fn vectorize(&self, raw: RawFeatures) -> Vec<(u32, f32)> {
        let mut v: Vec<(u32, f32)> = raw
            .into_iter()
            .filter_map(|(h, w, _)| self.features.get(&h).map(|&i| (i, w)))
            .collect();
        finish_vector(&mut v, &self.scale, &self.char_channel);
        v
    }

    /// A second, confident intent asked for in another part of the message ("reiniciar
    /// el modem o hablar con alguien"), if any. Parts are the clauses further split at
    /// "o", "además", "también", and at "y" before a want or an infinitive.
    fn other_request(&self, clauses: &[Clause<'_>], top: Intent) -> Option<Intent> {
        let mut parts: Vec<Clause<'_>> = Vec::new();
        for clause in clauses {
            let mut part = Clause {
                tokens: Vec::new(),
                negated: false,
                weight: 1.0,
            };
            for (i, t) in clause.tokens.iter().enumerate() {
                // "y" joins two requests only before a want or an infinitive ("y quiero
                // salir", "y hablar con alguien"), not before a description ("ya
                // reinicié y no funciona").
                let next = clause.tokens.get(i + 1).map_or("", |n| n.raw);
                let joins_requests = match t.raw {
                    "o" | "ademas" | "tambien" => true,
                    "y" | "e" => WANT_WORDS.contains(&next) || is_infinitive(next),
                    _ => false,
                };
                if joins_requests {
                    if !part.tokens.is_empty() {
                        parts.push(std::mem::replace(
                            &mut part,
                            Clause {
                                tokens: Vec::new(),
                                negated: false,
                                weight: 1.0,
                            },
                        ));
                    }
                } else {
                    part.tokens.push(t.clone());
                }
            }
            if !part.tokens.is_empty() {
                parts.push(part);
            }
        }
        if parts.len() < 2 {
            return None;
        }
        parts.iter().find_map(|part| {
            // Only parts that ask for something count: a want or a request ("quiero ...",
            // "pásenme ...") or an infinitive up front ("reiniciar el modem o hablar con
            // alguien"), and they must name something (a keyword). "No tengo internet,
            // quiero hablar con alguien" describes a problem and asks one thing.
            let asks = part.tokens.iter().any(|t| REQUEST_WORDS.contains(&t.raw))
                || part.tokens.iter().take(2).any(|t| is_infinitive(t.raw));
            if !asks {
                return None;
            }
            self.keyword_hits(part).next()?;
            let mut raw = Vec::with_capacity(32);
            self.clause_features(std::slice::from_ref(part), &mut raw);
            let x = self.vectorize(raw);
            let p = self.probabilities(&x);
            let (best, pb) = p[..FALLBACK]
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))?;
            let intent = CLASSES[best];
            (intent != top && *pb >= MULTI_REQUEST_CONFIDENCE && *pb > p[FALLBACK])
                .then_some(intent)
        })
    }

    fn train(&mut self, data: &TrainingData) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_cafe);
        // Training set: every example, plus TYPO_COPIES copies with random typos so the
        // character n-grams learn to tolerate them. The model must not depend on the order
        // of the file (`nlu review` appends to it; with one stream of random draws, and
        // the epochs' shuffles starting from the file's order, reordering the same
        // examples moved real-es accuracy between 89.3% and 92.7%): each example's typos
        // come from a seed of its own text, and the texts are put in an order of their
        // own (by hash) before anything else. Their features are then computed on several
        // threads (the largest part of training after the epochs), in that order.
        let mut texts: Vec<(Cow<'_, str>, usize)> = Vec::new();
        for (example, intent) in data.examples() {
            let Some(class) = CLASSES.iter().position(|c| *c == intent) else {
                continue;
            };
            texts.push((Cow::Borrowed(example), class));
            let mut typos = rand::rngs::StdRng::seed_from_u64(text_hash(example));
            for _ in 0..TYPO_COPIES {
                texts.push((Cow::Owned(add_typos(example, 0.06, &mut typos)), class));
            }
        }
        // A stable sort: texts with the same key are the same text (identical features).
        texts.sort_by_cached_key(|(text, class)| (text_hash(text), *class));
        let docs = self.raw_features_of_all(&texts);
        // Vocabulary, document frequencies and namespace weights, turning each document's
        // hashes into feature indexes on the way.
        let mut df: Vec<u32> = Vec::new();
        let mut ns_weight: Vec<f32> = Vec::new();
        let mut char_channel: Vec<bool> = Vec::new();
        let mut seen: Vec<u32> = Vec::new();
        let mut indexed: Vec<(Vec<(u32, f32)>, usize)> = Vec::with_capacity(docs.len());
        for (doc, class) in docs {
            seen.clear();
            let mut v = Vec::with_capacity(doc.len());
            for (h, w, ns) in doc {
                let next = u32::try_from(df.len()).unwrap_or(u32::MAX);
                let idx = *self.features.entry(h).or_insert_with(|| {
                    df.push(0);
                    ns_weight.push(namespace_weight(ns));
                    char_channel.push(ns == NS_CHAR);
                    next
                });
                seen.push(idx);
                v.push((idx, w));
            }
            seen.sort_unstable();
            seen.dedup();
            for &i in &seen {
                df[i as usize] += 1;
            }
            indexed.push((v, class));
        }
        let n = indexed.len() as f32;
        self.scale = df
            .iter()
            .zip(&ns_weight)
            .map(|(&d, w)| (((n + 1.0) / (d as f32 + 1.0)).ln() + 1.0) * w)
            .collect();
        self.char_channel = char_channel;
        let mut vectors = indexed;
        for (v, _) in &mut vectors {
            finish_vector(v, &self.scale, &self.char_channel);
        }

        let nfeat = df.len();
        self.weights = vec![0.0; nfeat * NCLASS];
        self.bias = [0.0; NCLASS];
        let lambda = 1e-4f32;
        for epoch in 0..EPOCHS {
            vectors.shuffle(&mut rng);
            let lr = 0.8 / (1.0 + 0.15 * epoch as f32);
            for (x, y) in &vectors {
                let p = self.probabilities(x);
                // An example already learnt leaves a gradient too small to matter: skip
                // its update (most of them after a few epochs, which halves training).
                if p[*y] > 1.0 - SKIP_LEARNT {
                    continue;
                }
                let mut g = p;
                g[*y] -= 1.0;
                for (bias, gc) in self.bias.iter_mut().zip(&g) {
                    *bias -= lr * gc;
                }
                // One pass over the features, updating each one's row of class weights
                // (contiguous): every weight gets the same update, in the same order, as
                // a pass per class would give it, at a fraction of the memory traffic.
                for &(i, v) in x {
                    let start = i as usize * NCLASS;
                    let row = &mut self.weights[start..start + NCLASS];
                    for (w, gc) in row.iter_mut().zip(&g) {
                        *w -= lr * (gc * v + lambda * *w);
                    }
                }
            }
        }
    }

    /// The raw features of each text, with its class, in order: computed on up to
    /// `TRAINING_THREADS` threads (each takes a contiguous share).
    fn raw_features_of_all(&self, texts: &[(Cow<'_, str>, usize)]) -> Vec<(RawFeatures, usize)> {
        let featurize = |share: &[(Cow<'_, str>, usize)]| -> Vec<(RawFeatures, usize)> {
            share
                .iter()
                .map(|(text, class)| (self.with_raw_features(text, |_, _, _, raw| raw), *class))
                .collect()
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, TRAINING_THREADS);
        if threads == 1 || texts.len() < 2 * threads {
            return featurize(texts);
        }
        let share = texts.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = texts
                .chunks(share)
                .map(|chunk| scope.spawn(move || featurize(chunk)))
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| match handle.join() {
                    Ok(docs) => docs,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    }

    /// Uncalibrated class probabilities (temperature 1), as trained.
    fn probabilities(&self, x: &[(u32, f32)]) -> [f32; NCLASS] {
        softmax(self.logits_of(x), 1.0)
    }

    fn logits_of(&self, x: &[(u32, f32)]) -> [f32; NCLASS] {
        let mut z = self.bias;
        for &(i, v) in x {
            let row = &self.weights[i as usize * NCLASS..(i as usize + 1) * NCLASS];
            for c in 0..NCLASS {
                z[c] += row[c] * v;
            }
        }
        z
    }

    /// The decision for class probabilities with this model's thresholds (see [`decide`]).
    #[cfg(test)]
    pub(crate) fn decide(&self, p: &[f32; NCLASS]) -> Prediction {
        decide(p, &self.thresholds)
    }

    /// Classifies with other settings (temperature, fallback bias, thresholds) than the
    /// intents file's.
    pub fn classify_with(&self, text: &str, thresholds: &Thresholds) -> Prediction {
        self.with_raw_features(text, |text, normalized, clauses, raw| {
            let x = self.vectorize(raw);
            let logits = (!x.is_empty() && has_content(clauses)).then(|| self.logits_of(&x));
            let decided = decide_logits(logits, thresholds, |top| self.other_request(clauses, top));
            let reading = Reading::new(self, text, normalized, clauses);
            after_the_model(decided, &reading)
                .with_topic_if(|| entities::complaint_topic_in(normalized))
                .calibrated(thresholds)
        })
    }

    /// The matter only a person handles that the message reports (see
    /// [`Prediction::matter_if_unplaced`] and `entities::reported_matter`: not a question
    /// for information, not a wish turned down), not about another business (a word of
    /// the `ajeno` lookup: "el banco me cobró dos veces"), except where the phone was lost
    /// ("en la micro").
    fn reported_matter(
        &self,
        text: &str,
        normalized: &str,
        clauses: &[Clause<'_>],
    ) -> Option<Topic> {
        let topic = entities::reported_matter(text, normalized)?;
        let elsewhere = match topic {
            Topic::BloqueoLinea => false,
            // The company's technician: another business only when it is theirs ("el
            // técnico de la lavadora"), not where the customer waited ("en la oficina"). So
            // for the WiFi key: a tenant on the customer's WiFi is no business of theirs.
            Topic::VisitaTecnica | Topic::ClaveWifi => self.names_owner_business(clauses),
            // Not a charge when the company is spoken to ("pagué la boleta por la app del
            // banco y ustedes me la cobraron 2 veces"; "la empresa de agua me mandó una
            // boleta carísima" is the water company's bill, "el wifi del hostal es
            // malísimo, ¿ustedes pueden hacer algo?" the hostel's service).
            Topic::CobroDuplicado | Topic::CargoDesconocido | Topic::Deuda | Topic::Boleta => {
                self.names_other_business(clauses, true)
                    && !text::words(normalized).any(|t| t == "ustedes")
            }
            // Another business's plan, named within four words before it or five after ("la
            // isapre me cambió el plan", "el plan de salud en la isapre"), not a business
            // named for another reason ("bájenme el plan, ya no me alcanza con la
            // pensión"), nor one that wishes the change itself: the customer's ("la
            // farmacia necesita subir el plan"; not "la isapre quiere subir el plan").
            Topic::CambioPlan => clauses.iter().any(|clause| {
                let tokens = &clause.tokens;
                // (Or needs another plan, the business named in one word or two: "nuestra
                // clínica veterinaria necesita un plan con más megas".)
                let wishes = |j: usize| {
                    let raw = |k: usize| tokens.get(k).map_or("", |t| t.raw);
                    // (Or the customer wishes it for the business: "pa las líneas de los
                    // taxis queremos un plan más chico".)
                    let needs = |k: usize| {
                        matches!(raw(k), "necesita" | "requiere" | "queremos" | "necesitamos")
                    };
                    let Some(k) = [j + 1, j + 2].into_iter().find(|k| needs(*k)) else {
                        return false;
                    };
                    matches!(
                        raw(k + 1),
                        "subir" | "bajar" | "cambiar" | "mejorar" | "aumentar"
                    ) || matches!(raw(k + 1), "un" | "otro")
                        && matches!(raw(k + 2), "plan" | "planes")
                };
                // (Nor the one the plan is to be put in the name of: "pasar el plan a nombre
                // de mi arrendatario".)
                let new_holder = |j: usize| {
                    tokens[j.saturating_sub(3)..j]
                        .iter()
                        .any(|t| t.raw == "nombre")
                };
                let of_another = |j: usize| {
                    self.other_business_at(|k| tokens[k].raw, j)
                        && !(new_holder(j) || own_business_at(clauses, tokens, j, false))
                };
                tokens.iter().enumerate().any(|(i, t)| {
                    matches!(t.raw, "plan" | "planes")
                        && (i.saturating_sub(4)..(i + 6).min(tokens.len()))
                            .any(|j| of_another(j) && !(j < i && wishes(j)))
                })
            }),
            // A service named to be cancelled or moved is the customer's wherever it is
            // used, unless a business owns it ("dénme de baja el fijo, ya nadie lo usa en la
            // notaría", "nos mudamos con el restorán, hay que trasladar el servicio"; not
            // "quiero dar de baja el internet del hotel").
            Topic::Baja | Topic::Traslado if names_any_service(normalized) => {
                self.names_owner_business(clauses)
            }
            // (A shop's own service is the customer's only with a service named: "pésimo
            // servicio el de la tintorería" is the shop's.)
            _ => self.names_other_business(
                clauses,
                !entities::names_service(&entities::without_clause_breaks(normalized)),
            ),
        };
        (!elsewhere).then_some(topic)
    }

    /// Whether the message reports a failure of the service (`entities::reports_failure`)
    /// or asks for a restart (`entities::asks_for_restart`, `entities::wishes_restart`),
    /// not another business's ("no hay wifi en la clínica" is the customer's; "el wifi de la
    /// clínica no funciona", "no funciona la app del banco" are not).
    fn reported_outage(&self, text: &str, normalized: &str, clauses: &[Clause<'_>]) -> bool {
        (entities::reports_failure(text, normalized)
            || entities::asks_for_restart(normalized)
            || entities::wishes_restart(normalized))
            && !self.names_owner_business(clauses)
    }

    /// Whether the message names another business (a word of the `ajeno` lookup) and
    /// nothing of the company's: no service, device or person (`entities::names_service`),
    /// not the company, its bills, contracts, technicians or payments to it
    /// (`entities::names_the_company`: "pagué por el banco y me siguen cobrando"),
    /// no complaint topic ("me cobraron dos veces la boleta, la pagué en el banco" is the
    /// company's double charge).
    /// Also a charge or a complaint another business is the party to ("el minimarket me
    /// cobró de más", "la compañía eléctrica me cobró doble", "tengo un reclamo con el
    /// supermercado": [`Self::against_other_business`]) with no service of the company's and
    /// no bill of its own named.
    fn about_other_business(&self, normalized: &str, clauses: &[Clause<'_>]) -> bool {
        let text = entities::without_clause_breaks(normalized);
        // (A call asked for is the company's, "manejo micro de noche, que me llamen después
        // de las 2", unless the business is to call, named just after or before: "quiero
        // que me llame el doctor", "¿la veterinaria me puede llamar?", "el doctor dijo que
        // por favor lo llamen": six words before, room for the courtesy.)
        let call_asked = || {
            entities::asks_for_a_call(normalized)
                && !clauses.iter().any(|clause| {
                    let tokens = &clause.tokens;
                    tokens.iter().enumerate().any(|(i, t)| {
                        t.raw.starts_with("llam")
                            && (i.saturating_sub(6)..(i + 4).min(tokens.len()))
                                .any(|j| j != i && self.other_business_at(|k| tokens[k].raw, j))
                    })
                })
        };
        self.names_other_business(clauses, true)
            && !entities::names_service(&text)
            && !call_asked()
            && (!entities::names_the_company(&text)
                && entities::complaint_topic_in(normalized).is_none()
                || self.against_other_business(clauses) && !entities::names_own_bill(&text))
    }

    /// Whether a word of the `ajeno` lookup is the party to a charge or a complaint: the
    /// charge follows it within five words ("el minimarket de la esquina me cobró"), or in
    /// its clause when it opens the clause or is where the customer was ("la empresa de luz
    /// me cortó sin aviso y me cobró", "en el almacén me cobraron el doble"; not where or
    /// how the customer paid: "la pagué en el banco y me cobraron"), or a
    /// complaint with or against it comes just before ("un reclamo con el supermercado",
    /// "reclamar contra la compañía de electricidad").
    fn against_other_business(&self, clauses: &[Clause<'_>]) -> bool {
        // A payment named anywhere ("tengo PAC y en el banco me cobraron dos veces").
        let paid = || {
            clauses.iter().flat_map(|c| &c.tokens).any(|t| {
                ["pag", "compr", "deposit", "transf", "automatic", "debit"]
                    .iter()
                    .any(|stem| t.raw.starts_with(stem))
                    || matches!(t.raw, "pac" | "pat")
            })
        };
        clauses.iter().any(|clause| {
            let words: Vec<&str> = clause.tokens.iter().map(|t| t.raw).collect();
            words.iter().enumerate().any(|(i, w)| {
                if !self.other_business_at(|j| words[j], i) {
                    return false;
                }
                let before = &words[i.saturating_sub(5)..i];
                // The customer's own business, or where they work, is no other party
                // ("tengo un gimnasio y me cobraron la instalación dos veces", "trabajo en
                // una empresa de aseo y me cobraron dos veces"), also past "empresa de".
                let owner = match before {
                    [rest @ .., "empresa" | "compania", "de"]
                    | [rest @ .., "empresa" | "compania", "de", "la" | "el"] => rest,
                    _ => before,
                };
                if matches!(
                    owner,
                    [.., "tengo" | "tenemos", "un" | "una"]
                        | [
                            ..,
                            "dueno" | "duena" | "duenos" | "trabajo" | "trabajamos",
                            "de" | "en",
                            "un" | "una" | "el" | "la"
                        ]
                ) {
                    return false;
                }
                // "Eléctrica" names a business after "compañía", "empresa" or "la" only
                // (not "una falla eléctrica").
                if *w == "electrica"
                    && !matches!(before.last(), Some(&("compania" | "empresa" | "la")))
                {
                    return false;
                }
                // How the customer paid is no party ("por el banco", "con la tarjeta del
                // banco"), nor where, when they paid ("la pagué en el banco y me
                // cobraron"); where they were charged is ("en el almacén me cobraron").
                let paid_there = before.iter().any(|b| matches!(*b, "por" | "con"))
                    || before.contains(&"en") && paid();
                // The business a charge comes from ("me llegó un cobro de Falabella"; not a
                // thing of something: "un cobro de licencia de antivirus").
                let charged_by = matches!(
                    before,
                    [.., charge, "de" | "del"]
                        if charge.starts_with("cobr") || matches!(*charge, "cargo" | "cargos")
                ) && !matches!(words.get(i + 1), Some(&("de" | "del")));
                // Where the customer was charged, told first, reaches the whole clause ("en
                // la farmacia rechacé el seguro y de todas formas me lo cobraron"), unless
                // the company is spoken to; so does the business that opens the clause, its
                // subject ("la empresa de luz me cortó sin aviso y me cobró la reposición"),
                // unless "ustedes" are.
                let spoken_to = |company: bool| {
                    words
                        .iter()
                        .any(|w| *w == "ustedes" || company && matches!(*w, "compania" | "empresa"))
                };
                let opens_clause = i <= 5 && matches!(owner, [] | ["el" | "la" | "los" | "las"]);
                let reach = if opens_clause && !spoken_to(false)
                    || matches!(before, [.., "en", "el" | "la" | "los" | "las"]) && !spoken_to(true)
                {
                    words.len()
                } else {
                    5
                };
                let charges = !paid_there
                    && (charged_by
                        || words[i + 1..]
                            .iter()
                            .take(reach)
                            .any(|a| a.starts_with("cobr")));
                let complains = before.windows(2).any(|pair| {
                    matches!(
                        pair[0],
                        "reclamo" | "reclamar" | "queja" | "quejarme" | "demandar"
                    ) && matches!(pair[1], "con" | "contra" | "a" | "al")
                });
                charges || complains
            })
        })
    }

    /// Whether another business is the one that answered, or was to answer ("si ya le
    /// contestaron del banco", "si respondieron de la isapre"), or whose bot gave the
    /// number ("el bot del banco me dio el número ..."): a word of the `ajeno` lookup right
    /// after an answer or a chat and "del" or "de" (and an article). Or the request told
    /// was made to one, a word of it within five words after "pedí" ("pedí un reembolso
    /// en el banco, ¿se pudo hacer?", "pedí una pizza, ¿se alcanzó a despachar?").
    fn answered_by_other_business(&self, clauses: &[Clause<'_>]) -> bool {
        clauses.iter().any(|clause| {
            let words: Vec<&str> = clause.tokens.iter().map(|t| t.raw).collect();
            // (Not one asked for it: "el cambio de plan que pedimos para el gimnasio".)
            let asked_of = |i: usize| {
                matches!(words[i], "pedi" | "pedimos" | "solicite" | "solicitamos")
                    && (i + 1..(i + 6).min(words.len())).any(|j| {
                        self.other_business_at(|k| words[k], j)
                            && !words[i + 1..j].iter().any(|w| matches!(*w, "para" | "pa"))
                    })
            };
            (0..words.len()).any(asked_of)
                || words.iter().enumerate().any(|(i, w)| {
                    let answered = matches!(
                        *w,
                        "contestaron"
                            | "respondieron"
                            | "llamaron"
                            | "avisaron"
                            | "escribieron"
                            | "bot"
                            | "chat"
                            | "chatbot"
                            | "asistente"
                    );
                    let business = match words.get(i + 1..i + 3) {
                        Some(["del", _]) => Some(i + 2),
                        Some(["de", "la" | "el" | "los" | "las"]) => Some(i + 3),
                        Some(["de", _]) => Some(i + 2),
                        _ => None,
                    };
                    answered
                        && business.is_some_and(|j| {
                            j < words.len() && self.other_business_at(|k| words[k], j)
                        })
                })
        })
    }

    /// Whether the message tells a failure of a service another business owns ("el wifi
    /// del hostal no anda": [`Self::names_owner_business`]) and names nothing of the
    /// company's (`entities::names_the_company`).
    fn outage_of_other_business(&self, normalized: &str, clauses: &[Clause<'_>]) -> bool {
        let text = entities::without_clause_breaks(normalized);
        self.names_owner_business(clauses)
            && entities::fails(&text)
            && !entities::names_the_company(&text)
    }

    /// Whether the message ends by taking leave (`entities::ends_with_farewell`), or thanks
    /// with good wishes or a leave-taking anywhere (`entities::thanks_with_good_wishes`),
    /// and asks for nothing before it: no failure, no person, no complaint topic, no earlier
    /// request asked about (`about_earlier`), no want or command ("quiero", "reinicien"), no
    /// restart named.
    fn only_takes_leave(
        &self,
        text: &str,
        normalized: &str,
        clauses: &[Clause<'_>],
        about_earlier: impl FnOnce() -> bool,
    ) -> bool {
        if !(entities::ends_with_farewell(normalized)
            || entities::thanks_with_good_wishes(normalized))
        {
            return false;
        }
        let plain = entities::without_clause_breaks(normalized);
        // A question, a want, a command or a polite request before the goodbye asks
        // something ("¿pueden hacer un reset al módem? gracias, saludos").
        // (A restart thanked for is done: "gracias por reiniciar el módem, ya tengo
        // internet, chao", "ya anda después del reinicio"; so is one told in the past: "ya
        // me reiniciaron el módem y quedó funcionando, gracias, adiós".)
        // (Not asked whether it was done: "quería saber si me reiniciaron el módem".)
        let done = |word: &str, before: &[Token<'_>]| {
            matches!(
                word,
                "reiniciaron"
                    | "resetearon"
                    | "reiniciamos"
                    | "reseteamos"
                    | "reiniciado"
                    | "reseteado"
            ) && !before.iter().any(|t| t.raw == "si")
        };
        let asks = text.contains('?')
            || clauses.iter().any(|c| {
                c.tokens.iter().enumerate().any(|(i, t)| {
                    let thanked = || {
                        let before: Vec<&str> = c.tokens[i.saturating_sub(3)..i]
                            .iter()
                            .map(|t| t.raw)
                            .collect();
                        matches!(
                            before.as_slice(),
                            [.., "gracias", "por"]
                                | [.., "gracias", "por", "el" | "la"]
                                | [.., "despues" | "luego", "del"]
                                | [.., "tras", "el"]
                        )
                    };
                    // (A wish told in the past asks too: "quería saber de mi reclamo,
                    // gracias y buenas tardes"; not "quería agradecerles".)
                    let wished = || {
                        matches!(t.raw, "queria" | "queriamos")
                            && c.tokens.get(i + 1).is_some_and(|n| {
                                matches!(
                                    n.raw,
                                    "saber"
                                        | "ver"
                                        | "consultar"
                                        | "preguntar"
                                        | "revisar"
                                        | "pedir"
                                        | "solicitar"
                                )
                            })
                    };
                    // ("Le deseo una excelente semana" wishes the company well.)
                    let wishes_well = || {
                        t.raw == "deseo"
                            && i.checked_sub(1)
                                .is_some_and(|b| matches!(c.tokens[b].raw, "le" | "les" | "te"))
                    };
                    REQUEST_WORDS.contains(&t.raw) && !wishes_well()
                        || matches!(
                            t.raw,
                            "pueden"
                                | "puede"
                                | "podrian"
                                | "podria"
                                | "favor"
                                | "gustaria"
                                | "porfa"
                                | "porfis"
                                | "xfa"
                                | "plis"
                        )
                        || wished()
                        || ["reinici", "resete", "reset", "restablec"]
                            .iter()
                            .any(|stem| t.raw.starts_with(stem))
                            && !thanked()
                            && !done(t.raw, &c.tokens[i.saturating_sub(3)..i])
                })
            });
        !asks
            && !entities::fails(&plain)
            && !entities::names_a_person_in(normalized)
            && entities::complaint_topic_in(normalized).is_none()
            && !about_earlier()
    }

    /// Whether a word of the `ajeno` lookup is in the message, not the customer's own
    /// business ([`own_business_at`]). When what the shop itself `sold` or did is meant (a
    /// charge, its own service), only one the customer says they have is theirs: "la
    /// botillería me cobró de más" is a shop's charge, "el internet de la botillería" the
    /// customer's service.
    fn names_other_business(&self, clauses: &[Clause<'_>], sold: bool) -> bool {
        clauses.iter().any(|clause| {
            let tokens = &clause.tokens;
            (0..tokens.len()).any(|i| {
                self.other_business_at(|j| tokens[j].raw, i)
                    && !own_business_at(clauses, tokens, i, sold)
            })
        })
    }

    /// Whether `words[i]` names another business: a word of the `ajeno` lookup, or one of
    /// [`OTHER_TRADES`] a company is "de" ("la compañía de luz", "la empresa de la luz",
    /// "la empresa de alarmas"; "luz" alone is also the módem's: "la luz roja del módem"),
    /// or a company something "es de otra" ("la máquina es de otra empresa"; not "me cambié
    /// de otra empresa").
    /// (`word_at(j)` is the clause's `j`th word.)
    fn other_business_at<'w>(&self, word_at: impl Fn(usize) -> &'w str, i: usize) -> bool {
        let word = |back: usize| i.checked_sub(back).map(&word_at);
        // ("Los de la luz" say it too.)
        let company = |at: usize| matches!(word(at), Some("compania" | "empresa" | "los"));
        let here = word_at(i);
        // A thing said to be another company's ("la máquina es de otra empresa").
        let anothers = matches!(here, "compania" | "empresa")
            && word(1) == Some("otra")
            && word(2) == Some("de")
            && matches!(word(3), Some("es" | "son" | "era" | "eran"));
        // Any trade a company or supplier is "de" that is not the company's own, nor how
        // bad it is ("la empresa de grúas", "el proveedor de vinos"; not "la empresa de
        // telefonía", "esta empresa de porquería").
        let supplier = || {
            word(1) == Some("de")
                && matches!(
                    word(2),
                    Some("empresa" | "compania" | "proveedor" | "proveedora" | "proveedores")
                )
                && here.len() >= 4
                && !NOT_TRADES.contains(&here)
                && !entities::names_service(here)
        };
        self.other_businesses.contains(here)
            || anothers
            || OTHER_TRADES.contains(&here)
                && (word(1) == Some("de") && company(2)
                    || word(1) == Some("la") && word(2) == Some("de") && company(3))
            || supplier()
    }

    /// Whether a word of the `ajeno` lookup owns a service, device or technician the
    /// message names: it follows one of them and "de" or "del", maybe with an article ("el
    /// wifi de la clínica", "la app del banco", "el técnico de la lavadora"), or the
    /// business is a place told with "donde" ("el gimnasio donde entreno") and the message
    /// names one; not a place where the customer is ("en el gimnasio"), nor another "de"
    /// ("desde la hora de almuerzo", "las tareas del colegio").
    fn names_owner_business(&self, clauses: &[Clause<'_>]) -> bool {
        // The message's words, for the readers below that look across its clauses.
        let words = || clauses.iter().flat_map(|c| &c.tokens).map(|t| t.raw);
        // The customer's own business, or one whose router they ask to restart ("el wifi
        // de la hostería no funciona y tengo pasajeros, ¿pueden reiniciar el router?").
        // (Read only when a business owns something in the message.)
        let theirs = || {
            words().zip(words().skip(1)).any(|pair| {
                matches!(
                    pair,
                    (
                        "tengo" | "tenemos",
                        "pasajeros" | "clientes" | "huespedes" | "turistas"
                    ) | ("mi" | "nuestro", "negocio" | "local")
                        | ("es", "mio" | "mia" | "nuestro" | "nuestra")
                )
            }) || words().any(|t| ["reinici", "resete"].iter().any(|stem| t.starts_with(stem)))
        };
        // A guest or an employee of the business ([`DEVICES`]).
        let visiting = || words().any(|w| VISITING.contains(&w));
        let own_service = || {
            words().any(|w| matches!(w, "mio" | "mia"))
                || words().zip(words().skip(1)).any(|pair| {
                    matches!(
                        pair,
                        (
                            "mi" | "nuestro" | "nuestra",
                            "internet" | "wifi" | "red" | "senal"
                        )
                    )
                })
        };
        // A place rented for the holidays is a business too ("estoy de vacaciones en unas
        // cabañas y el internet de las cabañas no funciona"; not "tengo unas cabañas").
        // (Or one "arrendada" where the customer does not live: "estoy en una cabaña
        // arrendada en Tortel"; not "vivo en una cabaña arrendada".)
        let on_holiday = || {
            words().any(|w| {
                matches!(
                    w,
                    "vacaciones" | "veraneando" | "veraneo" | "arrendamos" | "arrende"
                )
            }) || words().any(|w| matches!(w, "arrendada" | "arrendadas" | "arrendado"))
                && !words().any(|w| w.starts_with("viv"))
                // (Nor the customer's own, rented out: "tengo unas cabañas arrendadas".)
                && !words().zip(words().skip(1)).any(|pair| {
                    matches!(pair, ("tengo" | "tenemos", "unas" | "una" | "mis" | "dos" | "tres"))
                })
        };
        let business =
            |w: &str| self.other_businesses.contains(w) || LODGINGS.contains(&w) && on_holiday();
        let named = || words().any(business);
        let owned = clauses.iter().any(|clause| {
            let tokens = &clause.tokens;
            tokens.iter().enumerate().any(|(i, t)| {
                let word = |back: usize| i.checked_sub(back).map(|j| tokens[j].raw);
                let of = |at: usize| {
                    // (Past "es": "el wifi es de la dueña"; past one said free or open: "el
                    // wifi gratis del mall".)
                    let thing = match word(at + 1) {
                        Some(
                            "es" | "son" | "gratis" | "gratuito" | "publico" | "abierto" | "libre",
                        ) => word(at + 2),
                        thing => thing,
                    };
                    matches!(word(at), Some("de" | "del"))
                        && thing.is_some_and(|w| {
                            OWNED_THINGS.contains(&w) && (!DEVICES.contains(&w) || visiting())
                        })
                };
                // The thing before it: "el wifi del hotel", "el wifi de la clínica", "la
                // señal es del hostal".
                let owns =
                    || of(1) || matches!(word(1), Some("el" | "la" | "los" | "las")) && of(2);
                business(t.raw)
                    && !own_business_at(clauses, tokens, i, false)
                    && owns()
                    // (Nor when the customer's own fails too: "el wifi del hotel no anda y
                    // el mío tampoco".)
                    && !own_service()
                    // Or "de ellos" after a business named ("estoy en un hostal y el wifi
                    // de ellos no funciona"), or the place's owners ("el wifi de los
                    // dueños no anda", "de los administradores"), when the customer names
                    // no service of their own
                    // ("uso el wifi del dueño porque el mío no funciona").
                    || (t.raw == "ellos" && of(1) && named()
                        || matches!(
                            t.raw,
                            "dueno"
                                | "duenos"
                                | "duena"
                                | "duenas"
                                | "administrador"
                                | "administradores"
                                | "administradora"
                                | "administracion"
                        ) && owns())
                        && !own_service()
            })
        });
        // Or a place the business is, told with "donde", and a service there ("el
        // gimnasio donde entreno: el wifi no funciona nunca", "la clínica donde tienen a mi
        // papá no tiene señal de tele").
        let there = || {
            let words: Vec<&str> = words().collect();
            words
                .windows(2)
                .any(|w| self.other_businesses.contains(w[0]) && w[1] == "donde")
                && words.iter().enumerate().any(|(i, w)| {
                    OWNED_THINGS.contains(w)
                        && (!DEVICES.contains(w) || visiting())
                        // Not the customer's own ("fui al banco donde me atienden y mi
                        // internet no funciona").
                        && !(i > 0 && matches!(words[i - 1], "mi" | "mis" | "nuestro" | "nuestra"))
                })
        };
        (owned || there()) && !theirs()
    }

    /// What [`classify_with`](Self::classify_with) needs of a message besides the
    /// thresholds, so that cross-validation scores each held-out message once and decides
    /// it under many settings ([`Scored::decide`]).
    pub(crate) fn scored(&self, text: &str) -> Scored {
        self.with_raw_features(text, |text, normalized, clauses, raw| {
            let x = self.vectorize(raw);
            let (logits, others) = if x.is_empty() || !has_content(clauses) {
                (None, [None; FALLBACK])
            } else {
                let others = std::array::from_fn(|c| self.other_request(clauses, CLASSES[c]));
                (Some(self.logits_of(&x)), others)
            };
            let reading = Reading::new(self, text, normalized, clauses);
            Scored {
                logits,
                others,
                about_earlier: reading.about_earlier(),
                question: reading.question(),
                names_request: reading.names_request(),
                matter: reading.matter(),
                outage: reading.outage(),
                outage_only: reading.outage_only(),
                beyond_restart: reading.beyond_restart(),
                how_to: reading.how_to(),
                for_a_person: reading.for_a_person(),
                farewell: reading.farewell(),
                takes_leave: reading.takes_leave(),
                elsewhere_outage: reading.elsewhere_outage(),
                restart_declined: reading.restart_declined(),
                asks_more: reading.asks_more(),
                bot_condemned: reading.bot_condemned(),
                answered_elsewhere: reading.answered_elsewhere(),
                spam: reading.spam(),
                small_talk: reading.small_talk(),
                unrelated: reading.unrelated(),
                chat_cut: reading.chat_cut(),
                call_back: reading.call_back(),
                restart_asked: reading.restart_asked(),
                new_complaint: reading.new_complaint(),
                other_business: reading.other_business(),
            }
        })
    }
}

/// Whether `tokens[i]` (a word of one of the message's `clauses`) names the customer's
/// own business rather than another one: one of [`OWN_TRADES`] or
/// [`RUN_TRADES`] the message says the customer has ("tengo un hostal", "nuestra
/// botillería", "pa mi gimnasio queremos..."; "mi gimnasio" alone is where one goes), or,
/// unless what it `sold` is meant, one
/// of [`OWN_TRADES`] that is nobody else's ("la peluquería de mi vecina") and that the
/// message does not tell the customer or theirs go to or work at ("dejé el auto en el
/// taller", "mi hija trabaja en un minimarket").
fn own_business_at(clauses: &[Clause<'_>], tokens: &[Token<'_>], i: usize, sold: bool) -> bool {
    let here = tokens[i].raw;
    let has = |w: &[Token<'_>]| {
        w[2].raw == here
            && (matches!(w[1].raw, "nuestro" | "nuestra")
                || matches!(w[1].raw, "un" | "una")
                    && matches!(
                        w[0].raw,
                        "tengo" | "tenemos" | "administro" | "administramos" | "manejo"
                    ))
    };
    // What the customer wants for it, in the same clause: "pa mi gimnasio queremos subir
    // el plan" (not "pagué la mensualidad pa mi gimnasio").
    let wanted_for = |c: &Clause<'_>| {
        c.tokens
            .windows(3)
            .any(|w| w[2].raw == here && w[1].raw == "mi" && matches!(w[0].raw, "para" | "pa"))
            && c.tokens.iter().any(|t| {
                matches!(
                    t.raw,
                    "queremos" | "necesitamos" | "quiero" | "necesito" | "queria" | "necesitaria"
                )
            })
    };
    // Anywhere in the message ("tengo un hostal y el wifi del hostal no anda").
    let said = || {
        clauses
            .iter()
            .any(|c| c.tokens.windows(3).any(has) || wanted_for(c))
    };
    // A mention of it after a verb of going, being or working, within five words.
    let visited = || {
        clauses.iter().any(|c| {
            c.tokens.iter().enumerate().any(|(k, t)| {
                t.raw == here
                    && c.tokens[k.saturating_sub(5)..k].iter().any(|v| {
                        VISITING.contains(&v.raw)
                            || matches!(
                                v.raw,
                                "fui"
                                    | "voy"
                                    | "fuimos"
                                    | "vamos"
                                    | "ando"
                                    | "estaba"
                                    | "estuve"
                                    | "deje"
                                    | "trabaja"
                                    | "trabajan"
                                    | "trabajaba"
                            )
                    })
            })
        })
    };
    // Someone else's ("la peluquería de mi vecina", "el taller del Juan"; not the
    // customer's own kind of one: "mi taller de carpintería").
    let someone_elses = || {
        tokens
            .get(i + 1)
            .is_some_and(|t| matches!(t.raw, "de" | "del"))
            && !i
                .checked_sub(1)
                .is_some_and(|b| matches!(tokens[b].raw, "mi" | "nuestro" | "nuestra"))
    };
    OWN_TRADES.contains(&here) && (!sold && !someone_elses() && !visited() || said())
        || RUN_TRADES.contains(&here) && said()
}

/// What the rules after the model read of a message ([`after_the_model`]): read on demand
/// when classifying ([`Reading`]), all at once when cross-validating ([`Scored`]).
trait Evidence {
    /// The matter only a person handles it reports ([`Prediction::matter_if_unplaced`]).
    fn matter(&self) -> Option<Topic>;
    /// Whether it reports a failure of the service ([`Prediction::outage_if_unplaced`]).
    fn outage(&self) -> bool;
    /// Whether it reports one and asks for no person, makes no demand only a person meets
    /// and names no complaint topic ([`Prediction::outage_answers_if`]).
    fn outage_only(&self) -> bool;
    /// Whether it asks how an earlier request stands ([`Prediction::about_earlier_if`]).
    fn about_earlier(&self) -> bool;
    /// The matter a restart cannot help with it reports
    /// ([`Prediction::matter_beyond_restart`]).
    fn beyond_restart(&self) -> Option<Topic>;
    /// Whether it asks how to do something with the equipment, or whether something works
    /// in a case ([`Prediction::how_to_if`]).
    fn how_to(&self) -> bool;
    /// Whether it names a complaint topic, speaks of reaching a person
    /// (`entities::speaks_of_a_person`) or asks to be called ([`Prediction::how_to_if`]).
    fn for_a_person(&self) -> bool;
    /// Whether it tells a failure that is not the service's: another business's, or with
    /// the service said to work ([`Prediction::elsewhere_outage_if`]).
    fn elsewhere_outage(&self) -> bool;
    /// Whether it turns a restart down, or only a call, and tells no failure
    /// ([`Prediction::restart_declined_if`]).
    fn restart_declined(&self) -> bool;
    /// Whether it speaks of a person in any words, or names a complaint topic
    /// ([`Prediction::restart_declined_if`]: "no reseteen el router, lo único que necesito
    /// es que alguien revise mi boleta").
    fn asks_more(&self) -> bool;
    /// Whether it only takes leave ([`Prediction::farewell_if`]).
    fn farewell(&self) -> bool;
    /// Whether it ends by taking leave, whatever it says before
    /// ([`Prediction::matter_if_unplaced`]).
    fn takes_leave(&self) -> bool;
    /// Whether it tells a chat with a person was cut ([`Prediction::person_again_if`]).
    fn chat_cut(&self) -> bool;
    /// Whether it asks to be called, or for a person in so many words
    /// ([`Prediction::call_back_if`]).
    fn call_back(&self) -> bool;
    /// Whether it asks for a restart in so many words and does not take it back in a later
    /// clause ([`Prediction::call_back_if`]: "no, mejor reinicien el deco" turns from the
    /// person; [`Prediction::restart_before_goodbye_if`]).
    fn restart_asked(&self) -> bool;
    /// Whether it files a new complaint, or turns from what it asked to a person
    /// ([`Prediction::new_complaint_if`]).
    fn new_complaint(&self) -> bool;
    /// Whether it is about another business ([`Prediction::other_business_if`]).
    fn other_business(&self) -> bool;
    /// Whether it condemns the bot ([`Prediction::bot_condemned_if`]).
    fn bot_condemned(&self) -> bool;
    /// Whether another business answered what it asks about, or was asked for it
    /// ([`Prediction::about_earlier_if`]: "si ya le contestaron del banco", "pedí un
    /// reembolso en el banco, ¿se pudo hacer?").
    fn answered_elsewhere(&self) -> bool;
    /// Whether it has a question mark ([`Prediction::about_earlier_if`]).
    fn question(&self) -> bool;
    /// Whether it calls something a request ([`Prediction::about_earlier_if`]).
    fn names_request(&self) -> bool;
    /// Whether it is spam ([`Prediction::spam_if`]).
    fn spam(&self) -> bool;
    /// Whether it is small talk ([`Prediction::small_talk_if`]).
    fn small_talk(&self) -> bool;
    /// Whether it names nothing of the company's ([`Prediction::unrelated_if`]).
    fn unrelated(&self) -> bool;
}

/// The rules after the model, in their order, each reading `evidence` only when the
/// decision so far lets it apply. The one chain [`YamlClassifier::classify_with`] and
/// [`Scored::decide`] share.
fn after_the_model(decided: Prediction, evidence: &impl Evidence) -> Prediction {
    decided
        .matter_if_unplaced(|| evidence.matter(), || evidence.takes_leave())
        .outage_if_unplaced(|| evidence.outage())
        .outage_answers_if(|| evidence.outage_only())
        .outage_over_contact_if(|| {
            evidence.outage_only() && !evidence.about_earlier() && evidence.matter().is_none()
        })
        .matter_beyond_restart(|| evidence.beyond_restart())
        .how_to_if(|| evidence.how_to(), || evidence.for_a_person())
        .elsewhere_outage_if(|| evidence.elsewhere_outage())
        .restart_declined_if(
            || evidence.restart_declined(),
            || evidence.for_a_person() || evidence.asks_more(),
        )
        .farewell_if(|| evidence.farewell())
        .restart_before_goodbye_if(|| evidence.restart_asked())
        .person_again_if(|| evidence.chat_cut())
        .call_back_if(|| evidence.call_back(), || evidence.restart_asked())
        .new_complaint_if(|| evidence.new_complaint())
        .other_business_if(|| evidence.other_business())
        .bot_condemned_if(|| evidence.bot_condemned())
        .about_earlier_if(
            // (Not an answer from another business: "mi tata pregunta si ya le contestaron
            // del banco".)
            || evidence.about_earlier() && !evidence.answered_elsewhere(),
            evidence.question(),
            || evidence.names_request(),
        )
        .spam_if(|| evidence.spam())
        .small_talk_if(|| evidence.small_talk())
        .unrelated_if(|| evidence.unrelated())
}

/// A message's evidence read on demand, the pieces more than one rule asks for (the
/// failure, the failure asking for nobody, the question about an earlier request) at most
/// once.
struct Reading<'a, 'c> {
    classifier: &'a YamlClassifier,
    text: &'a str,
    normalized: &'a str,
    clauses: &'a [Clause<'c>],
    about_earlier: OnceCell<bool>,
    outage: OnceCell<bool>,
    outage_only: OnceCell<bool>,
}

impl<'a, 'c> Reading<'a, 'c> {
    fn new(
        classifier: &'a YamlClassifier,
        text: &'a str,
        normalized: &'a str,
        clauses: &'a [Clause<'c>],
    ) -> Self {
        Reading {
            classifier,
            text,
            normalized,
            clauses,
            about_earlier: OnceCell::new(),
            outage: OnceCell::new(),
            outage_only: OnceCell::new(),
        }
    }
}

impl Evidence for Reading<'_, '_> {
    fn matter(&self) -> Option<Topic> {
        self.classifier
            .reported_matter(self.text, self.normalized, self.clauses)
    }
    fn outage(&self) -> bool {
        *self.outage.get_or_init(|| {
            self.classifier
                .reported_outage(self.text, self.normalized, self.clauses)
        })
    }
    fn outage_only(&self) -> bool {
        // Nor a complaint topic ("me cambié de casa y el internet no funciona" is a move).
        *self
            .outage_only
            .get_or_init(|| self.outage() && asks_nothing_more(self.normalized))
    }
    fn about_earlier(&self) -> bool {
        *self
            .about_earlier
            .get_or_init(|| entities::asks_status_of_earlier_in(self.text, self.normalized))
    }
    fn beyond_restart(&self) -> Option<Topic> {
        // Or a change of the account when no failure is told and no restart asked ("no
        // quiero seguir con el cable, déjenme solo con internet").
        // (The failure first: it is read once, and most restarts read tell one.)
        entities::topic_beyond_restart_in(self.normalized).or_else(|| {
            if self.outage() {
                return None;
            }
            entities::complaint_topic_in(self.normalized)
                .filter(|topic| topic.changes_the_account())
        })
    }
    fn how_to(&self) -> bool {
        entities::asks_how_to(self.normalized)
            || entities::asks_what_if(self.text, self.normalized)
            || entities::asks_for_the_number(self.normalized)
    }
    fn for_a_person(&self) -> bool {
        // (A topic the message asks the papers or the price for is the question's subject:
        // "¿cuánto me saldría subir a un plan de más megas?"; a caller to block "a cada
        // rato" is no bad service; a WiFi key the customer changes alone is how-to:
        // "enséñenme a cambiar la contraseña yo mismo"; so is a restart learnt.)
        let text = entities::without_clause_breaks(self.normalized);
        entities::complaint_topic_in(self.normalized).is_some_and(|topic| match topic {
            Topic::MalaCalidad => !entities::blocks_a_caller(&text),
            Topic::ClaveWifi => !entities::by_oneself(&text),
            // (A restart learnt "para no tener que escribirles cada vez" failed nothing.)
            Topic::ReinicioFallido => !entities::asks_how_to(self.normalized),
            _ => true,
        }) && !entities::asks_requirements(self.normalized)
            && !entities::asks_price(&text)
            || entities::speaks_of_a_person(self.normalized)
            || entities::asks_for_a_call(self.normalized)
    }
    fn elsewhere_outage(&self) -> bool {
        self.classifier
            .outage_of_other_business(self.normalized, self.clauses)
            || entities::says_service_works(self.normalized)
            || entities::others_outage(self.normalized)
    }
    fn restart_declined(&self) -> bool {
        entities::declines_restart(self.normalized) || entities::declines_a_call(self.normalized)
    }
    fn asks_more(&self) -> bool {
        !asks_nothing_more(self.normalized)
    }
    fn farewell(&self) -> bool {
        self.classifier
            .only_takes_leave(self.text, self.normalized, self.clauses, || {
                self.about_earlier()
            })
    }
    fn takes_leave(&self) -> bool {
        entities::ends_with_farewell(self.normalized)
    }
    fn chat_cut(&self) -> bool {
        entities::chat_was_cut(self.normalized)
    }
    fn call_back(&self) -> bool {
        entities::asks_for_a_call(self.normalized) || entities::demands_a_person(self.normalized)
    }
    fn restart_asked(&self) -> bool {
        entities::asks_for_restart(self.normalized)
    }
    fn new_complaint(&self) -> bool {
        entities::files_new_complaint(self.normalized)
            || entities::turns_to_a_person(self.normalized)
            || !self.text.contains('?') && entities::denies_resolution(self.normalized)
    }
    fn other_business(&self) -> bool {
        self.classifier
            .about_other_business(self.normalized, self.clauses)
    }
    fn bot_condemned(&self) -> bool {
        entities::condemns_the_bot(self.normalized)
    }
    fn answered_elsewhere(&self) -> bool {
        self.classifier.answered_by_other_business(self.clauses)
    }
    fn question(&self) -> bool {
        self.text.contains('?')
    }
    fn names_request(&self) -> bool {
        entities::names_request(self.normalized)
    }
    fn spam(&self) -> bool {
        entities::is_spam(self.normalized)
    }
    fn small_talk(&self) -> bool {
        entities::is_small_talk(self.normalized)
    }
    fn unrelated(&self) -> bool {
        entities::names_nothing_of_the_company(self.normalized)
    }
}

/// Whether a normalised message names a service of the company's other than a plan, also
/// as "el servicio" ("hay que trasladar el servicio"): what a cancellation or a move is of.
fn names_any_service(normalized: &str) -> bool {
    let text = entities::without_clause_breaks(normalized);
    // (A plan alone may be another business's: "el plan de salud de la isapre".)
    let without_plans = text::words(&text)
        .filter(|w| !matches!(*w, "plan" | "planes"))
        .collect::<Vec<_>>()
        .join(" ");
    entities::names_service(&without_plans)
        || text::words(&text).any(|w| matches!(w, "servicio" | "servicios"))
}

/// Whether a message says anything but function words: "y?", "con", "x" alone are no
/// evidence of what it asks for (the character channel alone read "y" as an executive with
/// 1.00), so the classifier abstains on them.
fn has_content(clauses: &[Clause<'_>]) -> bool {
    // "no", "ya", "si", "nada" and "mas" answer or close ("nada más", "ya, nada más").
    clauses.iter().flat_map(|c| &c.tokens).any(|t| {
        !STOPWORDS.contains(&t.raw) || matches!(t.raw, "no" | "ya" | "si" | "nada" | "mas")
    })
}

/// Whether a message asks for no person, makes no demand only a person meets
/// (`entities::asks_for_person`) and names no complaint topic: what a reported failure
/// needs to answer a restart-or-executive question as a restart.
fn asks_nothing_more(normalized: &str) -> bool {
    !entities::asks_for_person(&entities::without_clause_breaks(normalized))
        && entities::complaint_topic_in(normalized).is_none()
}

/// A message's class scores, and the other option it asks for beside each possible best
/// one (see [`YamlClassifier::scored`]).
pub(crate) struct Scored {
    pub(crate) logits: Option<[f32; NCLASS]>,
    others: [Option<Intent>; FALLBACK],
    // The evidence the rules after the model read ([`Evidence`]), each read once.
    about_earlier: bool,
    question: bool,
    names_request: bool,
    matter: Option<Topic>,
    outage: bool,
    outage_only: bool,
    chat_cut: bool,
    call_back: bool,
    restart_asked: bool,
    new_complaint: bool,
    other_business: bool,
    beyond_restart: Option<Topic>,
    how_to: bool,
    for_a_person: bool,
    farewell: bool,
    takes_leave: bool,
    elsewhere_outage: bool,
    restart_declined: bool,
    asks_more: bool,
    bot_condemned: bool,
    answered_elsewhere: bool,
    spam: bool,
    small_talk: bool,
    unrelated: bool,
}

impl Evidence for Scored {
    fn matter(&self) -> Option<Topic> {
        self.matter
    }
    fn outage(&self) -> bool {
        self.outage
    }
    fn outage_only(&self) -> bool {
        self.outage_only
    }
    fn about_earlier(&self) -> bool {
        self.about_earlier
    }
    fn beyond_restart(&self) -> Option<Topic> {
        self.beyond_restart
    }
    fn how_to(&self) -> bool {
        self.how_to
    }
    fn for_a_person(&self) -> bool {
        self.for_a_person
    }
    fn elsewhere_outage(&self) -> bool {
        self.elsewhere_outage
    }
    fn restart_declined(&self) -> bool {
        self.restart_declined
    }
    fn asks_more(&self) -> bool {
        self.asks_more
    }
    fn farewell(&self) -> bool {
        self.farewell
    }
    fn takes_leave(&self) -> bool {
        self.takes_leave
    }
    fn chat_cut(&self) -> bool {
        self.chat_cut
    }
    fn call_back(&self) -> bool {
        self.call_back
    }
    fn restart_asked(&self) -> bool {
        self.restart_asked
    }
    fn new_complaint(&self) -> bool {
        self.new_complaint
    }
    fn other_business(&self) -> bool {
        self.other_business
    }
    fn bot_condemned(&self) -> bool {
        self.bot_condemned
    }
    fn answered_elsewhere(&self) -> bool {
        self.answered_elsewhere
    }
    fn question(&self) -> bool {
        self.question
    }
    fn names_request(&self) -> bool {
        self.names_request
    }
    fn spam(&self) -> bool {
        self.spam
    }
    fn small_talk(&self) -> bool {
        self.small_talk
    }
    fn unrelated(&self) -> bool {
        self.unrelated
    }
}

impl Scored {
    /// The prediction [`YamlClassifier::classify_with`] makes at `thresholds`, without the
    /// complaint's topic.
    pub(crate) fn decide(&self, thresholds: &Thresholds) -> Prediction {
        let decided = decide_logits(self.logits, thresholds, |top| {
            CLASSES
                .iter()
                .position(|c| *c == top)
                .and_then(|c| self.others[c])
        });
        after_the_model(decided, self).calibrated(thresholds)
    }
}

/// The decision for a message's logits (`None`: no known feature fired): the fallback
/// bias and the temperature applied, then [`decide`]; a confident option becomes a
/// clarification when `other` names a second request in the message ("reiniciar el modem
/// o hablar con alguien").
fn decide_logits(
    logits: Option<[f32; NCLASS]>,
    thresholds: &Thresholds,
    other: impl FnOnce(Intent) -> Option<Intent>,
) -> Prediction {
    let Some(mut z) = logits else {
        let ranking = Intent::OPTIONS.iter().map(|i| (*i, 0.0)).collect();
        return Prediction {
            intent: Intent::Fallback,
            confidence: 1.0,
            ranking,
            decision: Decision::Fallback,
            topic: None,
            rule: None,
        };
    };
    z[FALLBACK] += thresholds.fallback_bias;
    let p = softmax(z, thresholds.temperature);
    let mut prediction = decide(&p, thresholds);
    // Two requests in one message: ask which one first.
    if let Decision::Intent(top) = prediction.decision {
        if let Some(other) = other(top) {
            prediction.decision = Decision::Clarify(top, other);
        }
    }
    prediction
}

/// The decision for class probabilities (the four options in menu order, then the
/// fallback class): abstain when the fallback class wins or no option reaches
/// `abstain_threshold` (confidence = 1 - best option's probability); clarify when the
/// two best options are closer than `clarify_margin`; else the best option with its
/// probability as confidence.
pub(crate) fn decide(p: &[f32; NCLASS], thresholds: &Thresholds) -> Prediction {
    let mut ranking: Vec<(Intent, f32)> = CLASSES[..FALLBACK]
        .iter()
        .copied()
        .zip(p[..FALLBACK].iter().copied())
        .collect();
    ranking.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (top, top_p) = ranking[0];
    let (second, second_p) = ranking[1];
    if p[FALLBACK] >= top_p || top_p < thresholds.abstain_threshold {
        return Prediction {
            intent: Intent::Fallback,
            confidence: 1.0 - top_p,
            ranking,
            decision: Decision::Fallback,
            topic: None,
            rule: None,
        };
    }
    let decision = if top_p - second_p < thresholds.clarify_margin {
        Decision::Clarify(top, second)
    } else {
        Decision::Intent(top)
    };
    Prediction {
        intent: top,
        confidence: top_p,
        ranking,
        decision,
        topic: None,
        rule: None,
    }
}

impl Classifier for YamlClassifier {
    fn classify(&self, text: &str) -> Prediction {
        self.classify_with(text, &self.thresholds)
    }
}

/// Softmax of logits divided by a temperature.
pub(crate) fn softmax(mut z: [f32; NCLASS], temperature: f32) -> [f32; NCLASS] {
    let t = if temperature > 0.0 { temperature } else { 1.0 };
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for zc in &mut z {
        *zc = ((*zc - max) / t).exp();
        sum += *zc;
    }
    for zc in &mut z {
        *zc /= sum;
    }
    z
}

/// Character 2- to 5-grams of a token padded with one space on each side (word-boundary
/// aware, like scikit-learn's `char_wb` analyser): " ho", "hol", "ola ", ... The token is
/// the normalised surface form (no accents, lower case, repeated letters squeezed), so
/// these features see typos and word forms the lexicon does not know.
fn char_ngrams(token: &str, weight: f32, out: &mut RawFeatures) {
    let mut buf = [b' '; 34];
    let bytes = token.as_bytes();
    if bytes.len() > 32 || bytes.is_empty() {
        return;
    }
    buf[1..=bytes.len()].copy_from_slice(bytes);
    let padded = &buf[..bytes.len() + 2];
    for n in CHAR_NGRAMS {
        if padded.len() < n {
            continue;
        }
        for window in padded.windows(n) {
            out.push((feature_hash(NS_CHAR, &[window]), weight, NS_CHAR));
        }
    }
}

/// Merges duplicate features, applies sublinear TF times `scale`, and L2-normalises the
/// two channels separately: the character n-grams (`char_channel[i]`) to
/// `CHAR_CHANNEL_NORM`, everything else (words, bigrams, keywords, lookups, regexes) to
/// 1, as scikit-learn's `FeatureUnion` of two TF-IDF vectorisers does. However many
/// n-grams a long word brings, they cannot drown the word features, nor the reverse.
fn finish_vector(v: &mut Vec<(u32, f32)>, scale: &[f32], char_channel: &[bool]) {
    // Duplicates merged in order of first appearance through a small open-addressing
    // table (positions in `merged`), which is cheaper than sorting the features.
    let bits = (v.len() * 2).max(8).next_power_of_two().trailing_zeros();
    let mask = (1usize << bits) - 1;
    let mut slots = vec![u32::MAX; mask + 1];
    let mut merged: Vec<(u32, f32)> = Vec::with_capacity(v.len());
    for &(i, w) in v.iter() {
        // Fibonacci hashing: the top bits of the index times 2^64 / φ.
        let mut at = (u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
        loop {
            match slots[at] {
                u32::MAX => {
                    slots[at] = merged.len() as u32;
                    merged.push((i, w));
                    break;
                }
                k if merged[k as usize].0 == i => {
                    merged[k as usize].1 += w;
                    break;
                }
                _ => at = (at + 1) & mask,
            }
        }
    }
    let mut norm = [0.0f32; 2];
    for (i, w) in &mut merged {
        *w = (1.0 + w.max(1e-3).ln().max(-1.0)).max(0.05) * scale[*i as usize];
        norm[usize::from(char_channel[*i as usize])] += *w * *w;
    }
    let norm = [norm[0].sqrt(), norm[1].sqrt() / CHAR_CHANNEL_NORM];
    for (i, w) in &mut merged {
        let n = norm[usize::from(char_channel[*i as usize])];
        if n > 0.0 {
            *w /= n;
        }
    }
    *v = merged;
}

/// Applies random character edits (delete, insert, substitute, swap) to letters with
/// probability `rate` each. Used for training augmentation and `eval --typos`.
pub fn add_typos(text: &str, rate: f64, rng: &mut impl Rng) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() && rng.gen_bool(rate.clamp(0.0, 1.0)) {
            let random = char::from(LETTERS[rng.gen_range(0..LETTERS.len())]);
            match rng.gen_range(0..4) {
                0 => {}
                1 => {
                    out.push(c);
                    out.push(random);
                }
                2 => out.push(random),
                _ => match chars.get(i + 1) {
                    Some(&next) => {
                        out.push(next);
                        out.push(c);
                        i += 1;
                    }
                    None => out.push(c),
                },
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The patterns read from the change of mind itself, not from a word that starts with
    /// it (the code review: "mejorar"), nor from a later "mejor" that changes nothing.
    #[test]
    fn the_retraction_is_the_word_that_changed_the_mind() {
        let text = "pásenme con alguien, no, Mejor reinicien para mejorar la señal";
        assert_eq!(retraction_word(text, 0), text.find("Mejor"));
        assert_eq!(retraction_word("quiero mejorar el plan", 0), None);
        assert_eq!(retraction_word("mejor", 0), Some(0));
        assert_eq!(retraction_word("", 0), None);
        let model = crate::nlu::tests::classifier();
        let text = "pásenme con alguien, no, mejor reinicien el modem que ande mejor";
        let (_, retraction) = model.clauses(&text::normalize(text));
        assert_eq!(retraction, Some(0));
        assert_eq!(retraction_word(text, 0), text.find("mejor reinicien"));
        let (_, none) = model.clauses("mejor pasenme con alguien");
        assert_eq!(none, None);
    }

    /// Words typed without spaces are spaced out before anything reads them; words the
    /// data lacks, other forms of known words and two-word look-alikes are left as typed.
    #[test]
    fn words_typed_without_spaces_are_spaced_out() {
        let spaced = |text: &str| crate::nlu::tests::classifier().lexicon.spaced_out(text);
        assert_eq!(
            spaced("notengointernet!!").as_deref(),
            Some("no tengo internet!!")
        );
        assert_eq!(
            spaced("Hola, QUIEROHABLARCONUNEJECUTIVO ya").as_deref(),
            Some("Hola, quiero hablar con un ejecutivo ya")
        );
        for as_typed in [
            "lamentablemente se cayó",
            "¿me devolvieron la plata?",
            "quiero conseguir otro plan",
            "eso me entretiene",
            "los precios aproximados",
            "la teleoperadora me cortó",
            "habitaciones",
            "quierohablar",
            "no tengo internet",
        ] {
            assert_eq!(spaced(as_typed), None, "{as_typed}");
        }
        crate::nlu::tests::check(&[
            ("notengointernetdesdeayer", Intent::ReiniciarServicios),
            ("kierosabercomovamireclamo", Intent::RevisarAtenciones),
            ("chaograciasportodo", Intent::Salir),
        ]);
    }
}
