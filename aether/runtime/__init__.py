"""The Aether runtime: compile a checked module to closures and run it in a sandbox.

Entry points live in :mod:`aether.runtime.api` (``run_source``, ``run_file``). The runtime
reads the AST (:mod:`aether.ast`) and the builtin catalogue; it never imports the parser
generator or the CLI.
"""
