"""What happens after the generator: steps that choose or adjust synthetic rows.

Modules here take values (encoded rows, class indices, random generators) and
return values; they never import the estimator. :mod:`ganaug.sampling.realism`
keeps, from a larger pool of synthetic rows, those that a classifier of real
against synthetic rows finds most realistic. :mod:`ganaug.sampling.rules`
says what a table's rules are (implications, derivations, orders) and which
rows break them; ``rule_discovery`` finds them in training data (its exact
formulas in ``rule_derivations``),
``rule_checks`` checks the user's before training, and ``rule_repair`` makes
every synthetic row keep them.
"""
