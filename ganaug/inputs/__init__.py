"""The caller's data and parameters, checked, described and restored.

- ``dispatch``: one entry for both kinds of input (``check_input``) and the
  restore of samples drawn after ``fit`` (``restore_samples``).
- ``table`` and ``images``: the checks of each kind, and the checked types whose
  ``restore`` and ``join`` put synthetic samples into the caller's container.
- ``labels``: checks of ``y``, and labels <-> class indices.
- ``params``: the estimator's parameter constraints.
- ``warm_start``: whether a fitted model can train on with new data.
"""
