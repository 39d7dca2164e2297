"""One module per static check; each holds a `@static_check` function and its VALID/INVALID snippets.

Adding a check is adding a module here and its rule file in `rules/`; there
is no table to edit.
"""
