"""save/load: a format that runs no code, exact samples after loading, clear refusals."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ganaug import GANAugmenter
from ganaug._persistence import FORMAT_VERSION, decode, encode

TINY = {"max_steps": 2, "hidden_units": (8,), "latent_dim": 4, "n_critic": 1}


def _mixed_table() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "count": rng.integers(0, 5, size=n),
            "color": rng.choice(["red", "blue"], size=n),
            "flag": rng.random(n) > 0.5,
            "maybe": np.where(rng.random(n) > 0.8, np.nan, rng.normal(size=n)),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], size=n), categories=["S", "M", "L"]),
        }
    )
    y = np.where(np.arange(n) < 48, "common", "rare")
    return frame, y


@pytest.fixture(scope="module")
def fitted_table() -> tuple[GANAugmenter, pd.DataFrame, np.ndarray]:
    X, y = _mixed_table()
    return GANAugmenter(random_state=0, **TINY).fit(X, y), X, y


@pytest.fixture(scope="module")
def fitted_array() -> GANAugmenter:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = np.array([0] * 30 + [7] * 10)
    return GANAugmenter(random_state=0, **TINY).fit(X, y)


def test_round_trip_gives_the_same_samples(fitted_table, tmp_path):
    aug, X, _ = fitted_table
    path = tmp_path / "model.ganaug"
    aug.save(path)
    loaded = GANAugmenter.load(path)
    before_X, before_y = aug.sample(25, random_state=3)
    after_X, after_y = loaded.sample(25, random_state=3)
    pd.testing.assert_frame_equal(before_X, after_X)
    np.testing.assert_array_equal(before_y, after_y)
    assert after_y.dtype == before_y.dtype
    assert list(after_X.dtypes) == list(X.dtypes)
    # the fitted description comes back too
    np.testing.assert_array_equal(loaded.classes_, aug.classes_)
    assert loaded.class_counts_ == aug.class_counts_
    assert loaded.sampling_strategy_ == aug.sampling_strategy_
    assert loaded.history_ == aug.history_
    assert loaded.n_steps_ == aug.n_steps_
    assert loaded.get_params() == aug.get_params()
    np.testing.assert_array_equal(loaded.feature_names_in_, aug.feature_names_in_)
    # the per-class shifts of the "missing" logits of the NaN column
    np.testing.assert_array_equal(loaded.model_.missing.bias_, aug.model_.missing.bias_)


def test_round_trip_continues_the_sampling_sequence(fitted_array, tmp_path):
    aug = fitted_array
    path = tmp_path / "m"
    aug.save(path)
    loaded = GANAugmenter.load(path)
    a_X, a_y = aug.sample({7: 5})
    b_X, b_y = loaded.sample({7: 5})
    np.testing.assert_array_equal(a_X, b_X)
    np.testing.assert_array_equal(a_y, b_y)
    assert b_y.dtype == a_y.dtype and b_X.dtype == a_X.dtype


def test_loaded_model_samples_identically_in_a_fresh_process(fitted_array, tmp_path):
    aug = fitted_array
    path = tmp_path / "model"
    aug.save(path)
    out = tmp_path / "fresh.npy"
    code = textwrap.dedent(
        f"""
        import numpy as np
        from ganaug import GANAugmenter
        X, y = GANAugmenter.load({str(path)!r}).sample(12, random_state=11)
        np.save({str(out)!r}, X)
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    expected, _ = aug.sample(12, random_state=11)
    np.testing.assert_array_equal(np.load(out), expected)


def test_training_continues_after_loading(fitted_array, tmp_path):
    path = tmp_path / "m"
    fitted_array.save(path)
    loaded = GANAugmenter.load(path).set_params(warm_start=True)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = np.array([0] * 30 + [7] * 10)
    loaded.fit(X, y)
    assert loaded.n_steps_ == fitted_array.n_steps_ + TINY["max_steps"]


def test_pickle_still_works(fitted_array):
    clone = pickle.loads(pickle.dumps(fitted_array))
    np.testing.assert_array_equal(
        clone.sample(4, random_state=2)[0], fitted_array.sample(4, random_state=2)[0]
    )


