//! `reclamos requests`: lists the registry for operators.
//!
//! Opens the database read-only (never creating it, safe while the server runs) and prints a
//! table, optionally with each request's history, or JSON. What a person reads (the table,
//! its notes and the errors) is Spanish, like the chat; the JSON keys are a format and stay
//! as they are.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{Location, Registry, Request, RequestFilter, RequestId, StoreConfig, TranscriptLine};
use crate::rut::Rut;

/// The table's column headers; the last one names the time zone after it ("ACTUALIZADA
/// (America/Santiago)").
pub const HEADER: [&str; 6] = [
    "SOLICITUD",
    "RUT",
    "NOMBRE",
    "ESTADO",
    "ASUNTO",
    "ACTUALIZADA",
];
/// The whole output when the filter matches nothing.
pub const NO_MATCH: &str = "ninguna solicitud coincide";
/// Before a request's answer, under its history.
pub const ANSWER: &str = "respuesta: ";
/// A sensitive answer, not printed in the table.
pub const SENSITIVE_HIDDEN: &str = "(confidencial, oculta aquí; ver --json)";
/// Before a request's stored chat transcript.
pub const CHAT: &str = "conversación:";
/// A request without a stored chat.
pub const NO_CHAT: &str = "(ninguna)";
/// Before the number of requests listed.
pub const TOTAL: &str = "total: ";

/// What `reclamos requests` lists, and how.
#[derive(Debug, Clone)]
pub struct ListOptions {
    /// The registry: an SQLite file (opened read-only; it must exist) or an existing
    /// PostgreSQL database.
    pub db: Location,
    /// Which requests (by customer, by state).
    pub filter: RequestFilter,
    /// Print each request's history under it.
    pub history: bool,
    /// Print each request's stored chat transcript under it (in JSON, as `transcript`).
    pub transcript: bool,
    /// Print JSON (an array of requests, always with their history and answer) instead of
    /// a table.
    pub json: bool,
    /// The time zone the table shows times in, as the chat shows them (JSON keeps UTC).
    pub time_zone: Tz,
}

impl Default for ListOptions {
    fn default() -> ListOptions {
        ListOptions {
            db: Location::Sqlite(PathBuf::from(crate::server::DEFAULT_DB)),
            filter: RequestFilter::default(),
            history: false,
            transcript: false,
            json: false,
            time_zone: crate::server::DEFAULT_TIME_ZONE,
        }
    }
}

/// Refuses an SQLite file that does not exist: the operators' commands read the server's
/// database and never create one.
pub fn require_existing(path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        anyhow::bail!(
            "la base de datos {} no existe (el servidor crea reclamos.db al iniciar, u otro \
             archivo con --create-db; use --db para elegir otro archivo)",
            path.display()
        );
    }
    Ok(())
}

/// Writes the requests to `out` (the command's standard output).
pub fn run(args: &ListOptions, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Location::Sqlite(path) = &args.db {
        require_existing(path)?;
    }
    // The registry answers through its own thread or connection; a small runtime waits.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("iniciando el runtime")?;
    let (requests, names, transcripts) = runtime.block_on(async {
        let registry = match &args.db {
            Location::Sqlite(path) => Registry::open_read_only(path),
            Location::Postgres(url) => {
                Registry::open_postgres_existing(url, StoreConfig::default()).await
            }
        }
        .with_context(|| format!("abriendo {}", args.db))?;
        let requests = registry
            .list(&args.filter)
            .await
            .with_context(|| format!("leyendo las solicitudes de {}", args.db))?;
        let names = customer_names(&registry, &requests).await?;
        let mut transcripts = HashMap::new();
        if args.transcript {
            for request in &requests {
                let lines = registry.transcript(request.id).await.with_context(|| {
                    format!("leyendo la conversación de la solicitud {}", request.id)
                })?;
                transcripts.insert(request.id, lines);
            }
        }
        anyhow::Ok((requests, names, transcripts))
    })?;
    if args.json {
        let rows: Vec<JsonRequest<'_>> = requests
            .iter()
            .map(|r| JsonRequest::new(r, &names, transcripts.get(&r.id)))
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows).context("escribiendo el JSON")?;
        writeln!(out)?;
    } else {
        let zone = args.time_zone;
        write_table(out, &requests, &names, args.history, &transcripts, zone)?;
    }
    out.flush()?;
    Ok(())
}

/// Each request owner's name, looked up once per customer.
async fn customer_names(
    registry: &Registry,
    requests: &[Request],
) -> anyhow::Result<HashMap<Rut, String>> {
    let mut names = HashMap::new();
    for request in requests {
        if let std::collections::hash_map::Entry::Vacant(entry) = names.entry(request.rut) {
            let customer = registry
                .customer(request.rut)
                .await
                .with_context(|| format!("leyendo el cliente {}", request.rut))?;
            entry.insert(customer.map_or_else(String::new, |c| c.name));
        }
    }
    Ok(names)
}

