"""The syntax layer: source text to AST. The only place Lark is imported."""

from .parser import ParseResult, SyntaxIssue, grammar_hash, parse

__all__ = ["parse", "ParseResult", "SyntaxIssue", "grammar_hash"]
