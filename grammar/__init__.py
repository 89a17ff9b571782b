"""The lark grammar files of the formula language (shipped inside the package)."""
