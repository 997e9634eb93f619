//! `reclamos requests` as a process, on a database created through `Registry::open` (SQLite)
//! or `Registry::open_postgres`.

use std::path::Path;
use std::process::{Command, Output};

use reclamos::registry::cli;
use reclamos::registry::demo::{PLAN_REQUEST, WIFI_ANSWER, WIFI_REQUEST};
use reclamos::registry::{Registry, RequestState};
use reclamos::rut::Rut;

fn requests(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reclamos"))
        .arg("requests")
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn request_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

#[tokio::test]
async fn lists_the_demo_requests() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("reclamos.db");
    let registry = Registry::open(&db).unwrap();
    // Written while "the server" still holds the database open.
    let jorge = "12.345.678-5".parse().unwrap();
    registry
        .create_request(
            jorge,
            "Sin señal de TV",
            RequestState::Abierto,
            "Asistente",
            "x",
        )
        .await
        .unwrap();

    let text = stdout(&requests(&db, &[]));
    let lines = request_lines(&text);
    let wifi = lines
        .iter()
        .find(|l| l.starts_with(&WIFI_REQUEST.to_string()))
        .unwrap_or_else(|| panic!("no {WIFI_REQUEST} in:\n{text}"));
    assert!(wifi.contains("12.345.678-5"), "{wifi}");
    assert!(wifi.contains("Jorge Sandoval"), "{wifi}");
    assert!(wifi.contains("cerrado"), "{wifi}");
    assert!(wifi.contains("Cambio de clave WiFi"), "{wifi}");
    assert!(text.contains("124579"), "the new request:\n{text}");
    assert!(!text.contains(WIFI_ANSWER), "{text}");
}

/// The table shows times as the chat does, in the desk's time zone (Santiago unless
/// `--time-zone` says otherwise); the JSON keeps the store's UTC.
#[test]
fn the_table_shows_the_chats_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("reclamos.db");
    drop(Registry::open(&db).unwrap());
    let json: serde_json::Value =
        serde_json::from_slice(&requests(&db, &["--json", "--rut", "12.345.678-5"]).stdout)
            .unwrap();
    let updated = chrono::DateTime::parse_from_rfc3339(json[1]["updated_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let shown = |zone: chrono_tz::Tz| {
        updated
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let line = |args: &[&str]| {
        let mut all = vec!["--rut", "12.345.678-5"];
        all.extend(args);
        let text = stdout(&requests(&db, &all));
        request_lines(&text)
            .into_iter()
            .find(|l| l.starts_with(&WIFI_REQUEST.to_string()))
            .unwrap_or_else(|| panic!("no {WIFI_REQUEST} in:\n{text}"))
            .to_owned()
    };
    let santiago = shown(chrono_tz::America::Santiago);
    assert_ne!(santiago, shown(chrono_tz::UTC), "Santiago is never at UTC");
    assert!(line(&[]).ends_with(&santiago), "{} {santiago}", line(&[]));
    let utc = line(&["--time-zone", "UTC"]);
    assert!(utc.ends_with(&shown(chrono_tz::UTC)), "{utc}");
    // The header says which.
    let text = stdout(&requests(&db, &[]));
    assert!(text.contains("ACTUALIZADA (America/Santiago)"), "{text}");
    let text = stdout(&requests(&db, &["--time-zone", "America/Punta_Arenas"]));
    assert!(
        text.contains("ACTUALIZADA (America/Punta_Arenas)"),
        "{text}"
    );
    let wrong = requests(&db, &["--time-zone", "Chile/Santiago de Chile"]);
    assert!(!wrong.status.success());
}

#[test]
fn filters_history_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("reclamos.db");
    drop(Registry::open(&db).unwrap());

    let text = stdout(&requests(
        &db,
        &["--rut", "123456785", "--state", "ABIERTO"],
    ));
    let lines = request_lines(&text);
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].starts_with(&PLAN_REQUEST.to_string()), "{text}");

    let text = stdout(&requests(&db, &["--rut", "12.345.678-5", "--history"]));
    assert!(
        text.contains(&reclamos::protocol::history::state_changed("cerrado")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}{}", cli::ANSWER, cli::SENSITIVE_HIDDEN)),
        "{text}"
    );

    let json: serde_json::Value =
        serde_json::from_slice(&requests(&db, &["--json", "--rut", "12.345.678-5"]).stdout)
            .unwrap();
    let ids: Vec<u64> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [PLAN_REQUEST, WIFI_REQUEST]);
    assert_eq!(json[1]["answer"], WIFI_ANSWER);
    assert_eq!(json[1]["sensitive"], true);
    assert_eq!(json[1]["name"], "Jorge Sandoval");
    assert!(json[1]["history"].as_array().unwrap().len() >= 2);

    let text = stdout(&requests(&db, &["--rut", "18.765.432-7"]));
    assert!(text.contains(cli::NO_MATCH), "{text}");
}

