"""Advice for a failing formula: hints, verified repairs, explanations.

Owns: the edits of a formula (`edits`), the shape hint (`hints`), the search for the
smallest verified repair (`repair`, given a `verify(text) -> Result` to call) and
--explain (`explain`). The session calls advice after check; advice never calls back up.
May import: everything below the check stage and `result`; never `check`, `session`.
"""