/// Text typed by customers, made safe for an operator's terminal: control characters
/// (ANSI escapes, NUL, new lines) become `�`.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// A time as the chat shows it: in the desk's time zone, to the minute.
fn short_time(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

/// Writes the table: one line per request, its history indented under it when asked.
fn write_table(
    out: &mut (impl Write + ?Sized),
    requests: &[Request],
    names: &HashMap<Rut, String>,
    history: bool,
    transcripts: &HashMap<RequestId, Vec<TranscriptLine>>,
    zone: Tz,
) -> io::Result<()> {
    if requests.is_empty() {
        return writeln!(out, "{NO_MATCH}");
    }
    let updated = format!("{} ({zone})", HEADER[5]);
    let mut header = HEADER;
    header[5] = &updated;
    let rows: Vec<[String; 6]> = requests
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.rut.to_string(),
                printable(names.get(&r.rut).map_or("", String::as_str)),
                r.state.to_string(),
                printable(&r.subject),
                short_time(r.updated_at, zone),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| -> String {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            if i + 1 < cells.len() {
                let pad = width.saturating_sub(cell.chars().count());
                text.push_str(&" ".repeat(pad));
            }
        }
        text
    };
    writeln!(out, "{}", line(&header))?;
    for (request, row) in requests.iter().zip(&rows) {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
        if history {
            for entry in &request.history {
                writeln!(
                    out,
                    "    {}  {}: {}",
                    short_time(entry.at, zone),
                    printable(&entry.author),
                    printable(&entry.text)
                )?;
            }
            match (&request.answer, request.sensitive) {
                (Some(_), true) => writeln!(out, "    {ANSWER}{SENSITIVE_HIDDEN}")?,
                (Some(answer), false) => writeln!(out, "    {ANSWER}{}", printable(answer))?,
                (None, _) => {}
            }
        }
        if let Some(lines) = transcripts.get(&request.id) {
            if lines.is_empty() {
                writeln!(out, "    {CHAT} {NO_CHAT}")?;
            } else {
                writeln!(out, "    {CHAT}")?;
            }
            for line in lines {
                writeln!(
                    out,
                    "    {}  {}: {}",
                    short_time(line.at, zone),
                    printable(&line.speaker),
                    printable(&line.text)
                )?;
            }
        }
    }
    writeln!(out, "{TOTAL}{}", requests.len())
}

/// One request in `--json` output.
#[derive(Serialize)]
struct JsonRequest<'a> {
    id: u64,
    rut: String,
    name: &'a str,
    state: String,
    subject: &'a str,
    answer: Option<&'a str>,
    sensitive: bool,
    created_at: String,
    updated_at: String,
    history: Vec<JsonHistory<'a>>,
    /// With `--transcript` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<Vec<JsonChatLine<'a>>>,
}

/// One chat line in `--json --transcript` output.
#[derive(Serialize)]
struct JsonChatLine<'a> {
    at: String,
    speaker: &'a str,
    text: &'a str,
}

/// One history entry in `--json` output.
#[derive(Serialize)]
struct JsonHistory<'a> {
    at: String,
    author: &'a str,
    text: &'a str,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl<'a> JsonRequest<'a> {
    fn new(
        request: &'a Request,
        names: &'a HashMap<Rut, String>,
        transcript: Option<&'a Vec<TranscriptLine>>,
    ) -> JsonRequest<'a> {
        JsonRequest {
            id: request.id,
            rut: request.rut.to_string(),
            name: names.get(&request.rut).map_or("", String::as_str),
            state: request.state.to_string(),
            subject: &request.subject,
            answer: request.answer.as_deref(),
            sensitive: request.sensitive,
            created_at: rfc3339(request.created_at),
            updated_at: rfc3339(request.updated_at),
            history: request
                .history
                .iter()
                .map(|h| JsonHistory {
                    at: rfc3339(h.at),
                    author: &h.author,
                    text: &h.text,
                })
                .collect(),
            transcript: transcript.map(|lines| {
                lines
                    .iter()
                    .map(|l| JsonChatLine {
                        at: rfc3339(l.at),
                        speaker: &l.speaker,
                        text: &l.text,
                    })
                    .collect()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn table_aligns_accented_names_and_hides_sensitive_answers() {
        let registry = Registry::open_in_memory().unwrap();
        let requests = registry.list(&RequestFilter::default()).await.unwrap();
        let names = customer_names(&registry, &requests).await.unwrap();
        let mut out = Vec::new();
        write_table(
            &mut out,
            &requests,
            &names,
            true,
            &HashMap::new(),
            chrono_tz::UTC,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains(crate::registry::demo::WIFI_ANSWER), "{text}");
        assert!(
            text.contains(&format!("{ANSWER}{SENSITIVE_HIDDEN}")),
            "{text}"
        );
        // The ESTADO column starts at the same character offset on every request line.
        let offsets: Vec<usize> = text
            .lines()
            .filter(|l| l.contains("abierto") || l.contains("cerrado"))
            .filter(|l| !l.starts_with(' '))
            .map(|l| {
                let byte = l.find("abierto").or_else(|| l.find("cerrado")).unwrap();
                l[..byte].chars().count()
            })
            .collect();
        assert_eq!(offsets.len(), requests.len(), "{text}");
        assert!(offsets.windows(2).all(|w| w[0] == w[1]), "{text}");
    }

    #[test]
    fn control_characters_are_neutralised() {
        assert_eq!(printable("a\u{1b}[31mb\0"), "a\u{FFFD}[31mb\u{FFFD}");
        assert_eq!(printable("Señal ñandú"), "Señal ñandú");
    }
}
