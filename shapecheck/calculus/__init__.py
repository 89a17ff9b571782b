"""The chain rule: local rules per node, simplification, derivation of gradients as syntax nodes.

Imports the base, language, shapes, models and numeric.
"""
