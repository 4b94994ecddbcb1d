"""GANAugmenter in an imbalanced-learn pipeline, tuned with GridSearchCV.

The sampler only runs while fitting: each cross-validation fold trains its own
GAN on that fold's training rows, so no synthetic row leaks into a test fold.

    python examples/imblearn_grid_search.py
"""

import os

import numpy as np
from imblearn.pipeline import Pipeline
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from ganaug import GANAugmenter

# Generator steps per fit; raise it for better samples (the default is "auto").
MAX_STEPS = int(os.environ.get("MAX_STEPS", 150))

# Breast-cancer data with the malignant class (0) cut to 40 rows: an imbalanced table.
X, y = load_breast_cancer(return_X_y=True)
rng = np.random.default_rng(0)
keep = np.concatenate(
    [np.flatnonzero(y == 1), rng.choice(np.flatnonzero(y == 0), 40, replace=False)]
)
X, y = X[keep], y[keep]
print(f"class counts: {np.bincount(y).tolist()}")

pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        ("gan", GANAugmenter(max_steps=MAX_STEPS, random_state=0)),
        ("model", LogisticRegression(max_iter=2000)),
    ]
)
search = GridSearchCV(
    pipeline,
    param_grid={
        # how far to balance: to 50% or 100% of the majority class
        "gan__sampling_strategy": [0.5, 1.0],
        "model__C": [0.1, 1.0],
    },
    scoring="balanced_accuracy",
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
)
search.fit(X, y)
print(f"best: {search.best_params_}, balanced accuracy {search.best_score_:.3f}")
