//! Runs the built `reclamos eval` binary on real YAML files and checks its output.

use std::process::Command;

fn reclamos() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reclamos"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

#[test]
fn eval_json_reports_every_metric() {
    let out = reclamos()
        .args(["eval", "intents/test.yaml", "--json"])
        .output()
        .expect("run reclamos");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let accuracy = report["accuracy"].as_f64().expect("accuracy");
    assert!((0.0..=1.0).contains(&accuracy));
    assert!(report["macro_f1"].as_f64().is_some());
    let per_intent = report["per_intent"].as_object().expect("per_intent");
    for name in [
        "revisar_atenciones",
        "reiniciar_servicios",
        "contactar_ejecutivo",
        "salir",
        "nlu_fallback",
    ] {
        let scores = &per_intent[name];
        for field in ["precision", "recall", "f1", "support"] {
            assert!(scores[field].is_number(), "{name}.{field}");
        }
        assert!(
            scores["support"].as_u64().expect("support") > 0,
            "{name} has test sentences"
        );
    }
    let matrix = report["confusion"]["matrix"].as_array().expect("matrix");
    assert_eq!(matrix.len(), 5);
    let total: u64 = matrix
        .iter()
        .flat_map(|row| row.as_array().expect("row"))
        .map(|c| c.as_u64().expect("count"))
        .sum();
    assert_eq!(Some(total), report["total"].as_u64());
    let errors = report["errors"].as_array().expect("errors");
    let correct: u64 = (0..5).map(|i| matrix[i][i].as_u64().expect("count")).sum();
    assert_eq!(errors.len() as u64, total - correct);
    assert!(report["latency_us"]["p50"].as_f64().expect("p50") > 0.0);
    assert!(report["latency_us"]["p99"].as_f64().is_some());
}

#[test]
fn eval_min_accuracy_sets_the_exit_status() {
    let pass = reclamos()
        .args(["eval", "intents/test.yaml", "--min-accuracy", "0.5"])
        .output()
        .expect("run reclamos");
    assert!(pass.status.success());
    let text = String::from_utf8_lossy(&pass.stdout);
    assert!(text.contains("accuracy"), "{text}");
    assert!(text.contains("latency: p50"), "{text}");
    let fail = reclamos()
        .args(["eval", "intents/test.yaml", "--min-accuracy", "1.01"])
        .output()
        .expect("run reclamos");
    assert!(!fail.status.success());
}

#[test]
fn eval_typos_reports_both_accuracies() {
    let out = reclamos()
        .args([
            "eval",
            "intents/test.yaml",
            "--json",
            "--typos",
            "0.05",
            "--seed",
            "7",
        ])
        .output()
        .expect("run reclamos");
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let typos = &report["typos"];
    assert_eq!(typos["rate"].as_f64(), Some(0.05));
    assert_eq!(
        typos["clean_accuracy"].as_f64(),
        report["accuracy"].as_f64()
    );
    let clean = typos["clean_accuracy"].as_f64().expect("clean");
    let noisy = typos["accuracy"].as_f64().expect("noisy");
    let drop = typos["drop_points"].as_f64().expect("drop");
    assert!(((clean - noisy) * 100.0 - drop).abs() < 1e-9);
}

