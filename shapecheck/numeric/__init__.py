"""Numbers: the finite-difference truth.

Owns: evaluation of nodes with numpy, any value with a leading stack axis (`evaluate`),
structured perturbations (`structured`), step sizes and the margins of a draw from kinks
and domain edges (`margins`), central differences and their methods (`differences`), a
true gradient and a claim projected to be compared with it (`gradient`), numbers kept for
every binding of the activations (`memo`), and the draws of a model's inputs (`truth`).
May import: the base, `functions`, language/, `shapes`, models/.
"""
