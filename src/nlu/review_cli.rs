//! `reclamos nlu review` and `reclamos nlu export`: the operators' side of the NLU inbox.
//!
//! `review` lists the messages not reviewed yet, grouped by similarity
//! ([`review::group`]), and reads one key per group: `1`-`4` label it with that menu
//! option's intent, `f` with `nlu_fallback`, `s` skips it, `m` goes through the group one
//! message at a time, `q` stops (what is left stays for later). Keys are read one
//! character at a time, white space ignored, so `printf '1s3q' | reclamos nlu review` works
//! the same as typing. At the end the labelled sentences are added to the intents file
//! ([`review::append_examples`], written to a temporary file and renamed over it) and the
//! labelled and skipped messages are marked reviewed in the registry.
//!
//! What the operator reads is Spanish, like the chat (the keys stay the letters above);
//! the export's JSON keys, outcomes and intent names are a format and stay as they are.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::SecondsFormat;
use serde::Serialize;

use super::review::{self, Appended, Conflict};
use super::{data, Intent};
use crate::protocol::plural;
use crate::registry::cli::{printable, require_existing};
use crate::registry::{InboxEntry, Registry, Review};

/// The intents file `reclamos nlu review` adds to when none is given.
pub const DEFAULT_INTENTS: &str = "intents/es.yaml";

/// What `reclamos nlu review` works on.
#[derive(Debug, Clone)]
pub struct ReviewOptions {
    /// SQLite database file (it must exist).
    pub db: PathBuf,
    /// The intents file the labelled sentences are added to (it must exist and load).
    pub intents: PathBuf,
    /// Messages at least this similar to a group's first one join the group.
    pub threshold: f32,
}

impl Default for ReviewOptions {
    fn default() -> ReviewOptions {
        ReviewOptions {
            db: PathBuf::from(crate::server::DEFAULT_DB),
            intents: PathBuf::from(DEFAULT_INTENTS),
            threshold: review::GROUP_THRESHOLD,
        }
    }
}

/// What `reclamos nlu export` prints.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// SQLite database file (opened read-only; it must exist).
    pub db: PathBuf,
    /// Reviewed messages too (with their label), not only those waiting for review.
    pub all: bool,
    /// JSON (an array of messages) instead of a table.
    pub json: bool,
}

/// What a review did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewSummary {
    /// Messages that waited for review.
    pub pending: usize,
    /// Messages given an intent.
    pub labelled: usize,
    /// Messages skipped (marked reviewed without a label).
    pub skipped: usize,
    /// Sentences added to the intents file.
    pub added: usize,
    /// Labelled sentences the file already had (after normalisation) under that intent.
    pub duplicates: usize,
    /// Labelled sentences the file already had under another intent (left there).
    pub conflicts: usize,
}

/// One decision read from the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Label(Intent),
    Skip,
    OneByOne,
    Quit,
}

/// Reads the next key: `None` at the end of the input (the same as `q`).
fn read_key(input: &mut dyn BufRead) -> io::Result<Option<char>> {
    let mut byte = [0u8; 1];
    loop {
        if input.read(&mut byte)? == 0 {
            return Ok(None);
        }
        if !byte[0].is_ascii_whitespace() {
            return Ok(Some(char::from(byte[0])));
        }
    }
}

fn parse_key(key: char, in_group: bool) -> Option<Key> {
    match key.to_ascii_lowercase() {
        '1'..='4' => Intent::from_option(key as u8 - b'0').map(Key::Label),
        'f' => Some(Key::Label(Intent::Fallback)),
        's' => Some(Key::Skip),
        'm' if in_group => Some(Key::OneByOne),
        'q' => Some(Key::Quit),
        _ => None,
    }
}

/// The keys, shown first and after a key that means nothing.
pub const HELP: &str =
    "teclas: 1 revisar_atenciones, 2 reiniciar_servicios, 3 contactar_ejecutivo, \
                        4 salir, f nlu_fallback, s saltar (no se vuelve a mostrar), \
                        q terminar (lo no visto queda para después)";
