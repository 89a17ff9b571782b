"""The chain rule, as syntax nodes.

Owns: each node's local rule (`chain`), simplification (`simplify`), the outputs paired
with their cross-entropy (`pairing`), the reverse walk over a model's equations (`walk`)
and derivations of named gradients (`derive`), returned as nodes; text only for showing.
May import: the base, `functions`, language/, `shapes`, models/, numeric/.
"""
