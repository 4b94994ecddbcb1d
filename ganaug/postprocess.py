"""Cheap statistical corrections applied to decoded synthetic rows.

Moment matching rescales each class's synthetic continuous columns to the mean
and standard deviation of the real rows of that class. In trials on eight real
tables it closed most of the gap between an under-trained conditional WGAN-GP
and SMOTE (see ``shared/TRIALS.md``). The affine map is estimated once, after
training, from a reference sample, so that later calls of ``sample`` do not
depend on how many rows they ask for.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MomentMatcher"]

# Fewer real rows than this give a standard deviation too noisy to match.
MIN_ROWS_TO_MATCH = 5


class MomentMatcher:
    """Per class and column affine map ``x -> scale * x + offset``.

    Attributes
    ----------
    scale_, offset_ : ndarray of shape (n_classes, n_columns)
        Identity (1, 0) where a class has too few real rows or a column is constant.
    """

    def fit(
        self,
        real: np.ndarray,
        real_y: np.ndarray,
        synthetic: np.ndarray,
        synthetic_y: np.ndarray,
        n_classes: int,
    ) -> MomentMatcher:
        n_cols = real.shape[1]
        self.scale_ = np.ones((n_classes, n_cols))
        self.offset_ = np.zeros((n_classes, n_cols))
        for k in range(n_classes):
            r_k, s_k = real[real_y == k], synthetic[synthetic_y == k]
            for j in range(n_cols):
                r = r_k[:, j][~np.isnan(r_k[:, j])]
                s = s_k[:, j][~np.isnan(s_k[:, j])]
                if len(r) < MIN_ROWS_TO_MATCH or len(s) < MIN_ROWS_TO_MATCH:
                    continue
                s_std, r_std = s.std(), r.std()
                # relative to the column's magnitude: a column of scale 1e-12 still
                # has a spread to match; below ~1e-14 of the mean it is rounding noise
                if s_std <= 1e-14 * abs(s.mean()) or s_std == 0 or r_std == 0:
                    continue
                self.scale_[k, j] = r_std / s_std
                self.offset_[k, j] = r.mean() - s.mean() * self.scale_[k, j]
        return self

    def apply(self, values: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The corrected values of rows of classes ``y`` (NaN stays NaN)."""
        return values * self.scale_[y] + self.offset_[y]
