"""`aether tools`: list and show the catalogue, infer a project's tools, capability manifests.

The library half of the command (the CLI in ``aether/cli/tools.py`` only parses options and
prints): :mod:`.listing`, :mod:`.infer` and :mod:`.manifest`.
"""
