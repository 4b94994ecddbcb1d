"""Find the noisy relations between continuous columns, and keep them in synthetic rows.

Five kinds (each with ``target``, ``factors`` and ``residual``; a total moves all its parts):

- :class:`~.monotone.Monotone`: an exact monotone function, ``t = f(a)`` (a log and its value);
- :class:`~.products.Product`: a power law, ``log t = b0 + b1 log a (+ b2 log b)``;
- :class:`~.additive.Additive`: a sum of piecewise-linear curves in one or two columns;
- :class:`~.products.Share`: an order ``a <= b`` kept as the share of the room below ``b``;
- :class:`~.totals.Total`: parts of a whole, columns whose sum barely varies (oxides' percentages).

:func:`find_relations` finds them on the training rows, exact functions first,
then products (a product is also near-additive over part of its range, and the
power law is the better description), then additive relations among the columns left, then
totals among the columns still left, then the shares of the lone orders among the rules.
:func:`find_class_relations` adds the relations that hold within one class only, among the
columns the pooled relations leave free. :class:`RelationMatcher` recomputes each target in
synthetic rows, per class, from its generated factors.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from .additive import Additive, find_additive
from .marginals import QuantileMatcher
from .monotone import Monotone, find_monotone
from .products import Product, Share, find_products, find_shares, underived
from .rule_kinds import Rule
from .totals import Total, find_totals

__all__ = ["Relation", "RelationMatcher", "find_class_relations", "find_relations"]

Relation = Monotone | Product | Additive | Share | Total


def _from_config(config: dict) -> Relation:
    kind = config.get("kind")
    if kind == "share":
        return Share(int(config["target"]), int(config["factor"]), float(config["lowest"]))
    if kind == "additive":
        return Additive.from_config(config)
    if kind == "monotone":
        return Monotone.from_config(config)
    if kind == "total":
        return Total.from_config(config)
    return Product(int(config["target"]), tuple(config["factors"]), tuple(config["coef"]))


def find_relations(
    values: np.ndarray, names: Sequence[Hashable], rules: Sequence[Rule], shares: bool = True
) -> list[Relation]:
    """The exact monotone functions, products, additive relations and totals among
    columns no rule derives, then (with ``shares``) the shares of the orders in ``rules``.

    ``values`` are the real continuous columns, named by ``names``. No target
    is another relation's target or factor.
    """
    free = underived(names, rules)
    exact = find_monotone(values, free)
    for m in exact:  # neither column of an exact function is another relation's
        free[[m.target, m.factor]] = False
    products = find_products(values, free)
    in_products = np.zeros(len(names), dtype=bool)
    product_targets = np.zeros(len(names), dtype=bool)
    for p in products:
        in_products[[p.target, *p.factors]] = True
        product_targets[p.target] = True
    additive = find_additive(values, free & ~in_products, free & ~product_targets)
    used = np.zeros(len(names), dtype=bool)
    for r in [*exact, *products, *additive]:
        used[[r.target, *r.factors]] = True
    taken = [*exact, *products, *additive, *find_totals(values, free & ~used)]
    return [*taken, *find_shares(values, names, rules, taken)] if shares else taken


def find_class_relations(
    values: np.ndarray, y: np.ndarray, names: Sequence[Hashable], rules: Sequence[Rule]
) -> tuple[list[Relation], list[tuple[int, ...] | None]]:
    """The relations of :func:`find_relations` on all rows, then those of each class.

    A relation can hold in one class and not in the pooled rows: on the credit
    card table (``benchmarks/real_tables.py``), ``share`` is ``0.0012 / income``
    in the rows without a card (whose ``expenditure`` is 0) and about ``12 *
    expenditure / income / 10000`` in the others, so the pooled rows hold no
    product, and the generator left share and income loosely tied in the class
    without a card. Each class's rows are searched again, among the
    columns that no pooled relation uses and no rule derives (the pooled
    relations come first, so a class relation never rebuilds one of their
    columns); order shares are pooled only (the rules are the whole table's).

    Returns
    -------
    relations : list of Monotone, Product, Additive, Share or Total
    classes : list
        Per relation, the class indices whose rows it holds in (a tuple of
        one), or None for a pooled relation (every class).
    """
    pooled = [
        r.within_classes(values, y) if isinstance(r, Total) else r
        for r in find_relations(values, names, rules)
    ]
    used = {c for r in pooled for c in (r.target, *r.factors)}
    relations, classes = list(pooled), [None] * len(pooled)
    for k in np.unique(y):
        for r in find_relations(values[y == k], names, rules, shares=False):
            if used.isdisjoint((r.target, *r.factors)):
                relations.append(r)
                classes.append((int(k),))
    return relations, classes


class RelationMatcher:
    """Recompute each relation's target in synthetic rows, per class, from its factors.

    Parameters
    ----------
    relations : list of Monotone, Product, Additive, Share or Total
        Among the relations of one class (pooled ones and its own), no target is
        another relation's target or factor.
    classes : list, optional
        Per relation, the class indices whose rows it rebuilds, or None for all
        (see :func:`find_class_relations`); all of them when not given.
    """

    def __init__(
        self,
        relations: Sequence[Relation],
        classes: Sequence[tuple[int, ...] | None] | None = None,
    ) -> None:
        self.relations = list(relations)
        self.classes = list(classes) if classes is not None else [None] * len(self.relations)
        # point masses of residuals are read per class: see QuantileMatcher's pooled_atoms
        self.residuals = QuantileMatcher(pooled_atoms=False)

    def __len__(self) -> int:
        return len(self.relations)

    def tied(self) -> set[int]:
        """Columns a relation other than an order share ties to other columns.

        Moving one of them on its own moves the row off its relation. Order
        shares are left out: the rule repair of a broken order draws the lower
        column below the upper one, which is what a share does anyway.
        """
        kept = [r for r in self.relations if not isinstance(r, Share)]
        return {c for r in kept for c in (r.target, *r.factors)}

    def _residuals(self, values: np.ndarray) -> np.ndarray:
        return np.column_stack([p.residual(values) for p in self.relations])

    def fit(
        self,
        real: np.ndarray,
        real_y: np.ndarray,
        synthetic: np.ndarray,
        synthetic_y: np.ndarray,
        n_classes: int,
    ) -> RelationMatcher:
        """Map each class's synthetic residuals onto its real ones.

        ``synthetic`` is a reference sample as it leaves the column maps.
        """
        self.residuals.fit(
            self._residuals(real), real_y, self._residuals(synthetic), synthetic_y, n_classes
        )
        return self

    def apply(self, values: np.ndarray, y: np.ndarray, ties: np.ndarray) -> np.ndarray:
        """``values`` with every target recomputed; a row whose relation is undefined (a
        missing value, a product's value not positive, a share's bound not above its
        lowest value), of a class too small to map, or of a class the relation does
        not hold in, keeps its own. (A total is kept within the real totals' range
        even in a class too small to map: see :meth:`Total.rebalance`.)

        ``ties`` are uniform draws of shape ``(n, len(relations))`` (see
        :meth:`QuantileMatcher.apply`).
        """
        out = np.array(values, dtype=np.float64, copy=True)
        if not self.relations or len(out) == 0:
            return out
        before = self._residuals(out)
        mapped = self.residuals.apply(before, y, ties)
        for i, p in enumerate(self.relations):
            if isinstance(p, Share):  # drawn afresh, see Share
                drawn = self.residuals.real_quantiles(ties[:, i], y, i)
                mapped[:, i] = np.where(np.isnan(drawn), mapped[:, i], drawn)
            rows = ~np.isnan(before[:, i])
            if self.classes[i] is not None:
                rows &= np.isin(y, self.classes[i])
            if isinstance(p, Total):  # its parts move together, see Total
                unmapped = np.isnan(self.residuals.real_[y, i, 0])  # classes too small
                p.rebalance(out, np.where(unmapped, np.nan, mapped[:, i]), rows, ties[:, i])
                continue
            new = p.rebuild(out, mapped[:, i])
            usable = rows & np.isfinite(new)
            out[usable, p.target] = new[usable]
        return out

    def get_state(self) -> tuple[list[dict], dict[str, np.ndarray]]:
        """The relations as JSON-able values, and the residual quantiles."""
        arrays = {}
        if self.relations:
            arrays = {"synthetic": self.residuals.synthetic_, "real": self.residuals.real_}
        configs = [
            p.to_config() if k is None else {**p.to_config(), "classes": list(k)}
            for p, k in zip(self.relations, self.classes)
        ]
        return configs, arrays

    @classmethod
    def from_state(cls, configs: list[dict], arrays: dict[str, np.ndarray]) -> RelationMatcher:
        # a relation saved without "classes" (pooled, or written before them) holds in all
        classes = [tuple(c["classes"]) if "classes" in c else None for c in configs]
        matcher = cls([_from_config(c) for c in configs], classes)
        if matcher.relations:
            matcher.residuals = QuantileMatcher.from_arrays(arrays["synthetic"], arrays["real"])
        return matcher
