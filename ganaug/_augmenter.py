"""GANAugmenter: an imbalanced-learn over-sampler backed by a conditional GAN."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from functools import partial
from numbers import Integral
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import torch
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_sampling_strategy
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._runtime import resolve_device, torch_threads
from .evaluation import quality_report, read_report_data, report_counts
from .inputs.dispatch import check_input, restore_samples
from .inputs.images import CheckedImages
from .inputs.labels import (
    check_labels_early,
    class_counts,
    class_indices,
    encode_labels,
    request_indices,
    sample_counts,
)
from .inputs.params import PARAMETER_CONSTRAINTS, check_hidden_units
from .inputs.table import CheckedTable
from .inputs.warm_start import FittedState, check_warm_start
from .models.factory import fit_filters, fit_model, fit_table_rules
from .models.image_fit import spreads_by_label
from .realism_metrics import table_categorical
from .sampling.draw import draw_samples
from .sampling.gate import features
from .training.jobs import fit_callbacks, n_threads

__all__ = ["GANAugmenter"]

_SEED_MAX = 2**31 - 1


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
    standard deviation, and given the real class's share of NaN in each column
    (moment matching). For images it is a conditional DCGAN with DiffAugment
    whose samples of each class are shifted, pixel by pixel, so that their mean
    image is the real class's.

    There is no ``transform`` method: imbalanced-learn's ``Pipeline`` refuses a
    step with both ``transform`` and ``fit_resample``, and a scikit-learn
    ``transform`` must keep the number of rows.

    When things go wrong. A non-finite loss or gradient, or a generator whose
    samples of a class have all become alike (checked every 50 steps and at
    the end, on a few samples per class), restores the last good networks,
    halves the learning rate and warns; after 5 such events ``fit`` raises
    ``ganaug.training.guard.TrainingDivergedError`` and a fresh estimator stays
    unfitted. Ctrl-C during training stops it with a warning and leaves a
    fitted estimator that samples from the last good generator; ``fit`` again
    with ``warm_start=True`` continues (``n_steps_`` and ``history_`` grow).
    Classes with fewer than 3 rows are modelled by the GAN like the others,
    with a warning; classes with fewer than 5 rows are not moment matched
    (too few rows for a mean or standard deviation to aim at). Synthetic
    values are always finite and inside what ``fit`` saw: known categories,
    observed ranges, integers for integer columns; NaN only in columns that
    had NaN (and, with moment matching, only for classes that had NaN there,
    if they have 5 rows or more). A DataFrame's index is kept for the original
    rows; synthetic rows get fresh labels (see ``fit_resample``).

    Parameters
    ----------
    {sampling_strategy}

    model : {{"auto", "tabular", "image"}}, default="auto"
        Which GAN to train. ``"auto"`` picks the image model for 3-D and 4-D
        arrays or tensors and for a torch ``Dataset``, the tabular model for
        2-D tables. Images are ``(N, H, W)``, ``(N, H, W, C)`` or
        ``(N, C, H, W)`` with C 1 or 3, H and W from 8 to 128, ``uint8`` or
        float in [0, 1] or [-1, 1]; synthetic images come back in the same
        container, layout, dtype and range. The image model is a conditional
        DCGAN [1]_ with class-conditional batch norm, a spectral-norm projection
        critic and differentiable augmentation [4]_ on real and fake images.

    categorical_features : array-like of int, str or bool, default=None
        Columns to model as categories although they are numeric (as in
        ``SMOTENC``): indices, column names or a boolean mask. Columns of dtype
        category, bool, object (strings) and string are always categorical.
        Needed for an ndarray of non-numeric values.

    max_steps : int or "auto", default="auto"
        Generator updates to train for (each after ``n_critic`` critic updates).
        ``"auto"`` is 600 generator steps for tables of up to 1,500 rows,
        growing with the data to 800 from 2,500 rows. With ``warm_start=True``
        each ``fit`` adds this many steps.

    batch_size : int or "auto", default="auto"
        Rows per batch; ``"auto"`` is 64. Always capped at the number of rows.

    n_critic : int or "auto", default="auto"
        Critic updates per generator update; ``"auto"`` is 5 for tables and 1
        for images.

    learning_rate : float, default=2e-4
        Adam's learning rate for all networks (betas 0.5 and 0.9).

    latent_dim : int, default=64
        Width of the generator's noise input.

    hidden_units : tuple of int, default=(128, 128)
        Hidden layer widths of the generator and critic MLPs.

    loss : {{"auto", "wgan-gp", "hinge", "bce"}}, default="auto"
        Adversarial loss. ``"wgan-gp"`` adds the gradient penalty. ``"auto"``
        is ``"wgan-gp"`` for tables and ``"hinge"`` for images (with spectral
        norm and DiffAugment it needs one critic step per generator step).

    aux_weight : float or "auto", default="auto"
        Weight of the auxiliary classification term in the generator's loss;
        0 turns the auxiliary classifier off. ``"auto"`` is 1.0 for tables and
        0 for images: the projection critic already carries the class, and on
        the digits benchmark an auxiliary classifier trained on a dozen images
        of a class narrowed that class's samples and lowered the balanced
        accuracy of a classifier trained on them (``benchmarks/images.py``).

    moment_matching : bool, default=True
        Tables: map each class's synthetic continuous columns onto the real
        class's quantiles (keeping the generator's ranks, so the dependence
        between columns stays the generator's; values interpolate between the
        observed ones, and a value many rows share, such as 0 in a zero-inflated
        amount, comes out exactly at the class's real rate; a column with 20 or
        more distinct values in a class is mapped onto a kernel density estimate
        of them, not onto the sample's own gaps); recompute a positive column
        that is nearly a power law of one or two others (a total about tenure
        times a monthly charge), and a column that is nearly a sum of curves in
        one or two others (a premium from a vehicle's value and a surcharge for
        young drivers), from them, with the class's real spread around the
        relation; give columns that are parts of a whole (weight percentages
        adding up to about 100) totals drawn from the class's real totals,
        sharing each row's difference among its parts; shift the generator's
        odds of NaN so that each class has its real share of NaN per column (a
        class never NaN in a column gets none there); and shift its category
        odds so that each class's category frequencies are the real ones.
        Images: shift each class's synthetic images so that their mean image is
        the real class's (values are clipped to the range); for grayscale
        images, then map each class's pixel values onto the real class's
        distribution of values (histogram matching: a faint grey haze in the
        background becomes background, and strokes take the real stroke values;
        the order of the values within an image is kept; colour images are left
        alone, where matching each channel on its own made them easier to tell
        from real). Only classes with at least 5 real rows are matched, but a
        category never seen with a class is never generated for it, whatever the
        class's size. Whatever this setting, numeric columns whose values lie on
        a grid (whole numbers, multiples of a round step, a few observed values)
        come out on it, and so do the pixels of images whose real pixels take at
        most 256 values.

    truncation : float in (0, 1] or "auto", default=1.0
        Images only: the spread of the generator's noise, ``z * psi`` (the
        truncation trick of BigGAN [6]_): below 1, samples are more typical of
        their class and less varied. ``1`` (the default) draws the noise the
        networks were trained on. A number uses that ``psi`` for every class.
        ``"auto"`` fits one ``psi`` per class after training: the largest of
        1, 0.9, ..., 0.6 at which a logistic regression of the real images
        (pixels pooled to at most 16x16, balanced class weights) reads the
        class's synthetic images as their class about as often (within one
        standard error) as it reads held-out real images of the class; it
        adds about 7 s to a fit of 2,000 images of 28x28. ``truncation_``
        holds the spreads. On MNIST-size digits (benchmarks/images.py, the
        same 5 fitted networks sampled both ways) ``"auto"`` raised label
        fidelity from 0.85 to 0.89 at the same balanced accuracy (0.880
        against 0.881), but less varied samples are easier to tell from real
        ones: a pixel classifier's detection AUC rose from 0.67 to 0.77.
        Tables ignore it.

    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA or MPS when present, else the CPU.

    mixed_precision : {{"auto", True, False}}, default="auto"
        Images only: train the networks' forward passes under autocast.
        ``"auto"`` is bfloat16 on a CUDA GPU that supports it (float16 with a
        dynamic loss scale on older GPUs) and on a CPU with bfloat16 matrix
        units (Intel AMX, 4th-generation Xeon and later: a training step runs
        about 1.6x as fast there), and off on other CPUs and MPS. ``True``
        also uses bfloat16 on any CPU (slower than float32 without such
        units) and is refused on MPS. Weights, the moving-average generator
        and losses stay float32, and samples are float32 whatever the setting.
        Tables always train in float32. CPU results are bit-for-bit repeatable
        with either setting on one machine; a CPU with AMX and one without
        give different networks for one ``random_state`` unless
        ``mixed_precision=False``. On MNIST-size digits bfloat16 cost 0.004 of
        balanced accuracy against float32 (5 paired seeds, benchmarks/images.py):
        set False where quality matters more than the 1.6x.

    n_jobs : int, "auto" or None, default=None
        Threads torch uses while fitting and sampling; the caller's setting is
        restored afterwards. ``None`` trains with one thread: more only add
        synchronisation overhead for the small batches of both models (for
        8x8 images, two threads trained half as fast as one on two cores). It
        samples with up to two threads once a request reaches 50,000 rows,
        where the large tensors split well
        (about 110,000 against 80,000 rows/s on a 30-column table).
        ``"auto"`` times a few training steps on 1, 2 and 4 threads (up to the
        CPU's cores) and trains on with the fastest, which pays for larger
        images on idle cores (:class:`ganaug.training.threads.ThreadTuner`); torch's
        results differ in the last bits between thread counts, so only an int
        or ``None`` makes CPU fits bit-for-bit repeatable.

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

    image_layout : {{"auto", "NHW", "NHWC", "NCHW"}}, default="auto"
        Layout of image input. ``"auto"``: 3-D is ``NHW``; 4-D is channels-last
        when only the last axis has 1 or 3 entries, channels-first when only
        axis 1 has; when both have (e.g. ``(N, 3, 32, 3)``) an error asks for
        this parameter instead of guessing.

    filter_samples : bool or "auto", default="auto"
        Quality gate: a class-balanced logistic regression trained on the real
        training data (the tabular model's encoding, or pooled pixels for
        images) reads each synthetic sample; samples it assigns to another
        class are rejected and drawn again (up to 10 rounds; a class still
        short is topped up, with a warning, by the rejected samples the
        classifier rated most likely to be of the class, so the counts asked
        for always come back). The rejection rate is kept in
        ``rejection_rate_``. ``"auto"`` gates images and not tables: on
        MNIST-size digits it raised label fidelity from 0.86 to 0.97 and the
        balanced accuracy of a classifier trained on the balanced data by
        0.006 (5 seeds; -0.002 on 8x8 digits), while tables have the realism
        filter.

    realism_filter : bool, default=True
        Tables: after training, a small classifier (an MLP on the model's
        encoding of a row, with the class as input) learns to tell real
        training rows from synthetic ones, stopping early on a held-out quarter
        so that it does not memorise real rows. Sampling then draws 4 rows per
        row asked for and keeps, per class, the requested number without
        replacement, with odds proportional to the classifier's estimate of
        the density ratio real/synthetic (clipped to [e^-5, e^5]):
        discriminator rejection sampling [5]_. Joint structure that
        per-column corrections miss (a column that is about the product of two
        others, ranges that depend on a category) comes out closer to the real
        rows, without copying them. Classes with fewer than 10 rows are drawn
        unfiltered. On the tables of ``benchmarks/realism_filter.py`` it
        lowered the detection AUC from 0.78 to 0.70 (novelty share 0.03 to
        0.05, balanced accuracy 0.731 to 0.739), adding about 5% to the fit
        time; sampling is 5 to 10 times slower. Ignored for images (an image
        model has no filter).

    rules : list of str or Rule, default=None
        Tables: facts every row obeys, that every synthetic row keeps too.
        Written as text (or as objects of ``ganaug.sampling.rules``)::

            "years_in_role <= years_at_company"          # an order
            "total == day + night"                        # a sum of columns
            "charge == 0.25 * minutes"                    # a fixed multiple
            "balance == deposit + 100"                    # a fixed offset
            "internet == 'No' -> streaming == 'No internet service'"
            "education >= 13 -> college == 'yes'"       # a flag a number sets
            "30 <= age <= 44 -> age_band == '30-44'"     # a band

        Names with spaces go in backticks. Numeric relations hold within the
        derived column's rounding (to the cent, for a column stored in cents).
        A rule is checked before training: an unknown column, a number rule
        on a categorical column, two rules that contradict each other, or a
        rule that training rows break raises a ``ValueError`` that quotes it.
        Sampling derives the dependent columns from their sources, sets the
        implied categories and draws the lower column of an order as its
        class's real share of the room below the upper one (a broken pair it
        cannot draw again is swapped); a row it still cannot repair is
        replaced by another synthetic row of its class. Refused for images.

    discover_rules : bool, default=True
        Tables: also find the rules that hold in every training row (see
        ``ganaug.sampling.rule_discovery``): implications between categories,
        or values that a numeric column takes in many rows (``n_claims == 0 ->
        claim_amount == 0``), whose condition has at least 20 rows; flags and
        bands that a numeric column sets (``education >= 13 -> college ==
        'yes'``, over at least two of its values and 20 rows; a band inside the
        range only when it holds every row of its value); exact offsets,
        multiples and sums of two or more numeric columns (a total and its
        parts); and orders ``a <= b`` between columns whose ranges
        overlap, each only when chance would hardly produce it. They are kept
        like the user's rules. Also keys (``ganaug.sampling.key_discovery``): a
        category or whole-number column each of whose values fixes other
        columns (a professor's ID her age), found beyond chance from groups of
        a few rows each; a synthetic row whose key is a training value gets
        that value's fixed columns.
        Ignored for images.

    Attributes
    ----------
    sampling_strategy_ : dict
        ``{{class: number of synthetic rows}}`` that ``fit_resample`` adds.
    classes_ : ndarray
        Class labels seen during ``fit``, sorted.
    class_counts_ : dict
        Real rows per class seen during ``fit``.
    model_ : TabularGAN or ImageGAN
        The trained model (encoder, networks, moving-average generator).
    model_type_ : str
        ``"tabular"`` or ``"image"``.
    truncation_ : dict or None
        Images: ``{{class: psi}}``, the noise spread each class samples with
        (see ``truncation``); None for tables.
    rules_ : list of Rule
        The rules every synthetic row keeps: the user's ``rules`` first, then
        the discovered ones. ``str(rule)`` reads as the rule's text, e.g.
        ``charge == 0.17 * minutes``; empty for images.
    rejection_rate_ : dict
        With the gate of ``filter_samples``: per class, the share of synthetic samples
        the gate rejected (measured on 100 per class after ``fit``, then updated
        by each draw).
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
    .. [5] S. Azadi, C. Olsson, T. Darrell, I. Goodfellow, A. Odena,
       "Discriminator Rejection Sampling", ICLR 2019.
    .. [6] A. Brock, J. Donahue, K. Simonyan, "Large Scale GAN Training for
       High Fidelity Natural Image Synthesis", ICLR 2019.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from ganaug import GANAugmenter
    >>> X, y = make_classification(n_samples=300, weights=[0.9, 0.1], random_state=0)
    >>> sorted(Counter(y.tolist()).items())
    [(0, 268), (1, 32)]
    >>> aug = GANAugmenter(max_steps=20, random_state=0)
    >>> X_res, y_res = aug.fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 268), (1, 268)]
    >>> bool((X_res[:300] == X).all())
    True
    >>> X_new, y_new = aug.sample(5, y=1)
    >>> X_new.shape
    (5, 20)
    """

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    # The fitted attributes a model file holds, in the order it writes them
    # (``ganaug._persistence``; the order of files written before this list, for a
    # table). Those absent on an estimator (``rejection_rate_`` without
    # ``filter_samples``, ``feature_names_in_`` without string column names,
    # ``n_features_in_`` for images) are left out. ``model_`` and ``_realism`` are not
    # listed: they save their own state beside these.
    _persisted_attributes = (
        "feature_names_in_",
        "n_features_in_",
        "sampling_strategy_",
        "rules_",
        "_sample_seed",
        "_sample_calls",
        "rejection_rate_",
        "_gate",
        "classes_",
        "class_counts_",
        "_input",
        "_y_dtype",
        "model_type_",
        "device_",
        "history_",
        "n_steps_",
        "fit_time_",
    )

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        model: str = "auto",
        categorical_features: Any = None,
        max_steps: int | str = "auto",
        batch_size: int | str = "auto",
        n_critic: int | str = "auto",
        learning_rate: float = 2e-4,
        latent_dim: int = 64,
        hidden_units: tuple[int, ...] = (128, 128),
        loss: str = "auto",
        aux_weight: float | str = "auto",
        moment_matching: bool = True,
        truncation: float | str = 1.0,
        device: str | torch.device = "auto",
        mixed_precision: bool | str = "auto",
        n_jobs: int | str | None = None,
        verbose: int = 0,
        random_state: Any = None,
        warm_start: bool = False,
        callbacks: list | None = None,
        image_layout: str = "auto",
        filter_samples: bool | str = "auto",
        realism_filter: bool = True,
        rules: list | None = None,
        discover_rules: bool = True,
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
        self.truncation = truncation
        self.device = device
        self.mixed_precision = mixed_precision
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.image_layout = image_layout
        self.filter_samples = filter_samples
        self.realism_filter = realism_filter
        self.rules = rules
        self.discover_rules = discover_rules

    # -- validation -----------------------------------------------------------------

    def _check_X_y(
        self, X: Any, y: Any, accept_sparse: Any = None
    ) -> tuple[CheckedTable | CheckedImages, np.ndarray, bool]:
        checked, y_arr, binarize_y = check_input(X, y, self._params())
        if isinstance(checked, CheckedTable):  # n_features_in_ and feature names: tables only
            validate_data(self, X=checked.original, y=y_arr, reset=True, skip_check_array=True)
        return checked, y_arr, binarize_y

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
        check_classification_targets(y_arr)  # as fit_resample: no continuous labels
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
        check_labels_early(y)  # our messages for missing or mixed labels, before sklearn's
        return super().fit_resample(X, y, **params)

    def _fit_resample(
        self, X: CheckedTable | CheckedImages, y: np.ndarray, **params: Any
    ) -> tuple[Any, np.ndarray]:
        self._train(X, y)
        counts = {c: n for c, n in self.sampling_strategy_.items() if n > 0}
        X_new, y_new = self._generate(counts, self._next_sample_seed())
        return X.join(X.restore(X_new)), np.concatenate([y, y_new])

    def _train(self, checked: CheckedTable | CheckedImages, y: np.ndarray) -> None:
        check_hidden_units(self.hidden_units)
        start = time.perf_counter()
        classes, y_idx = encode_labels(y)
        continuing = self.warm_start and hasattr(self, "model_")
        device = self._fit_device(continuing)
        if continuing:
            fitted = FittedState(
                self.model_, getattr(self, "model_type_", "tabular"), self._input, self.classes_
            )
            check_warm_start(fitted, checked, classes)
        # before any training: a bad rule fails fast and leaves the estimator unfitted
        params = self._params()
        rules = fit_table_rules(checked, params, classes, y_idx)
        seeds = check_random_state(self.random_state).randint(_SEED_MAX, size=3)
        with torch_threads(n_threads(self.n_jobs)):
            # a fresh model becomes model_ only once trained: a fit that raises (or is
            # interrupted before training starts) leaves the estimator as it was
            previous = self.model_ if continuing else None
            callbacks = fit_callbacks(self.callbacks, self.n_jobs)
            self.model_ = fit_model(
                previous, checked, y_idx, len(classes), params, seeds, device, callbacks, rules
            )
            self.rules_ = rules[0]
            if not continuing:
                self._sample_seed = int(seeds[2])
                self._sample_calls = 0
            self._realism, self._gate, rates = fit_filters(
                self.model_, checked, y_idx, classes, int(seeds[2]), device, params
            )
        # the attributes both models share, set once training succeeded
        if rates is not None:
            self.rejection_rate_ = rates
        self.classes_ = classes
        self.class_counts_ = class_counts(classes, y_idx)
        self._input = checked.info
        self._y_dtype = y.dtype
        self.model_type_ = "image" if isinstance(checked, CheckedImages) else "tabular"
        self.device_ = device
        self.history_ = self.model_.history
        self.n_steps_ = self.model_.steps_done
        self.fit_time_ = time.perf_counter() - start

    @property
    def truncation_(self) -> dict[Any, float] | None:
        """Images: ``{class: psi}``, the noise spread of each class (see ``truncation``)."""
        return spreads_by_label(self.model_, self.classes_)

    def _params(self) -> SimpleNamespace:
        """The parameters as plain values: what the modules below the estimator read."""
        return SimpleNamespace(**self.get_params(deep=False))

    def _fit_device(self, continuing: bool) -> torch.device:
        """Where this fit trains: a warm start goes on where the model lives.

        After ``load(path, device="cpu")`` of a GPU-fitted model the ``device``
        parameter still says ``"cuda"``, but the networks are on the CPU.
        """
        if continuing:
            return self.model_.device
        return resolve_device(self.device)

    # -- sampling -------------------------------------------------------------------

    def _next_sample_seed(self) -> int:
        """A seed for one sampling call: reproducible from the fit, new on each call."""
        self._sample_calls += 1
        sequence = np.random.SeedSequence(self._sample_seed, spawn_key=(self._sample_calls,))
        return int(sequence.generate_state(1)[0])

    def _generate(self, counts: Mapping[Any, int], seed: int) -> tuple[Any, np.ndarray]:
        """Synthetic samples (in model space) and labels, ``counts`` per class label."""
        y_idx = request_indices(counts, self.classes_)
        filters = getattr(self, "_realism", None), getattr(self, "_gate", None)
        with torch_threads(n_threads(self.n_jobs, len(y_idx))):
            samples, y_idx, rates = draw_samples(
                self.model_, y_idx, seed, self.device_, self.classes_, *filters
            )
        if rates:
            self.rejection_rate_ = {**getattr(self, "rejection_rate_", {}), **rates}
        return samples, self.classes_[y_idx].astype(self._y_dtype, copy=False)

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
        samples, labels = self._generate(counts, seed)
        return restore_samples(samples, self._input), labels

    def quality_report(
        self, X: Any, y: Any, *, X_train: Any = None, y_train: Any = None
    ) -> pd.DataFrame:
        """Per-class quality of the synthetic samples, measured on held-out real data.

        The training data is not kept, so the measures compare synthetic
        samples with the real ``(X, y)`` given here, which should not have been
        used for ``fit``; pass the training rows as ``X_train, y_train`` to get
        the novelty share too. As many synthetic samples are drawn per class as
        ``y`` holds (at least 100), through the same path as :meth:`sample`
        (label filter included) but with a fixed seed, so the report is
        repeatable and leaves the sampling sequence alone. No pretrained
        weights are involved.

        Parameters
        ----------
        X : table or images
            Held-out real samples, in the format given to ``fit``.
        y : array-like of shape (n_samples,)
            Their labels; all must be classes seen by ``fit``.
        X_train, y_train : table and array-like, optional
            The rows ``fit`` was trained on (same columns as ``X``). Tables only:
            they give ``novelty_share`` and are the reference for category
            support, rules and grids (else ``X`` is). Ignored for images.

        Returns
        -------
        report : DataFrame
            One row per class of ``y``. For tables and images:

            - ``n_real``, ``n_synthetic``: rows compared;
            - ``label_fidelity``: share of synthetic samples that a
              class-balanced logistic regression trained on the held-out
              ``(X, y)`` assigns to their class;
            - ``detection_auc``: 3-fold cross-validated ROC AUC of a
              gradient-boosted classifier telling real from synthetic samples of
              the class; 0.5 is indistinguishable, 1 fully distinguishable;
            - ``dcr_ratio``: median distance from a synthetic sample to its
              closest held-out real one, over the median distance between
              held-out real samples and their closest other one; near 0 flags
              near-copies;
            - ``rejection_rate`` when ``filter_samples`` is on.

            Tables only (images have no such columns):

            - ``detection_auc`` is measured on the table's own values (numbers,
              NaN kept, one-hot categories) against one half of the held-out
              rows while the other half feeds SMOTE (SMOTENC with categories),
              then the halves swap; NaN below 12 held-out rows of a class;
            - ``detection_auc_smote``: the same detector on SMOTE's rows made
              from the same held-out rows, the baseline to beat;
            - ``impossible_pairs``: share of synthetic rows carrying a category
              that no real row of the class has;
            - ``rule_violations``: share of synthetic rows breaking one of the
              fitted ``rules_`` (or, without them, a rule that every real row
              obeys);
            - ``on_grid``: share of the synthetic values of grid columns (whole
              numbers, round steps, few values) that lie on their grid; NaN
              when no column has a grid;
            - ``novelty_share``: share of synthetic rows closer to a training
              row of the class than 95% of held-out rows are (fresh data
              about 0.05, copies 1.0); NaN without ``X_train``.
        """
        check_is_fitted(self, "model_")
        real, y_idx, train, y_train_idx = read_report_data(
            X,
            y,
            X_train,
            y_train,
            kind=self.model_type_,
            image_layout=self.image_layout,
            categorical_features=self.categorical_features,
            columns=getattr(self._input, "columns", None),
            classes=self.classes_,
        )
        kept = getattr(self, "rejection_rate_", None)
        synthetic, labels = self._generate(
            report_counts(y_idx, self.classes_), int(self._sample_seed)
        )
        if kept is not None:
            self.rejection_rate_ = kept  # a report leaves the fitted state alone
        table = self.model_type_ != "image"
        return quality_report(
            real,
            y_idx,
            synthetic,
            class_indices(labels, self.classes_),
            self.classes_,
            featurize=partial(features, self.model_),
            categorical=table_categorical(real, self._input.categorical) if table else None,
            rules=getattr(self, "rules_", None),
            train=train if table else None,
            y_train=y_train_idx,
            rejection_rate=kept,
        )

    # -- outputs for torch, persistence ------------------------------------------

    def to_dataset(
        self,
        X: Any,
        y: Any,
        transform: Any = None,
        *,
        synthetic_only: bool = False,
        resample_each_epoch: bool = False,
        random_state: int | None = None,
        features: str = "auto",
    ) -> Any:
        """A torch ``Dataset`` of the real samples plus synthetic ones, balanced.

        Fits first when the augmenter is not fitted yet. The number of synthetic
        samples per class is ``sampling_strategy_``, as in ``fit_resample``.

        Parameters
        ----------
        X : array-like, DataFrame, image array or torch Dataset
            The real data, as given to ``fit``.
        y : array-like of shape (n_samples,)
            Its labels.
        transform : callable, optional
            Applied to each sample when it is read. An albumentations transform
            (detected by its module) is called as ``transform(image=hwc_uint8)``
            and its ``"image"`` entry is used, the albumentations convention;
            anything else (a torchvision transform, a function) gets a tensor:
            ``(C, H, W)`` float in [0, 1] for images, 1-D float32 for table rows.
        synthetic_only : bool, default=False
            Leave the real samples out.
        resample_each_epoch : bool, default=False
            Draw new synthetic samples for each epoch: call the dataset's
            ``set_epoch(k)`` at the start of epoch ``k`` (as with a
            ``DistributedSampler``). Otherwise one fixed set is drawn.
        random_state : int, optional
            Seed of the synthetic draw(s); by default the augmenter's next
            sampling seed.
        features : {"auto", "raw", "encoded"}, default="auto"
            Tables only: what a row tensor holds. ``"raw"``: the column values
            (all-numeric tables); ``"encoded"``: the model's encoding (one-hot
            categories, mode-normalized numbers); ``"auto"``: raw when every
            column is numeric, else encoded. ``dataset.to_frame()`` returns the
            rows in the caller's container (e.g. a DataFrame) instead.

        Returns
        -------
        dataset : ganaug.torch_data.AugmentedDataset
            Items are ``(x, label_index)``; ``dataset.classes`` maps indices back
            to labels. It pickles, so ``DataLoader(num_workers=...)`` works.
        """
        from .torch_data import check_dataset_options, make_dataset

        check_dataset_options(transform, features)  # bad options fail before training
        if not hasattr(self, "model_"):
            self.fit(X, y)
        seed = self._next_sample_seed() if random_state is None else int(random_state)
        return make_dataset(
            self,
            X,
            y,
            classes=self.classes_,
            counts={c: int(n) for c, n in self.sampling_strategy_.items() if n > 0},
            seed=seed,
            encoder=getattr(self.model_, "encoder", None),  # tables only
            transform=transform,
            synthetic_only=synthetic_only,
            resample_each_epoch=resample_each_epoch,
            features=features,
        )

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted augmenter to one file that cannot run code when loaded.

        The file is safetensors: network weights as tensors and a JSON header
        with the parameters, encoder, classes, moment matching and history. It
        records the ganaug version. ``GANAugmenter.load(path)`` restores an
        augmenter whose ``sample(..., random_state=k)`` gives the same samples
        as before saving (on the same kind of device). ``callbacks`` are not
        saved; optimizer moments are not saved either, so ``warm_start``
        training after loading restarts them.

        Parameters
        ----------
        path : str or path-like
            Where to write; an existing file is replaced only once the new one
            is complete.
        """
        from ._persistence import save_augmenter

        check_is_fitted(self, "model_")
        save_augmenter(self, path)

    @classmethod
    def load(
        cls, path: str | os.PathLike, device: str | torch.device | None = None
    ) -> GANAugmenter:
        """Read an augmenter written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The model file. Anything else -- a pickle, a damaged file, a file
            from an incompatible ganaug version -- raises ``ValueError`` before
            anything in it is used.
        device : str or torch.device, optional
            Where to put the model. By default the device it was fitted on, or
            the CPU (with a warning) when that one is not available here.

        Returns
        -------
        augmenter : GANAugmenter
        """
        from ._persistence import load_augmenter

        return load_augmenter(cls, path, device)

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


GANAugmenter.__doc__ = GANAugmenter.__doc__.format(
    sampling_strategy=BaseOverSampler._sampling_strategy_docstring
)