#[test]
fn errors_are_clear_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let output = requests(&missing, &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no existe"), "{stderr}");
    assert!(!missing.exists());

    let db = dir.path().join("reclamos.db");
    drop(Registry::open(&db).unwrap());
    let wrong_rut = "12.345.678-9".parse::<Rut>().unwrap_err().to_string();
    let wrong_state = "pendiente".parse::<RequestState>().unwrap_err().to_string();
    for (args, expected) in [
        (["--rut", "12.345.678-9"], wrong_rut),
        (["--state", "pendiente"], wrong_state),
    ] {
        let output = requests(&db, &args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&expected), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn transcript_shows_the_stored_chat() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("reclamos.db");
    {
        let registry = Registry::open(&db).unwrap();
        registry
            .append_transcript(PLAN_REQUEST, "Jorge Sandoval", "quiero el plan de 600")
            .await
            .unwrap();
        registry
            .append_transcript(PLAN_REQUEST, "JuanPerez", "listo, \x1b[31mcambiado")
            .await
            .unwrap();
    }
    let text = stdout(&requests(
        &db,
        &[
            "--rut",
            "12.345.678-5",
            "--state",
            "abierto",
            "--transcript",
        ],
    ));
    let chat: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim() != cli::CHAT)
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(|l| l.trim().split_once("  ").unwrap().1)
        .collect();
    assert_eq!(
        chat,
        [
            "Jorge Sandoval: quiero el plan de 600",
            "JuanPerez: listo, \u{FFFD}[31mcambiado"
        ],
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &requests(
            &db,
            &[
                "--json",
                "--transcript",
                "--rut",
                "12.345.678-5",
                "--state",
                "abierto",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(json[0]["transcript"][0]["speaker"], "Jorge Sandoval");
    assert_eq!(json[0]["transcript"][1]["text"], "listo, \x1b[31mcambiado");
    // Without the flag, no transcript key.
    let json: serde_json::Value =
        serde_json::from_slice(&requests(&db, &["--json", "--state", "abierto"]).stdout).unwrap();
    assert!(json.as_array().is_some_and(|a| !a.is_empty()));
    assert!(json[0].get("transcript").is_none());
}

/// The same listing from a PostgreSQL database (through `$RECLAMOS_DB`), and a clear refusal
/// of a database the server never created (the listing never creates tables), which does
/// not show the connection string's password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_a_postgres_registry_as_json_and_never_creates_one() {
    let Some(pg) = crate::pg::TestDb::new().await else {
        return;
    };
    // The test server trusts local connections: the password is never checked, only shown.
    let url = pg.url.replacen("@", ":secreto@", 1);
    let list = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_reclamos"))
            .arg("requests")
            .args(args)
            .env("RECLAMOS_DB", &url)
            .env("RUST_LOG", "off")
            .output()
            .unwrap()
    };
    let refused = list(&[]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("no reclamos tables"), "{message}");
    assert!(
        message.contains(":***@") && !message.contains("secreto"),
        "{message}"
    );

    let registry = Registry::open_postgres(&pg.url, crate::conformance::test_config())
        .await
        .unwrap();
    let created = registry
        .create_request(
            "12.345.678-5".parse().unwrap(),
            "Desde PostgreSQL",
            RequestState::Abierto,
            "Asistente",
            "creada",
        )
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout(&list(&["--json"]))).unwrap();
    let rows = json.as_array().unwrap();
    let ids: Vec<u64> = rows.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert!(ids.contains(&WIFI_REQUEST) && ids.contains(&PLAN_REQUEST));
    let mine = rows
        .iter()
        .find(|r| r["id"].as_u64() == Some(created.id))
        .expect("the new request is listed");
    assert_eq!(mine["subject"], "Desde PostgreSQL");
    assert_eq!(mine["name"], "Jorge Sandoval");
    let table = stdout(&list(&["--rut", "12.345.678-5"]));
    assert_eq!(request_lines(&table).len(), 3, "{table}");
}

/// `reclamos requests | head -1` (a reader that closes the pipe early): the command ends
/// quietly, with success, not with "error: Broken pipe".
#[tokio::test]
async fn a_closed_pipe_ends_the_listing_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("reclamos.db");
    drop(Registry::open(&db).unwrap());
    for json in [false, true] {
        let (status, stderr) = crate::common::into_closed_pipe(
            Command::new(env!("CARGO_BIN_EXE_reclamos"))
                .arg("requests")
                .arg("--db")
                .arg(&db)
                .args(json.then_some("--json")),
        );
        assert!(status.success(), "json {json}: {status:?}, {stderr}");
        assert!(stderr.is_empty(), "json {json}: {stderr}");
    }
}
