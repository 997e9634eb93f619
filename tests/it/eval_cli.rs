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
