"""Text → syntax nodes: parsing (grammar, prebuilt tables, one Transformer), slide/LaTeX notation read into canonical nodes, printing as numpy and LaTeX.

Imports only the base (syntax, errors, functions).
"""