/// What [`HELP`] adds inside a group of several messages.
const HELP_GROUP: &str = ", m uno por uno";
/// The whole output when no message waits for review.
pub const NOTHING_TO_REVIEW: &str = "no hay mensajes por revisar";
/// `nlu export --all` when no message is kept.
pub const NOTHING_KEPT: &str = "no hay mensajes guardados";
/// `nlu export` when every kept message was reviewed.
pub const NOTHING_UNREVIEWED: &str =
    "no hay mensajes sin revisar (--all muestra también los revisados)";

/// The review's last line: what was done.
pub fn summary_line(summary: &ReviewSummary, file: &str) -> String {
    let conflicts = match summary.conflicts {
        0 => String::new(),
        n => format!(", {n} con otra intención"),
    };
    format!(
        "{} etiquetados ({} agregados a {file}, {} ya estaban{conflicts}), {} saltados, {} quedan para después",
        summary.labelled,
        summary.added,
        summary.duplicates,
        summary.skipped,
        summary.pending - summary.labelled - summary.skipped
    )
}

/// A labelled sentence the file has under another intent: it stays there, and the inbox
/// records the file's intent.
pub fn conflict_line(conflict: &Conflict, file: &str) -> String {
    format!(
        "«{}» ya está en {file} como {}: no se agregó como {} (si la etiqueta del archivo está mal, corríjala a mano)",
        conflict.sentence,
        conflict.kept.name(),
        conflict.labelled.name()
    )
}

/// Asks for a key until a valid one (or the end of the input: quit).
fn ask(input: &mut dyn BufRead, output: &mut dyn Write, in_group: bool) -> io::Result<Key> {
    loop {
        let prompt = if in_group {
            "[1-4/f/s/m/q] "
        } else {
            "[1-4/f/s/q] "
        };
        write!(output, "{prompt}")?;
        output.flush()?;
        let Some(key) = read_key(input)? else {
            writeln!(output)?;
            return Ok(Key::Quit);
        };
        match parse_key(key, in_group) {
            Some(parsed) => {
                writeln!(output, "{key}")?;
                return Ok(parsed);
            }
            None => {
                writeln!(output, "{key}")?;
                writeln!(output, "{HELP}{}", if in_group { HELP_GROUP } else { "" })?;
            }
        }
    }
}