#[test]
fn eval_report_dir_writes_rasa_files_and_png() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = reclamos()
        .args(["eval", "intents/test.yaml", "--report"])
        .arg(dir.path())
        .output()
        .expect("run reclamos");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("intent_report.json")).expect("intent_report"),
    )
    .expect("json");
    assert!(report["salir"]["f1-score"].is_number());
    assert!(report["macro avg"]["precision"].is_number());
    let errors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("errors.json")).expect("errors"),
    )
    .expect("json");
    assert!(errors.is_array());
    let png = std::fs::read(dir.path().join("intent_confusion_matrix.png")).expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let png = std::fs::read(dir.path().join("reliability_diagram.png")).expect("reliability png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("calibration error (ECE"), "{stdout}");
}

/// A small training file, so cross-validation stays quick in debug builds.
const SMALL_INTENTS: &str = r#"version: "3.1"
reclamos:
  abstain_threshold: 0.45
  clarify_margin: 0.12
nlu:
- intent: revisar_atenciones
  examples: |
    - ver mis reclamos
    - como va mi solicitud
    - estado de mi ticket
    - que paso con mi reclamo
    - quiero revisar mis solicitudes
    - en que va mi caso
- intent: reiniciar_servicios
  examples: |
    - reiniciar el modem
    - no tengo internet
    - se cayo el wifi
    - reinicien el router
    - la tele no tiene señal
    - el internet no funciona
- intent: contactar_ejecutivo
  examples: |
    - hablar con un ejecutivo
    - quiero una persona
    - pasame con alguien
    - me cobraron dos veces
    - quiero dar de baja el servicio
    - el tecnico nunca llego
- intent: salir
  examples: |
    - chao
    - adios gracias
    - quiero salir
    - hasta luego
    - eso es todo
    - me voy
- intent: nlu_fallback
  examples: |
    - hola
    - que hora es
    - cuanto cuesta la fibra
    - donde queda la sucursal
    - internet
    - cuentame un chiste
"#;

#[test]
fn eval_cv_fits_temperature_and_thresholds_on_folds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("small.yaml");
    std::fs::write(&file, SMALL_INTENTS).expect("write intents");
    let out = reclamos()
        .args(["eval", "--cv", "3", "--json"])
        .arg(&file)
        .output()
        .expect("run reclamos");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cv: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(cv["folds"].as_u64(), Some(3));
    // Every example is held out once per repetition of the split.
    let held_out = cv["at_file_settings"]["total"].as_u64().expect("total");
    assert_eq!(held_out, 30 * reclamos::nlu::eval::CV_REPEATS as u64);
    assert_eq!(
        cv["file_settings"]["abstain_threshold"].as_f64(),
        Some(0.45)
    );
    let fitted = &cv["fitted"];
    let t = fitted["temperature"].as_f64().expect("temperature");
    assert!((0.25..=5.0).contains(&t), "{t}");
    let a = fitted["abstain_threshold"].as_f64().expect("abstain");
    assert!((0.25..=0.85).contains(&a), "{a}");
    assert_eq!(cv["file_settings"]["fallback_bias"].as_f64(), Some(0.0));
    let b = fitted["fallback_bias"].as_f64().expect("fallback_bias");
    assert!((-0.41..=1.21).contains(&b), "{b}");
    for report in ["at_file_settings", "at_fitted_settings"] {
        let ece = cv[report]["calibration"]["ece"].as_f64().expect("ece");
        assert!((0.0..=1.0).contains(&ece), "{report}: {ece}");
        let bins = cv[report]["calibration"]["bins"].as_array().expect("bins");
        let counted: u64 = bins
            .iter()
            .map(|b| b["count"].as_u64().expect("count"))
            .sum();
        assert_eq!(counted, held_out);
    }

    let text = reclamos()
        .args(["eval", "--cv", "3"])
        .arg(&file)
        .output()
        .expect("run reclamos");
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("fitted on the folds: temperature"),
        "{stdout}"
    );
}

#[test]
fn eval_malformed_file_fails_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.yaml");
    std::fs::write(
        &path,
        "version: \"3.1\"\nnlu:\n- intent: salir\n  examples: [\n",
    )
    .expect("write");
    let out = reclamos()
        .arg("eval")
        .arg(&path)
        .output()
        .expect("run reclamos");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.yaml:"), "{stderr}");
}

#[test]
fn eval_with_custom_training_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("train.yaml");
    std::fs::write(
        &path,
        "version: \"3.1\"\nnlu:\n- intent: salir\n  examples: |\n    - chao\n    - adios\n- intent: pedir_pizza\n  examples: |\n    - una pizza\n",
    )
    .expect("write");
    let out = reclamos()
        .args(["eval", "intents/test.yaml", "--intents"])
        .arg(&path)
        .output()
        .expect("run reclamos");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown intent `pedir_pizza`"), "{stderr}");
    assert!(stderr.contains("train.yaml:7"), "{stderr}");
}

/// A reader that closes the pipe before the report is written (`reclamos eval FILE | head
/// -1`, `| true`) costs the rest of the text, nothing else: no panic, no error line, the
/// report files are still written and the exit status is the command's own.
#[test]
fn eval_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("small.yaml");
    std::fs::write(&file, SMALL_INTENTS).expect("write intents");
    let report = dir.path().join("report");
    let file = file.to_str().expect("UTF-8 path");
    let report_arg = report.to_str().expect("UTF-8 path");
    for args in [
        &["eval", file, "--intents", file][..],
        &["eval", file, "--intents", file, "--json"],
        &["eval", "--cv", "2", file],
        &["eval", file, "--intents", file, "--report", report_arg],
    ] {
        // Closed before the classifier has trained: the first write finds no reader.
        let (status, stderr) = crate::common::into_closed_pipe(reclamos().args(args));
        assert!(status.success(), "{args:?}: {status:?}, stderr: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: stderr: {stderr}");
    }
    assert!(report.join("intent_report.json").exists());
}
