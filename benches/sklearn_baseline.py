#!/usr/bin/env python3
"""The scikit-learn baseline of issue 17, trained on the same intents file as reclamos.

TF-IDF word 1-2-grams plus character 2-5-grams (`char_wb`), a linear SVM calibrated with
sigmoid (Platt) scaling, `nlu_fallback` as one more class. Prints accuracy and macro-F1 on
each labelled file, and on 5-fold cross-validation (3 shuffles) over the training file, the
same protocol as `reclamos eval --cv 5`.

    python3 -m venv /tmp/skv && /tmp/skv/bin/pip install scikit-learn pyyaml
    /tmp/skv/bin/python benches/sklearn_baseline.py intents/es.yaml intents/test.yaml \
        intents/probe.yaml ../shared/eval/real-es.yaml
"""

import re
import sys

import yaml
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

INTENTS = {
    "revisar_atenciones",
    "reiniciar_servicios",
    "contactar_ejecutivo",
    "salir",
    "nlu_fallback",
}


def load(path):
    """(text, intent) pairs of a Rasa NLU YAML file, entity markup removed."""
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    pairs = []
    for entry in doc.get("nlu", []):
        intent = entry.get("intent")
        if intent not in INTENTS:
            continue
        for line in (entry.get("examples") or "").splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line[2:]).strip()
            if text:
                pairs.append((text, intent))
    return pairs


def model():
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode")),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, strip_accents="unicode"
                ),
            ),
        ]
    )
    svm = CalibratedClassifierCV(LinearSVC(C=1.0), method="sigmoid", cv=3)
    return make_pipeline(features, svm)


def scores(gold, predicted):
    return accuracy_score(gold, predicted), f1_score(gold, predicted, average="macro")


def main():
    train, *tests = sys.argv[1:]
    pairs = load(train)
    texts = [t for t, _ in pairs]
    labels = [i for _, i in pairs]
    clf = model().fit(texts, labels)
    for path in tests:
        test = load(path)
        acc, f1 = scores([i for _, i in test], clf.predict([t for t, _ in test]))
        print(f"{path}: {len(test)} sentences, accuracy {acc:.2%}, macro-F1 {f1:.4f}")
    gold, predicted = [], []
    for seed in range(3):
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
        for fit, held in folds.split(texts, labels):
            clf = model().fit([texts[i] for i in fit], [labels[i] for i in fit])
            gold += [labels[i] for i in held]
            predicted += list(clf.predict([texts[i] for i in held]))
    acc, f1 = scores(gold, predicted)
    print(f"{train}: 5-fold CV x3, {len(gold)} predictions, accuracy {acc:.2%}, macro-F1 {f1:.4f}")


if __name__ == "__main__":
    main()
