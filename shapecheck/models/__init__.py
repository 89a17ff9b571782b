"""Models and binding: which model, which layer, which names mean what.

Owns: the naming convention (`names`: `W{l}`, `dZ`, `A_prev`, `g{l}`, the examples' size;
the only code that knows it, with `binding`), forward models built from syntax nodes
(`model`), and the binding of a formula's names to one (`binding`, which also builds the
course's network as nodes), and the names of constant factors in sizes (`factors`: `m`,
`1/m`, `n1`), shared by the verdict's diagnosis and the repairs.
May import: the base, `functions`, language/, `shapes`.
"""
