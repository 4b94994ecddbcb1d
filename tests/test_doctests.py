"""The Examples sections of public docstrings run as written."""

import doctest

import pytest

import ganaug._augmenter


@pytest.mark.parametrize("module", [ganaug._augmenter], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
