"""Semantic checks over the AST (LANGUAGE.md section 4), driven by the builtin catalogue."""
