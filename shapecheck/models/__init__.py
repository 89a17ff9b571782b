"""Models and binding: the naming convention (the only place that knows W{l}, dZ, A_prev), forward models, the built-in network.

Imports the base, language and shapes.
"""
