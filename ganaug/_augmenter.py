"""GANAugmenter: an imbalanced-learn over-sampler backed by a conditional GAN."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import torch
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_sampling_strategy, check_target_type
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import TableInput, check_labels, check_table, sample_counts
from .models.tabular import TabularGAN, TabularSettings, default_tabular_steps
from .training import torch_threads

__all__ = ["GANAugmenter"]

_SEED_MAX = 2**31 - 1


class _Checked:
    """What ``_check_X_y`` hands to ``_fit_resample``: the table and the caller's X."""

    def __init__(self, frame: pd.DataFrame, original: Any, info: TableInput) -> None:
        self.frame = frame
        self.original = original
        self.info = info


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` is CUDA, else Apple's MPS, else the CPU; anything else as torch reads it."""
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a device torch knows; use 'auto', 'cpu', 'cuda' or 'mps'."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but CUDA is not available here.")
    return resolved


class GANAugmenter(BaseOverSampler):
    """Over-sample minority classes with a conditional GAN.

    A drop-in replacement for imbalanced-learn's ``SMOTE``: ``fit_resample(X, y)``
    returns the original rows, unchanged and first, followed by synthetic rows
    that bring each class to the count ``sampling_strategy`` asks for. ``fit``
    only trains; ``sample`` draws synthetic rows on demand.

    For tables the model is a conditional WGAN-GP [2]_ on MLPs with CTGAN's
    mode-specific normalization [3]_: the class label is an input on every step,
    batches are class-balanced, an auxiliary classifier keeps samples on their
    class, samples come from a moving average of the generator, and each class's
    synthetic continuous columns are rescaled to the real class's mean and
    standard deviation (moment matching).

    There is no ``transform`` method: imbalanced-learn's ``Pipeline`` refuses a
    step with both ``transform`` and ``fit_resample``, and a scikit-learn
    ``transform`` must keep the number of rows.

    Parameters
    ----------
    {sampling_strategy}

    model : {{"auto", "tabular"}}, default="auto"
        Which GAN to train. ``"auto"`` picks the tabular model for 2-D tables.

    categorical_features : array-like of int, str or bool, default=None
        Columns to model as categories although they are numeric (as in
        ``SMOTENC``): indices, column names or a boolean mask. Columns of dtype
        category, bool, object (strings) and string are always categorical.
        Needed for an ndarray of non-numeric values.

    max_steps : int or "auto", default="auto"
        Generator updates to train for (each after ``n_critic`` critic updates).
        ``"auto"`` grows with the data: 300 generator steps for small tables up
        to 800 for large ones. With ``warm_start=True`` each ``fit`` adds this
        many steps.

    batch_size : int or "auto", default="auto"
        Rows per batch; ``"auto"`` is 64. Always capped at the number of rows.

    n_critic : int, default=5
        Critic updates per generator update.

    learning_rate : float, default=2e-4
        Adam's learning rate for all networks (betas 0.5 and 0.9).

    latent_dim : int, default=64
        Width of the generator's noise input.

    hidden_units : tuple of int, default=(128, 128)
        Hidden layer widths of the generator and critic MLPs.

    loss : {{"wgan-gp", "hinge", "bce"}}, default="wgan-gp"
        Adversarial loss. ``"wgan-gp"`` adds the gradient penalty.

    aux_weight : float, default=1.0
        Weight of the auxiliary classification term in the generator's loss;
        0 turns the auxiliary classifier off.

    moment_matching : bool, default=True
        Rescale each class's synthetic continuous columns to the real class's
        mean and standard deviation (classes with at least 5 rows).

    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA or MPS when present, else the CPU.

    n_jobs : int, default=None
        Threads torch uses while fitting and sampling; the caller's setting is
        restored afterwards. ``None`` uses at most two: more threads only add
        synchronisation overhead for the small networks of the tabular model.

    verbose : int, default=0
        Show a progress bar with live losses when > 0. ``history_`` is recorded
        either way.

    random_state : int, RandomState instance or None, default=None
        Seeds every random draw (weights, batches, noise, mixtures). With an int,
        results on the CPU are bit-for-bit repeatable. Global random generators
        (numpy's and torch's) are never changed.

    warm_start : bool, default=False
        When True, a later ``fit`` on data with the same columns and classes
        continues training the fitted GAN instead of starting again.

    callbacks : list of ganaug.training.Callback, default=None
        Hooks called during training (``on_train_begin``, ``on_step_end``,
        ``on_train_end``).

    Attributes
    ----------
    sampling_strategy_ : dict
        ``{{class: number of synthetic rows}}`` that ``fit_resample`` adds.
    classes_ : ndarray
        Class labels seen during ``fit``, sorted.
    class_counts_ : dict
        Real rows per class seen during ``fit``.
    model_ : TabularGAN
        The trained model (encoder, networks, moving-average generator).
    model_type_ : str
        ``"tabular"``.
    device_ : torch.device
        Where the model was trained.
    history_ : list of dict
        Per generator step: ``step``, ``loss_d`` (critic), ``loss_g``
        (generator), ``gp`` (gradient penalty), ``loss_c`` and ``aux_g``
        (auxiliary classifier on real and fake rows).
    n_steps_ : int
        Generator steps trained so far.
    fit_time_ : float
        Seconds the last ``fit`` took.
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X was a DataFrame with string column names.

    See Also
    --------
    imblearn.over_sampling.SMOTE : Interpolation between neighbours.
    imblearn.over_sampling.SMOTENC : SMOTE for mixed numeric and categorical data.

    References
    ----------
    .. [1] A. Radford, L. Metz, S. Chintala, "Unsupervised Representation
       Learning with Deep Convolutional Generative Adversarial Networks", 2016.
    .. [2] I. Gulrajani, F. Ahmed, M. Arjovsky, V. Dumoulin, A. Courville,
       "Improved Training of Wasserstein GANs", NeurIPS 2017.
    .. [3] L. Xu, M. Skoularidou, A. Cuesta-Infante, K. Veeramachaneni,
       "Modeling Tabular data using Conditional GAN", NeurIPS 2019.
    .. [4] S. Zhao, Z. Liu, J. Lin, J.-Y. Zhu, S. Han, "Differentiable
       Augmentation for Data-Efficient GAN Training", NeurIPS 2020.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from ganaug import GANAugmenter
    >>> X, y = make_classification(n_samples=300, weights=[0.9, 0.1], random_state=0)
    >>> Counter(y)
    Counter({{np.int64(0): 269, np.int64(1): 31}})
    >>> aug = GANAugmenter(max_steps=20, random_state=0)
    >>> X_res, y_res = aug.fit_resample(X, y)
    >>> Counter(y_res)
    Counter({{np.int64(0): 269, np.int64(1): 269}})
    >>> bool((X_res[:300] == X).all())
    True
    >>> X_new, y_new = aug.sample(5, y=1)
    >>> X_new.shape
    (5, 20)
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "model": [StrOptions({"auto", "tabular"})],
        "categorical_features": ["array-like", None],
        "max_steps": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_units": [tuple, list],
        "loss": [StrOptions({"wgan-gp", "hinge", "bce"})],
        "aux_weight": [Interval(Real, 0, None, closed="left")],
        "moment_matching": ["boolean"],
        "device": [str, torch.device],
        "n_jobs": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "callbacks": [list, None],
    }

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        model: str = "auto",
        categorical_features: Any = None,
        max_steps: int | str = "auto",
        batch_size: int | str = "auto",
        n_critic: int = 5,
        learning_rate: float = 2e-4,
        latent_dim: int = 64,
        hidden_units: tuple[int, ...] = (128, 128),
        loss: str = "wgan-gp",
        aux_weight: float = 1.0,
        moment_matching: bool = True,
        device: str | torch.device = "auto",
        n_jobs: int | None = None,
        verbose: int = 0,
        random_state: Any = None,
        warm_start: bool = False,
        callbacks: list | None = None,
    ) -> None:
        super().__init__(sampling_strategy=sampling_strategy)
        self.model = model
        self.categorical_features = categorical_features
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.n_critic = n_critic
        self.learning_rate = learning_rate
        self.latent_dim = latent_dim
        self.hidden_units = hidden_units
        self.loss = loss
        self.aux_weight = aux_weight
        self.moment_matching = moment_matching
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.warm_start = warm_start
        self.callbacks = callbacks

    # -- validation -----------------------------------------------------------------

    def _check_X_y(self, X: Any, y: Any, accept_sparse: Any = None) -> tuple[_Checked, np.ndarray, bool]:
        frame, info = check_table(X, self.categorical_features)
        y_arr = np.asarray(y) if y is not None else None
        if y_arr is not None and y_arr.ndim == 2 and y_arr.shape[1] > 1:
            # a one-vs-all (one-hot) target; imbalanced-learn turns it into labels
            y_arr, binarize_y = check_target_type(y_arr, indicate_one_vs_all=True)
        else:
            binarize_y = False
        y_arr = check_labels(y_arr if y_arr is not None else y, len(frame))
        original = X if info.is_frame else np.asarray(X)
        validate_data(self, X=original, y=y_arr, reset=True, skip_check_array=True)
        return _Checked(frame, original, info), y_arr, binarize_y

    def _check_params(self) -> None:
        units = self.hidden_units
        if len(units) == 0 or not all(
            isinstance(u, Integral) and not isinstance(u, bool) and u > 0 for u in units
        ):
            raise ValueError(
                f"hidden_units must be a non-empty tuple of positive ints, got {units!r}."
            )

    # -- fitting --------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> GANAugmenter:
        """Train the conditional GAN on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            A table: numeric ndarray, or DataFrame with numeric, bool, category,
            string and nullable columns; NaN is modelled as missing.
        y : array-like of shape (n_samples,)
            Class labels of any type.

        Returns
        -------
        self : GANAugmenter
        """
        checked, y_arr, _ = self._check_X_y(X, y)
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, y_arr, self._sampling_type
        )
        self._train(checked, y_arr)
        return self

    def fit_resample(self, X: Any, y: Any, **params: Any) -> tuple[Any, Any]:
        """Train, then return the original rows followed by synthetic ones.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The table to balance.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : same type as X, of shape (n_samples_new, n_features)
            ``X`` itself first, then the synthetic rows. A DataFrame keeps its
            column names, dtypes and index; synthetic rows get fresh index
            labels (continuing after the largest integer label, or
            ``"synthetic-<i>"`` for a non-integer index).
        y_resampled : same type as y, of shape (n_samples_new,)
            The labels.
        """
        if y is not None:
            y_arr = np.asarray(y)
            if y_arr.ndim == 1 and len(y_arr) and pd.isna(pd.Series(y_arr, dtype=object)).any():
                check_labels(y_arr, len(y_arr))  # our message, before scikit-learn's
        return super().fit_resample(X, y, **params)

    def _fit_resample(self, X: _Checked, y: np.ndarray, **params: Any) -> tuple[Any, np.ndarray]:
        self._train(X, y)
        counts = {c: n for c, n in self.sampling_strategy_.items() if n > 0}
        X_new, y_new = self._generate(counts, self._next_sample_seed())
        if X.info.is_frame:
            X_new.index = _synthetic_index(X.original.index, len(X_new))
            X_out = pd.concat([X.original, X_new], axis=0)
        else:
            X_out = np.concatenate([X.original, self._as_array(X_new)], axis=0)
        return X_out, np.concatenate([y, y_new])

    def _train(self, checked: _Checked, y: np.ndarray) -> None:
        self._check_params()
        start = time.perf_counter()
        try:
            classes, y_idx = np.unique(y, return_inverse=True)
        except TypeError as exc:
            raise TypeError(f"y holds labels that cannot be compared with each other: {exc}") from exc
        if len(classes) < 2:
            raise ValueError(
                f"y has a single class ({classes[0]!r}); over-sampling needs at least two."
            )
        frame = checked.frame
        device = resolve_device(self.device)
        continuing = (
            self.warm_start
            and hasattr(self, "model_")
            and list(getattr(self, "_input", TableInput(True, [])).columns) == checked.info.columns
            and np.array_equal(self.classes_, classes)
        )
        rs = check_random_state(self.random_state)
        seeds = rs.randint(_SEED_MAX, size=3)
        n_steps = (
            default_tabular_steps(len(frame)) if self.max_steps == "auto" else int(self.max_steps)
        )
        with torch_threads(self._n_threads()):
            if not continuing:
                settings = TabularSettings(
                    latent_dim=self.latent_dim,
                    hidden_units=tuple(self.hidden_units),
                    batch_size=64 if self.batch_size == "auto" else int(self.batch_size),
                    n_critic=self.n_critic,
                    learning_rate=self.learning_rate,
                    loss=self.loss,
                    aux_weight=self.aux_weight,
                    moment_matching=self.moment_matching,
                )
                model = TabularGAN(settings, checked.info.categorical)
                model.build(frame, y_idx, len(classes), int(seeds[0]), device, self.callbacks or ())
                self.model_ = model
                self._sample_seed = int(seeds[2])
                self._sample_calls = 0
            self.model_.train(frame, y_idx, n_steps, self.verbose, int(seeds[1]))
        self.classes_ = classes
        self.class_counts_ = {
            (c.item() if isinstance(c, np.generic) else c): int(n)
            for c, n in zip(classes, np.bincount(y_idx))
        }
        self._input = checked.info
        self._y_dtype = y.dtype
        self.model_type_ = "tabular"
        self.device_ = device
        self.history_ = self.model_.history
        self.n_steps_ = self.model_.trainer.steps_done
        self.fit_time_ = time.perf_counter() - start

    def _n_threads(self) -> int:
        return self.n_jobs if self.n_jobs is not None else min(2, os.cpu_count() or 1)

    # -- sampling -------------------------------------------------------------------

    def _next_sample_seed(self) -> int:
        """A seed for one sampling call: reproducible from the fit, new on each call."""
        self._sample_calls += 1
        sequence = np.random.SeedSequence(self._sample_seed, spawn_key=(self._sample_calls,))
        return int(sequence.generate_state(1)[0])

    def _generate(self, counts: Mapping[Any, int], seed: int) -> tuple[pd.DataFrame, np.ndarray]:
        index_of = {(c.item() if isinstance(c, np.generic) else c): i for i, c in enumerate(self.classes_)}
        y_idx = np.concatenate(
            [np.full(n, index_of[c], dtype=np.int64) for c, n in counts.items()]
            or [np.zeros(0, dtype=np.int64)]
        )
        rng = torch.Generator(device=self.device_)
        rng.manual_seed(seed)
        with torch_threads(self._n_threads()):
            frame = self.model_.generate(y_idx, rng)
        return frame, self.classes_[y_idx].astype(self._y_dtype, copy=False)

    def _as_array(self, frame: pd.DataFrame) -> np.ndarray:
        return frame.to_numpy(dtype=self._input.dtype)

    def sample(
        self,
        n_samples: int | Mapping[Any, int],
        y: Any = None,
        random_state: int | None = None,
    ) -> tuple[Any, np.ndarray]:
        """Draw synthetic samples only.

        Parameters
        ----------
        n_samples : int or dict
            ``{class: count}``, or a number of samples of class ``y``. With an int
            and no ``y``, the samples are split evenly over the classes.
        y : class label, optional
            The class of the samples when ``n_samples`` is an int.
        random_state : int, optional
            Seed of this draw. By default each call draws new samples, in a
            sequence that is itself reproducible from the fit's ``random_state``.

        Returns
        -------
        X_new : DataFrame or ndarray
            Same container, columns and dtypes as the ``X`` given to ``fit``.
        y_new : ndarray
            The class labels, of the type of the ``y`` given to ``fit``.
        """
        check_is_fitted(self, "model_")
        counts = sample_counts(n_samples, y, self.classes_)
        if random_state is not None and not isinstance(random_state, Integral):
            raise TypeError(f"random_state must be an int or None, got {random_state!r}.")
        seed = self._next_sample_seed() if random_state is None else int(random_state)
        frame, labels = self._generate(counts, seed)
        if self._input.is_frame:
            return frame, labels
        return self._as_array(frame), labels

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


def _synthetic_index(index: pd.Index, n: int) -> pd.Index:
    """Index labels for synthetic rows that cannot collide with the original ones."""
    if pd.api.types.is_integer_dtype(index.dtype):
        start = int(index.max()) + 1 if len(index) else 0
        return pd.RangeIndex(start, start + n)
    return pd.Index([f"synthetic-{i}" for i in range(n)], dtype=object)


GANAugmenter.__doc__ = GANAugmenter.__doc__.format(
    sampling_strategy=BaseOverSampler._sampling_strategy_docstring
)