class _Payload:
    """Unpickling this creates a marker folder: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_planted_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(str(marker)))
    # the payload is live: unpickling it elsewhere does create its marker
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Payload(str(probe))))
    assert probe.exists()
    path = tmp_path / "model.ganaug"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="not a ganaug model file"):
        GANAugmenter.load(path)
    assert not marker.exists()
    # a torch.save file (a zip holding a pickle) is refused as well
    torch.save({"x": _Payload(str(marker))}, path)
    with pytest.raises(ValueError, match="not a ganaug model file"):
        GANAugmenter.load(path)
    assert not marker.exists()


def _rewrite_header(src, dst, change) -> None:
    with safe_open(str(src), framework="pt") as handle:
        document = json.loads(handle.metadata()["ganaug"])
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}
    change(document)
    save_file(tensors, str(dst), metadata={"ganaug": json.dumps(document)})


@pytest.mark.parametrize(
    "path",
    [
        "os:system",  # outside ganaug
        "ganaug.__main__:main",  # importing it would run the command line
        "ganaug._augmenter:GANAugmenter",  # a ganaug class, but not a stored value
    ],
)
def test_header_naming_a_class_ganaug_does_not_store_is_refused(
    fitted_array, tmp_path, monkeypatch, path
):
    good, bad = tmp_path / "good", tmp_path / "bad"
    fitted_array.save(good)

    def plant(document):
        document["attributes"]["evil"] = {
            "__dataclass__": path,
            "fields": {"command": "mkdir pwned"},
        }

    _rewrite_header(good, bad, plant)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="names a class that ganaug does not store"):
        GANAugmenter.load(bad)
    assert not (tmp_path / "pwned").exists()


def test_corrupted_file_is_refused(fitted_array, tmp_path):
    path = tmp_path / "m"
    fitted_array.save(path)
    data = bytearray(path.read_bytes())
    truncated = tmp_path / "truncated"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ValueError, match="not a ganaug model file"):
        GANAugmenter.load(truncated)
    garbled = tmp_path / "garbled"
    data[10:40] = b"\x00" * 30
    garbled.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a ganaug model file"):
        GANAugmenter.load(garbled)
    foreign = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(ValueError, match="without ganaug metadata"):
        GANAugmenter.load(foreign)
    with pytest.raises(FileNotFoundError):
        GANAugmenter.load(tmp_path / "missing")


def test_newer_format_is_refused_with_upgrade_advice(fitted_array, tmp_path):
    good, newer = tmp_path / "good", tmp_path / "newer"
    fitted_array.save(good)

    def bump(document):
        document["format_version"] = FORMAT_VERSION + 1
        document["ganaug_version"] = "99.0"

    _rewrite_header(good, newer, bump)
    with pytest.raises(ValueError, match=r"ganaug 99\.0.*Upgrade ganaug"):
        GANAugmenter.load(newer)


def test_file_records_versions(fitted_array, tmp_path):
    from ganaug import __version__

    path = tmp_path / "m"
    fitted_array.save(path)
    with safe_open(str(path), framework="pt") as handle:
        document = json.loads(handle.metadata()["ganaug"])
    assert document["ganaug_version"] == __version__
    assert document["format_version"] == FORMAT_VERSION


def test_model_fitted_on_gpu_loads_on_cpu(fitted_array, tmp_path):
    """A file that says 'fitted on cuda' loads on a machine without CUDA, on the CPU."""
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    good, gpu = tmp_path / "good", tmp_path / "gpu"
    fitted_array.save(good)

    def on_cuda(document):
        items = document["attributes"]["device_"] = {"__device__": "cuda:0"}
        assert items

    _rewrite_header(good, gpu, on_cuda)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        loaded = GANAugmenter.load(gpu)
    assert loaded.device_.type == "cpu"
    assert loaded.sample(3)[0].shape == (3, 3)


def test_save_before_fit_and_unsavable_settings(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        GANAugmenter().save(tmp_path / "m")
    X, y = _mixed_table()
    aug = GANAugmenter(random_state=0, sampling_strategy=lambda y: {"rare": 48}, **TINY)
    aug.fit(X, y)
    with pytest.raises(TypeError, match="sampling_strategy is a callable"):
        aug.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "value",
    [
        np.int64(3),
        np.str_("a"),
        (1, "b", (2.5, None)),
        {np.int64(1): 2, "x": [True, False]},
        np.array(["a", "bb"], dtype=object),
        np.array([[1.5, np.nan]]),
        np.dtype("<U3"),
        float("nan"),
        torch.device("cpu"),
    ],
)
def test_tagged_json_round_trips(value):
    back = decode(json.loads(json.dumps(encode(value))))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
        assert back.dtype == value.dtype
    elif isinstance(value, float):
        assert np.isnan(back)
    else:
        assert back == value


def test_label_filter_survives_save_and_load(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.array([0] * 45 + [1] * 15)
    aug = GANAugmenter(random_state=0, filter_samples=True, **TINY).fit(X, y)
    path = tmp_path / "m"
    aug.save(path)
    loaded = GANAugmenter.load(path)
    assert loaded.filter_samples and loaded.rejection_rate_ == aug.rejection_rate_
    np.testing.assert_array_equal(
        loaded.sample(20, random_state=1)[0], aug.sample(20, random_state=1)[0]
    )


def test_image_gate_survives_save_and_load_and_older_gates_stay_scaled(tmp_path):
    from ganaug.sampling.gate import LabelGate

    X = np.random.default_rng(3).integers(0, 256, size=(24, 8, 8), dtype=np.uint8)
    y = np.array([0] * 16 + [1] * 8)
    aug = GANAugmenter(random_state=0, **TINY).fit(X, y)  # filter_samples="auto": gated
    aug.save(tmp_path / "m")
    loaded = GANAugmenter.load(tmp_path / "m")
    assert not loaded._gate.scaled
    np.testing.assert_array_equal(
        loaded.sample(20, random_state=1)[0], aug.sample(20, random_state=1)[0]
    )
    # a gate written before the unscaled image gate holds a scaler and no "scaled"
    rng = np.random.default_rng(0)
    old = LabelGate(4).fit(rng.normal(size=(40, 3)), np.r_[[0] * 20, [1] * 20])
    state = old.get_state()
    del state["scaled"]
    again = LabelGate.from_state(state)
    probe, zeros = rng.normal(size=(10, 3)), np.zeros(10)
    assert again.scaled
    np.testing.assert_array_equal(again.accept(probe, zeros), old.accept(probe, zeros))


# What a model file held before the estimator listed its persisted attributes itself
# (everything in vars() but the parameters, model_ and _realism): files keep holding it.
_FILE_ATTRIBUTES = {
    "_gate",
    "_input",
    "_sample_calls",
    "_sample_seed",
    "_y_dtype",
    "class_counts_",
    "classes_",
    "device_",
    "fit_time_",
    "history_",
    "model_type_",
    "n_steps_",
    "rejection_rate_",
    "rules_",
    "sampling_strategy_",
}


@pytest.mark.parametrize("kind", ["table", "image"])
def test_saved_and_loaded_models_have_the_same_attributes(kind, tmp_path):
    if kind == "table":
        X, y = _mixed_table()
        in_file = _FILE_ATTRIBUTES | {"n_features_in_", "feature_names_in_"}
    else:
        X = np.random.default_rng(2).integers(0, 256, size=(24, 8, 8), dtype=np.uint8)
        y = np.array([0] * 16 + [1] * 8)
        in_file = _FILE_ATTRIBUTES  # images are not validated as tables: no n_features_in_
    aug = GANAugmenter(random_state=0, filter_samples=True, **TINY).fit(X, y)
    aug.sample(3)
    path = tmp_path / "model"
    aug.save(path)
    with safe_open(str(path), framework="pt") as handle:
        header = json.loads(handle.metadata()["ganaug"])
    assert set(header["attributes"]) == in_file
    assert in_file <= set(GANAugmenter._persisted_attributes)
    loaded = GANAugmenter.load(path)
    assert set(vars(loaded)) == set(vars(aug))
    assert loaded._sample_calls == aug._sample_calls == 1
