"""Text → syntax nodes, and nodes → text for the user.

Owns: the grammar's prebuilt tables (`tables`), the one Transformer (`parse`, with the
slide/LaTeX names in `notation`), the checks of what was read (`validate`), the words for a
formula the grammar rejects (`diagnose`), spellings brought to one canonical tree
(`meaning`), and printing as numpy (`printer`) and LaTeX (`latex`).
May import: `syntax`, `errors`, `result`, `functions`. Never models/ or anything above.
"""
