"""Per-class category support and frequencies, as shifts of the generator's logits.

A conditional generator learns which categories go with which class only
approximately: in one trial a third of the synthetic penguins lived on an island
where their species never occurs. :class:`CategoryMatcher` adds, per class, a
bias to the logits of each categorical column's softmax block before the
category is drawn:

- a category that no real row of the class holds gets a large negative bias,
  so it is never drawn for that class (whatever the class's size);
- for classes with at least ``MIN_ROWS_TO_MATCH`` rows, the other categories'
  biases are refined a few rounds by ``bias += log(real_p / synthetic_p)``,
  where ``synthetic_p`` is the mean of the biased softmax over a reference
  sample of the class's logits: the class's category frequencies (among rows
  that are not NaN) come out as the real ones.

The "missing" category of a column that holds NaN is left to
``MissingRateMatcher``, which is fitted after this one on the logits with these
biases added, so that both the NaN rate and the frequencies among the other
rows come out right. Plain numpy, apart from the tensor :meth:`logit_bias` returns.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import softmax

from .corrections import MIN_ROWS_TO_MATCH

__all__ = ["CategoryMatcher"]

# A logit shift that no Gumbel draw overcomes (the sampler's Gumbel noise lies
# within about [-3, 23]): the category is never drawn.
_NEVER = -1e4
# Rounds of the proportional update; each moves the frequencies most of the way
# (it is exact in one round when every row of the class has the same logits).
_ROUNDS = 30
# Bound on a refined bias: a category the generator all but never draws gets at
# most this much help, so one rare category cannot swamp its block.
_MAX_SHIFT = 30.0


class CategoryMatcher:
    """Per class, a bias on each category's logit: unseen ones never, real frequencies.

    Attributes
    ----------
    bias_ : ndarray of shape (n_classes, n_category_logits)
        For every categorical column in order, one entry per category (not the
        "missing" one): ``_NEVER`` where the class never holds the category, 0
        where it does and has fewer than ``MIN_ROWS_TO_MATCH`` rows.
    """

    def fit(
        self,
        logits: np.ndarray,
        logits_y: np.ndarray,
        real_codes: np.ndarray,
        real_y: np.ndarray,
        blocks: list[tuple[int, int]],
        n_classes: int,
    ) -> CategoryMatcher:
        """Estimate the biases.

        Parameters
        ----------
        logits : ndarray of shape (n_reference, n_out)
            The generator's raw logits on a synthetic reference sample.
        logits_y : ndarray of shape (n_reference,)
            Their class indices.
        real_codes : ndarray of int, shape (n_real, n_blocks)
            Each real row's category index per categorical column, in
            ``[0, n_categories)``, or ``n_categories`` (or more) where it is NaN.
        real_y : ndarray of shape (n_real,)
            Their class indices.
        blocks : list of (start, n_categories)
            Where each categorical column's category logits begin in ``logits``
            and how many there are (its "missing" logit, if any, not counted).
        n_classes : int
        """
        widths = [width for _, width in blocks]
        offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int)
        self.bias_ = np.zeros((n_classes, int(offsets[-1])))
        for k in range(n_classes):
            codes_k, logits_k = real_codes[real_y == k], logits[logits_y == k]
            refine = len(codes_k) >= MIN_ROWS_TO_MATCH and len(logits_k) > 0
            for b, (start, width) in enumerate(blocks):
                present = codes_k[:, b][codes_k[:, b] < width]
                counts = np.bincount(present, minlength=width).astype(np.float64)
                bias = np.where(counts > 0, 0.0, _NEVER)
                if refine and counts.sum() > 0:
                    block = logits_k[:, start : start + width].astype(np.float64)
                    bias = _refine(block, counts / counts.sum(), bias)
                self.bias_[k, offsets[b] : offsets[b + 1]] = bias
        return self

    def logit_bias(
        self, index: list[int], n_out: int, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """The biases as a ``(n_classes, n_out)`` tensor to add to the logits.

        ``index`` lists the output column of each entry of ``bias_``.
        """
        out = torch.zeros(len(self.bias_), n_out, dtype=dtype)
        out[:, index] = torch.as_tensor(self.bias_, dtype=dtype)
        return out


def _refine(block: np.ndarray, target: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Biases on the seen categories that make the mean softmax equal ``target``."""
    seen = target > 0
    bias = bias.copy()
    for _ in range(_ROUNDS):
        synthetic = softmax(block + bias, axis=1).mean(axis=0)
        step = np.log(target[seen]) - np.log(np.maximum(synthetic[seen], 1e-300))
        bias[seen] = np.clip(bias[seen] + step, -_MAX_SHIFT, _MAX_SHIFT)
        # only differences between biases matter inside the block
        bias[seen] -= bias[seen].max()
        if np.abs(step).max() < 1e-4:
            break
    return bias