fn describe(entry: &InboxEntry) -> String {
    format!(
        "{}  [{} -> {} {:.2}, {}]",
        printable(&entry.text),
        entry.outcome,
        entry.predicted,
        entry.confidence,
        entry.at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// The interactive part: one decision per group (or per message after `m`). Returns the
/// reviews made before `q` or the end of the input.
fn decide(
    entries: &[InboxEntry],
    groups: &[Vec<usize>],
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> io::Result<Vec<Review>> {
    let mut reviews = Vec::new();
    writeln!(output, "{HELP}")?;
    for (number, members) in groups.iter().enumerate() {
        writeln!(
            output,
            "\ngrupo {}/{} ({} {}):",
            number + 1,
            groups.len(),
            members.len(),
            plural(members.len(), "mensaje", "mensajes")
        )?;
        for &i in members {
            writeln!(output, "  {}", describe(&entries[i]))?;
        }
        let label = |key| match key {
            Key::Label(intent) => Some(intent),
            _ => None,
        };
        match ask(input, output, members.len() > 1)? {
            Key::Quit => return Ok(reviews),
            Key::OneByOne => {
                for &i in members {
                    writeln!(output, "  {}", describe(&entries[i]))?;
                    match ask(input, output, false)? {
                        Key::Quit => return Ok(reviews),
                        key => reviews.push(Review {
                            id: entries[i].id,
                            label: label(key),
                        }),
                    }
                }
            }
            key => reviews.extend(members.iter().map(|&i| Review {
                id: entries[i].id,
                label: label(key),
            })),
        }
    }
    Ok(reviews)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("iniciando el runtime")
}

/// The temporary file [`replace_file`] writes beside `path`.
fn temp_path(path: &Path) -> PathBuf {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".reclamos-tmp");
    PathBuf::from(temp)
}

/// Whether [`replace_file`] could replace `path`: this user may write the file, and create
/// the temporary file beside it (which is removed again).
fn check_replaceable(path: &Path) -> io::Result<()> {
    std::fs::OpenOptions::new().append(true).open(path)?;
    let temp = temp_path(path);
    std::fs::File::create(&temp)?;
    std::fs::remove_file(&temp)
}

/// Writes `text` to `path` through a temporary file in the same directory, renamed over
/// it: a crash leaves the old file or the new one, never half of one. The new file keeps
/// the old one's permissions.
fn replace_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let temp = temp_path(path);
    let written = (|| -> io::Result<()> {
        let permissions = std::fs::metadata(path)?.permissions();
        let mut file = std::fs::File::create(&temp)?;
        // Before any content: a private file's text never sits under wider permissions.
        file.set_permissions(permissions)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.with_context(|| format!("escribiendo {}", path.display()))
}

/// Runs `reclamos nlu review`, reading keys from `input` and talking on `output`.
pub fn run_review(
    options: &ReviewOptions,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> anyhow::Result<ReviewSummary> {
    require_existing(&options.db)?;
    let file = options.intents.display().to_string();
    let source = std::fs::read_to_string(&options.intents)
        .with_context(|| format!("leyendo {file} (otro archivo de intenciones: --intents)"))?;
    // Refuse a broken file, or one this user may not write (the rename would replace it
    // anyway where the directory allows), before the operator spends any effort.
    data::parse(&source, &file)?;
    check_replaceable(&options.intents).with_context(|| format!("{file} no se puede escribir"))?;
    let registry = Registry::open(&options.db)
        .with_context(|| format!("abriendo {}", options.db.display()))?;
    let runtime = runtime()?;
    let entries = runtime
        .block_on(registry.inbox(false))
        .context("leyendo los mensajes guardados para revisión")?;
    let mut summary = ReviewSummary {
        pending: entries.len(),
        ..ReviewSummary::default()
    };
    if entries.is_empty() {
        writeln!(output, "{NOTHING_TO_REVIEW}")?;
        return Ok(summary);
    }
    let texts: Vec<&str> = entries.iter().map(|e| e.text.as_str()).collect();
    let groups = review::group(&texts, options.threshold);
    writeln!(
        output,
        "{} {} en {} {} (similitud de Jaccard de palabras >= {})",
        entries.len(),
        plural(entries.len(), "mensaje", "mensajes"),
        groups.len(),
        plural(groups.len(), "grupo", "grupos"),
        options.threshold
    )?;
    let mut reviews = decide(&entries, &groups, input, output)?;
    let labelled: Vec<(Intent, String)> = reviews
        .iter()
        .filter_map(|r| {
            let entry = entries.iter().find(|e| e.id == r.id)?;
            Some((r.label?, entry.text.clone()))
        })
        .collect();
    summary.labelled = labelled.len();
    summary.skipped = reviews.len() - labelled.len();
    if !labelled.is_empty() {
        let Appended {
            text,
            added,
            duplicates,
            conflicts,
        } = review::append_examples(&source, &file, &labelled)?;
        if !added.is_empty() {
            replace_file(&options.intents, &text)?;
        }
        summary.added = added.len();
        summary.duplicates = duplicates.len();
        summary.conflicts = conflicts.len();
        if !conflicts.is_empty() {
            writeln!(output)?;
        }
        for conflict in &conflicts {
            writeln!(output, "{}", conflict_line(conflict, &file))?;
            // The inbox records what the classifier learns: the file's intent.
            let conflicting = review::key(&conflict.sentence);
            for r in reviews
                .iter_mut()
                .filter(|r| r.label == Some(conflict.labelled))
            {
                if entries
                    .iter()
                    .any(|e| e.id == r.id && review::key(&e.text) == conflicting)
                {
                    r.label = Some(conflict.kept);
                }
            }
        }
    }
    if !reviews.is_empty() {
        runtime
            .block_on(registry.mark_reviewed(reviews))
            .context("marcando los mensajes como revisados")?;
    }
    writeln!(output, "\n{}", summary_line(&summary, &file))?;
    if summary.added > 0 {
        writeln!(
            output,
            "reinicie el servidor con --intents {file} para usarlos"
        )?;
    }
    Ok(summary)
}

/// One kept message in `reclamos nlu export --json`.
#[derive(Debug, Serialize)]
struct JsonEntry<'a> {
    id: i64,
    /// RFC 3339, UTC.
    at: String,
    text: &'a str,
    outcome: &'static str,
    predicted: &'static str,
    confidence: f32,
    reviewed_at: Option<String>,
    label: Option<&'static str>,
}

impl<'a> JsonEntry<'a> {
    fn new(entry: &'a InboxEntry) -> JsonEntry<'a> {
        JsonEntry {
            id: entry.id,
            at: entry.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            text: &entry.text,
            outcome: entry.outcome.name(),
            predicted: entry.predicted.name(),
            confidence: entry.confidence,
            reviewed_at: entry
                .reviewed_at
                .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true)),
            label: entry.label.map(Intent::name),
        }
    }
}

/// Runs `reclamos nlu export`, printing on `output`.
pub fn run_export(options: &ExportOptions, output: &mut dyn Write) -> anyhow::Result<()> {
    require_existing(&options.db)?;
    let registry = Registry::open_read_only(&options.db)
        .with_context(|| format!("abriendo {}", options.db.display()))?;
    let entries = runtime()?
        .block_on(registry.inbox(options.all))
        .context("leyendo los mensajes guardados para revisión")?;
    if options.json {
        let rows: Vec<JsonEntry<'_>> = entries.iter().map(JsonEntry::new).collect();
        serde_json::to_writer_pretty(&mut *output, &rows).context("escribiendo el JSON")?;
        writeln!(output)?;
    } else if entries.is_empty() {
        let nothing = if options.all {
            NOTHING_KEPT
        } else {
            NOTHING_UNREVIEWED
        };
        writeln!(output, "{nothing}")?;
    } else {
        for entry in &entries {
            let label = match (entry.reviewed_at, entry.label) {
                (None, _) => "-",
                (Some(_), None) => "saltado",
                (Some(_), Some(intent)) => intent.name(),
            };
            writeln!(output, "{}\t{}\t{label}", entry.id, describe(entry))?;
        }
    }
    output.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::InboxOutcome;

    fn entry(id: i64, text: &str) -> InboxEntry {
        InboxEntry {
            id,
            at: chrono::DateTime::from_timestamp_millis(0).unwrap(),
            text: text.into(),
            outcome: InboxOutcome::Fallback,
            predicted: Intent::Fallback,
            confidence: 0.2,
            reviewed_at: None,
            label: None,
        }
    }

    fn run(keys: &str, groups: &[Vec<usize>]) -> (Vec<Review>, String) {
        let entries: Vec<InboxEntry> = (0..4).map(|i| entry(i + 10, "x\u{1b}[2J")).collect();
        let mut output = Vec::new();
        let reviews = decide(&entries, groups, &mut keys.as_bytes(), &mut output).unwrap();
        (reviews, String::from_utf8(output).unwrap())
    }

    fn review(id: i64, label: Option<Intent>) -> Review {
        Review { id, label }
    }

    #[test]
    fn one_key_labels_a_whole_group() {
        let groups = [vec![0, 2], vec![1], vec![3]];
        let (reviews, output) = run("3\ns\nf", &groups);
        assert_eq!(
            reviews,
            [
                review(10, Some(Intent::ContactarEjecutivo)),
                review(12, Some(Intent::ContactarEjecutivo)),
                review(11, None),
                review(13, Some(Intent::Fallback)),
            ]
        );
        assert!(!output.contains('\u{1b}'), "escapes neutralised: {output}");
    }

    #[test]
    fn unknown_keys_ask_again_and_m_goes_one_by_one() {
        let groups = [vec![0, 1, 2], vec![3]];
        let (reviews, output) = run("x m 1 ? 4 s 2", &groups);
        assert_eq!(
            reviews,
            [
                review(10, Some(Intent::RevisarAtenciones)),
                review(11, Some(Intent::Salir)),
                review(12, None),
                review(13, Some(Intent::ReiniciarServicios)),
            ]
        );
        assert_eq!(output.matches(HELP).count(), 3, "{output}");
    }

    #[test]
    fn q_or_the_end_of_input_stops_keeping_what_was_decided() {
        let groups = [vec![0], vec![1], vec![2, 3]];
        assert_eq!(
            run("2q1", &groups).0,
            [review(10, Some(Intent::ReiniciarServicios))]
        );
        assert_eq!(
            run("2", &groups).0,
            [review(10, Some(Intent::ReiniciarServicios))]
        );
        assert!(run("", &groups).0.is_empty());
        // `m` is only for groups of several messages.
        assert_eq!(run("m s", &groups).0, [review(10, None)]);
    }
}
