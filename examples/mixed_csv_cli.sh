#!/usr/bin/env sh
# A mixed-type CSV (numbers, categories, missing values) balanced from the command line.
#   sh examples/mixed_csv_cli.sh
set -e
STEPS="${MAX_STEPS:-200}"
cd "$(mktemp -d)"

python - <<'PY'
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
n = 400
churn = rng.random(n) < 0.1
pd.DataFrame({
    "age": rng.integers(18, 80, n),
    "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1]),
    "monthly_spend": np.round(rng.gamma(2.0, 20.0, n) + 30 * churn, 2),
    "support_calls": np.where(rng.random(n) < 0.05, np.nan, rng.poisson(1 + 3 * churn)),
    "churned": np.where(churn, "yes", "no"),
}).to_csv("customers.csv", index=False)
PY

# 1. balance in one go: originals first, then synthetic rows; also keep the model
ganaug balance customers.csv --target churned -o balanced.csv --max-steps "$STEPS" --save-model churn.ganaug
python -c "import pandas as pd; print(pd.read_csv('balanced.csv').churned.value_counts())"

# 2. or draw more rows later from the saved model (no retraining)
ganaug sample churn.ganaug -n 100 --class yes -o more_churners.csv --target churned
head -5 more_churners.csv
echo "outputs in $(pwd)"
