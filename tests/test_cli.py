"""The ganaug command: balance, fit, sample; errors give exit code 2; writes are atomic."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ganaug.cli import main

FAST = ["--max-steps", "1", "-q"]


@pytest.fixture()
def table_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    frame = pd.DataFrame(
        {
            "age": rng.integers(20, 70, size=n),
            "label": np.where(np.arange(n) < 32, "common", "rare"),
            "color": rng.choice(["red", "blue"], size=n),
            "score": rng.normal(size=n),
        }
    )
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_balance_csv_keeps_rows_and_column_order(table_csv, tmp_path):
    path, frame = table_csv
    out = tmp_path / "balanced.csv"
    model = tmp_path / "model.ganaug"
    assert (
        main(
            [
                "balance",
                str(path),
                "--target",
                "label",
                "-o",
                str(out),
                "--save-model",
                str(model),
                *FAST,
            ]
        )
        == 0
    )
    result = pd.read_csv(out)
    assert list(result.columns) == list(frame.columns)
    assert result["label"].value_counts().to_dict() == {"common": 32, "rare": 32}
    pd.testing.assert_frame_equal(result.iloc[:40], frame)
    assert set(result["color"]) <= {"red", "blue"}
    assert model.is_file()
    assert _leftovers(tmp_path) == []


def test_balance_strategy_seed_and_parquet(table_csv, tmp_path):
    pytest.importorskip("pyarrow")
    path, _ = table_csv
    out = tmp_path / "balanced.parquet"
    args = [
        "balance",
        str(path),
        "--target",
        "label",
        "-o",
        str(out),
        "--strategy",
        "rare=20",
        "--seed",
        "3",
        *FAST,
    ]
    assert main(args) == 0
    first = pd.read_parquet(out)
    assert first["label"].value_counts().to_dict() == {"common": 32, "rare": 20}
    assert main(args) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out), first)  # same seed, same output


def test_fit_then_sample(table_csv, tmp_path, capsys):
    path, frame = table_csv
    model = tmp_path / "m"
    assert main(["fit", str(path), "--target", "label", "--model-out", str(model), *FAST]) == 0
    draw = ["sample", str(model), "-n", "7", "--class", "rare", "--target", "label", "--seed", "2"]
    out = tmp_path / "new.csv"
    assert main([*draw, "-o", str(out)]) == 0
    assert "wrote 7 synthetic samples" in capsys.readouterr().out
    drawn = pd.read_csv(out)
    assert len(drawn) == 7 and set(drawn["label"]) == {"rare"}
    assert list(drawn.columns) == ["age", "color", "score", "label"]
    again = tmp_path / "again.csv"
    main([*draw, "-o", str(again), "-q"])
    pd.testing.assert_frame_equal(pd.read_csv(again), drawn)


@pytest.mark.parametrize(
    "args, message",
    [
        (["balance", "{csv}", "--target", "nope", "-o", "{out}"], "target column 'nope'"),
        (["balance", "{csv}", "-o", "{out}"], "--target is required"),
        (["balance", "{empty}", "--target", "label", "-o", "{out}"], "is empty"),
        (["balance", "{tmp}/missing.csv", "--target", "label", "-o", "{out}"], "no such file"),
        (
            ["balance", "{csv}", "--target", "label", "-o", "{out}", "--strategy", "cat=3"],
            "--strategy 'cat=3'",
        ),
        (["balance", "{images}", "-o", "{tmp}/imgout"], "cannot read image"),
        (
            ["fit", "{csv}", "--target", "label", "--model-out", "{tmp}/m", "--max-steps", "0"],
            "max_steps",
        ),
        (["sample", "{csv}", "-n", "3", "-o", "{out}"], "not a ganaug model file"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, table_csv, tmp_path, capsys):
    csv, _ = table_csv
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    images = tmp_path / "images"
    (images / "cat").mkdir(parents=True)
    (images / "cat" / "broken.png").write_bytes(b"not a png at all")
    fill = {
        "csv": csv,
        "empty": empty,
        "out": tmp_path / "out.csv",
        "tmp": tmp_path,
        "images": images,
    }
    code = main([a.format(**fill) for a in args])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "imgout").exists()
    assert _leftovers(tmp_path) == []


def test_help_on_every_command(capsys):
    for command in ([], ["balance"], ["fit"], ["sample"], ["demo"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*command, "--help"])
        assert exit_info.value.code == 0
        assert "usage: ganaug" in capsys.readouterr().out


def test_failed_write_leaves_no_partial_output(table_csv, tmp_path, monkeypatch):
    path, _ = table_csv
    out = tmp_path / "balanced.csv"
    out.write_text("previous result\n")

    def broken_to_csv(self, target, *args, **kwargs):
        with open(target, "w") as handle:
            handle.write("half a ta")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    with pytest.raises(OSError, match="disk full"):
        main(["balance", str(path), "--target", "label", "-o", str(out), *FAST])
    assert out.read_text() == "previous result\n"
    assert _leftovers(tmp_path) == []


def _image_folder(root, sizes=((6, "a"), (2, "b"))):
    from PIL import Image

    rng = np.random.default_rng(0)
    for n, name in sizes:
        (root / name).mkdir(parents=True)
        for i in range(n):
            pixels = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"img{i}.png")
    return root


def test_balance_image_folder_then_sample(tmp_path, capsys):
    pytest.importorskip("PIL")
    from PIL import Image

    src = _image_folder(tmp_path / "images")
    out = tmp_path / "balanced"
    model = tmp_path / "m"
    assert main(["balance", str(src), "-o", str(out), "--save-model", str(model), *FAST]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a", "b"]
    assert len(list((out / "a").iterdir())) == 6
    b_files = sorted(p.name for p in (out / "b").iterdir())
    assert len(b_files) == 6 and "img0.png" in b_files  # originals copied, 4 synthetic added
    assert (out / "b" / "img1.png").read_bytes() == (src / "b" / "img1.png").read_bytes()
    synthetic = [name for name in b_files if name.startswith("ganaug_synthetic")]
    with Image.open(out / "b" / synthetic[0]) as img:
        assert img.size == (16, 16) and img.mode == "RGB"
    # an existing, non-empty output folder is kept unless --force, and nothing trains
    capsys.readouterr()
    assert main(["balance", str(src), "-o", str(out), *FAST]) == 2
    assert "--force" in capsys.readouterr().err
    assert len(list((out / "b").iterdir())) == 6
    drawn = tmp_path / "drawn"
    assert main(["sample", str(model), "-n", "3", "--class", "a", "-o", str(drawn), "-q"]) == 0
    assert len(list((drawn / "a").iterdir())) == 3
    assert _leftovers(tmp_path) == []


def test_console_entry_point_runs(table_csv, tmp_path):
    path, _ = table_csv
    out = tmp_path / "balanced.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ganaug",
            "balance",
            str(path),
            "--target",
            "label",
            "-o",
            str(out),
            *FAST,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == 64
