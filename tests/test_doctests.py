"""The Examples sections of docstrings run as written, in every module of ganaug."""

import doctest
import importlib
import pkgutil

import pytest

import ganaug


def _fail(package: str) -> None:
    # walk_packages would skip a package that fails to import, and its modules with it
    raise ImportError(f"cannot import {package}")


# ``python -m ganaug`` runs the command line when imported
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(ganaug.__path__, prefix="ganaug.", onerror=_fail)
    if info.name != "ganaug.__main__"
)

# public entry points whose docstrings must show an example
WITH_EXAMPLES = [
    "ganaug._augmenter.GANAugmenter",
    "ganaug.torch_data.BalancedBatchSampler",
    "ganaug.plotting.plot_history",
    "ganaug.plotting.sample_grid",
    "ganaug.plotting.plot_distributions",
    "ganaug.encoders.image.to_hwc",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that saves a file writes it here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_modules_are_found():
    assert {"ganaug._augmenter", "ganaug.cli.files", "ganaug.encoders.image"} <= set(MODULES)


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_public_entry_points_have_examples(name):
    module_name, attribute = name.rsplit(".", 1)
    obj = getattr(importlib.import_module(module_name), attribute)
    finder = doctest.DocTestFinder(recurse=False)
    assert any(test.examples for test in finder.find(obj, name)), f"{name} has no example"
