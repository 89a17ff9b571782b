"""Numbers: evaluation of nodes with numpy (a leading stack axis), structured perturbations, the finite-difference truth.

Imports the base, language, shapes and models.
"""
