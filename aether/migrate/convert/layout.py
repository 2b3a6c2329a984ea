"""Rows and layout: source lines copied byte for byte, comments, the file's indentation.

A statement whose new form has the same tokens as its source keeps its lines
(:meth:`Layout.rows_for`, :meth:`Layout.header_rows`); :func:`_layout` joins the rows,
keeping the file's indentation when it is consistent and re-indenting it otherwise.

Rules: M026 comments, M027 whitespace.
"""

from __future__ import annotations

from typing import Optional

from .. import ir
from ..tokens import LexError, tokenize
from .context import Row, _Ctx


# what the legacy tokenizer skips between tokens, but for line ends
_BLANKS = " \t\f\v"


def _is_comment_row(r: Row) -> bool:
    return r.text.lstrip().startswith("#")


def _insert_after_header(ctx: _Ctx, rows: list[Row], new: list[Row]) -> list[Row]:
    """Insert ``new`` after the file's leading comment block (and its blank line)."""
    i = 0
    while i < len(rows) and _is_comment_row(rows[i]) and rows[i].depth == 0:
        i += 1
    for r in new:
        r.first = True
        r.origin = rows[i].origin if i < len(rows) else (rows[-1].origin if rows else 1)
    return rows[:i] + new + rows[i:]


def _indent_step(src: list[str]) -> int:
    """The file's usual indentation step (most common increase between code lines)."""
    # a plain dict: a Counter's missing-key call per increase was most of the time here
    steps: dict[int, int] = {}
    prev = 0
    for line in src:
        body = line.lstrip()
        if not body or body.startswith(("#", "//")):
            continue
        width = len(line) - len(body)
        if width > prev:
            steps[width - prev] = steps.get(width - prev, 0) + 1
        prev = width
    # max keeps the first of equal counts, as Counter.most_common(1) did
    return max(steps.items(), key=_count)[0] if steps else 4


def _count(item: tuple[int, int]) -> int:
    return item[1]


def _layout(ctx: _Ctx, rows: list[Row]) -> tuple[str, list[int]]:
    """Join rows into text: original indentation when consistent, else 4 per level."""
    # This ran once or twice per migration over every row (an eighth of a check of the
    # file): each row's work is the least its outcome needs (a tab looked for only in a
    # line that has one, the lead of a copied line measured only when re-indenting).
    src = ctx.src
    widths: dict[float, set[int]] = {}
    for r in rows:
        if r.verbatim is not None and r.first:
            line = src[r.verbatim - 1]
            seen = widths.get(r.depth)
            if seen is None:
                seen = widths[r.depth] = set()
            seen.add(len(line) - len(line.lstrip(" ")))
            if "\t" in line and "\t" in line[:len(line) - len(line.lstrip())]:
                seen.add(-1)
    keep = bool(widths) and all(len(v) == 1 and -1 not in v for v in widths.values())
    if keep:
        mapping = {d: next(iter(v)) for d, v in widths.items()}
        ordered = sorted(mapping)
        keep = mapping.get(0, 0) == 0 and all(
            mapping[a] < mapping[b] for a, b in zip(ordered, ordered[1:])) and not any(
            r.verbatim is None and r.depth not in mapping for r in rows)
        levels = [d for d in ordered if d == int(d) and d]
        if keep and levels:
            # the file's step (a pass over all its lines) only when all else keeps it
            step = _indent_step(src)
            keep = all(mapping[d] == int(d * step) for d in levels)
    if not keep:
        mapping = {}
    out: list[str] = []
    origins: list[int] = []
    append = out.append
    last_src = 0
    base_of_stmt: dict[int, int] = {}
    for r in rows:
        verbatim = r.verbatim
        # blank source lines between statements survive
        if verbatim is not None or r.first:
            anchor = verbatim if verbatim is not None else r.origin
            if anchor > last_src + 1 and out:
                blank = next((n for n in range(last_src + 1, anchor)
                              if not src[n - 1].strip()), None)
                if blank is not None and out[-1] != "":
                    append("")
                    origins.append(blank)
            if anchor > last_src:
                last_src = anchor
        if verbatim is not None:
            original = src[verbatim - 1]
            line = original.rstrip()
            if line != original or "\t" in original and \
                    "\t" in original[:len(original) - len(original.lstrip())]:
                ctx.hit("M027", verbatim)
            if keep:
                # the copied line as it is (its lead is read only when re-indenting)
                append(line)
            else:
                indent = int(4 * r.depth)
                lead = len(line) - len(line.lstrip())
                if r.first:
                    base_of_stmt[r.origin] = lead
                    append(" " * indent + line.lstrip())
                else:
                    first_lead = base_of_stmt.get(r.origin, lead)
                    extra = max(0, lead - first_lead) if line.strip() else 0
                    if _is_comment_row(r) and r.origin == verbatim:
                        append(" " * indent + line.lstrip())
                    else:
                        append(" " * (indent + extra) + line.lstrip())
            origins.append(verbatim)
            continue
        indent = mapping.get(r.depth, int(4 * r.depth)) if keep else int(4 * r.depth)
        text = r.text
        if "\n" not in text:
            append((" " * indent + text) if text.strip() else "")
            origins.append(r.origin)
            continue
        for part in text.split("\n"):
            append((" " * indent + part) if part.strip() else "")
            origins.append(r.origin)
    while out and not out[-1].strip():
        out.pop()
        origins.pop()
    text = "\n".join(out) + "\n" if out else ""
    return text, origins


class Layout:
    """Rows of :class:`~.converter.Converter`: verbatim copies, comments, closers."""

    def comment_row(self, c: ir.Comment, depth: float) -> Row:
        text = c.text
        if text.startswith("//"):
            self.ctx.hit("M026", c.first)
            text = "#" + text[2:]
            # anchored at its own line (``first``), as a copied comment is: the blank lines
            # before it stay before it, not between it and the statement it is about
            return Row(depth, text, c.first, None, True)
        src = self.ctx.src[c.first - 1] if 0 < c.first <= len(self.ctx.src) else ""
        body = src.lstrip()
        if not body.startswith(text) or "\t" in src[:len(src) - len(body)]:
            # the comment ends a line whose code went elsewhere (`}  # note` after a brace
            # block): copying that line would copy the `}` too; or it is indented with a
            # tab, which a copy would keep and M027 replace on a second run (not idempotent)
            return Row(depth, text, c.first, None, True)
        return Row(depth, text, c.first, c.first, False)

    def place_inner_comments(self, s: ir.Simple, rows: list[Row],
                             comments: list) -> Optional[list[Row]]:
        """``rows`` (the command ``s`` converted) with each of ``comments``, met inside
        its brackets, at the end of the line of its call that ends as the comment's source
        line did (``a: 5000,  # five seconds`` inside ``setup(config={ ... })``); None
        when a comment has no such line (one line alone, an own-line comment, code that
        changed): the comments then go before the statement."""
        mine = [k for k, r in enumerate(rows) if r.origin == s.first and r.verbatim is None
                and "\n" in r.text]
        if not mine:
            return None
        at = mine[-1]
        lines = rows[at].text.split("\n")
        code: list[list[str]] = []
        for line in lines:
            try:
                code.append([t.text for t in tokenize(line)
                             if t.kind not in ("NL", "COMMENT", "EOF")])
            except LexError:
                code.append([])
        # the lines not yet given a comment, in a trie of their code tokens read from the
        # end (the key None of a node lists the lines that end there): a comment's line is
        # one whose tokens end its source line, found by walking that line's tokens back
        # once. (Testing every line per comment was quadratic; looking up each ending of
        # the source line by a slice of it, T^1.5 for lines of many lengths.)
        trie: dict = {}
        # not the last line: a comment there would end the statement, outside brackets
        for k in range(len(lines) - 1):
            if code[k]:
                node = trie
                for text in reversed(code[k]):
                    node = node.setdefault(text, {})
                node.setdefault(None, []).append(k)
        for c in comments:
            found: list[int] = []
            home: list[int] = found  # the list of the one line found
            node = trie
            for t in reversed(self.ctx.code_by_line.get(c.first, ())):
                node = node.get(t.text)
                if node is None:
                    break
                ends = node.get(None)
                if ends:
                    found += ends
                    home = ends
                    if len(found) > 1:
                        return None
            if len(found) != 1:
                return None
            k = found[0]
            home.remove(k)
            lines[k] += self.trailing(c.text, c.first)
        new = list(rows)
        old = rows[at]
        new[at] = Row(old.depth, "\n".join(lines), old.origin, old.verbatim, old.first)
        return new

    def trailing(self, text: Optional[str], line: int) -> str:
        if not text:
            return ""
        if text.startswith("//"):
            self.ctx.hit("M026", line)
            text = "#" + text[2:]
        return "  " + text

    def same_tokens(self, first: int, last: int, new_text: str) -> bool:
        """Whether source lines first..last (tokens, comments aside) equal ``new_text``."""
        # read in place (not the copy ctx.tokens makes: it is only read here)
        src = self.ctx.code_by_line.get(first, ()) if first == last else \
            self.ctx.tokens(first, last)
        old = self.ctx.text[src[0].start:src[-1].end] if src else ""
        if src and new_text == old:
            # the source's own characters, from the first token of its first line to its
            # last token: tokenized alone they give the same tokens (nothing after the
            # last one is read: a line end, a space or a comment follows it)
            return True
        if "#" not in new_text and "//" not in new_text:
            # Equal tokens would make the same characters but for whitespace (with no
            # comment in the new text): most printed statements differ there, and
            # tokenizing each of them was a twentieth of a migration. Without a comment
            # in the source's characters either, its tokens are those characters but for
            # the blanks (joining the tokens' texts cost more than the comparison).
            chars = old if "#" not in old and "//" not in old else \
                "".join(t.text for t in src)
            if "".join(chars.split()) != "".join(new_text.split()):
                return False
        if src:
            new_lines = new_text.split("\n")
            old_lines = old.split("\n")
            if len(new_lines) == len(old_lines) and all(
                    a.lstrip(_BLANKS) == b.lstrip(_BLANKS)
                    for a, b in zip(new_lines, old_lines)):
                # the same lines but for the blanks that open them (a re-indented list
                # or map, nine in ten of the statements that get this far): a token never
                # spans lines and the blanks before a line's first token change nothing
                # but its column, so they give the same tokens; tokenizing them again was
                # most of the time spent here
                return True
        try:
            new = [t for t in tokenize(new_text) if t.kind not in ("NL", "COMMENT", "EOF")]
        except LexError:
            return False
        return [(t.kind, t.text) for t in src] == [(t.kind, t.text) for t in new]

    def slash_comments(self, first: int, last: int) -> bool:
        slash = self.ctx.slash_lines
        return bool(slash) and any(n in slash for n in range(first, last + 1))

    def rows_for(self, s: ir.Stmt, depth: float, text: str, trailing: Optional[str] = None,
                 first: Optional[int] = None, last: Optional[int] = None) -> list[Row]:
        """Rows for a statement printed as ``text``: the source lines when equal."""
        if s.synthetic:
            return [Row(depth, text + self.trailing(trailing, s.first), s.first)]
        first = s.first if first is None else first
        last = s.last if last is None else last
        slash = self.ctx.slash_lines and self.slash_comments(first, last)
        if not slash and self.same_tokens(first, last, text):
            src = self.ctx.src
            if first == last:  # most statements are one line
                return [Row(depth, src[first - 1].rstrip(), s.first, first, True)]
            rows = []
            for number in range(first, last + 1):
                line = src[number - 1]
                if not line.strip() and number != first:
                    continue
                rows.append(Row(depth, line.rstrip(), s.first, number, number == first))
            return rows
        return [Row(depth, text + self.trailing(trailing, s.first), s.first)]

    def header_rows(self, b: ir.Block, depth: float, text: str) -> list[Row]:
        """The header line: the source line when its tokens are the same as ``text``."""
        first, last = b.first, b.head_last
        if b.style in ("colon",) and not b.synthetic and not self.slash_comments(
                first, last) and self.same_tokens(first, last, text):
            rows = []
            for number in range(first, last + 1):
                line = self.ctx.src[number - 1]
                rows.append(Row(depth, line.rstrip(), b.first, number, number == first))
            return rows
        return [Row(depth, text + self.trailing(b.trailing, b.first), b.first)]

    def body_rows(self, body: list, depth: float, section, in_fn, line: int,
                  allow_empty_fn: bool = False) -> list[Row]:
        rows = self.block(body, depth, section, in_fn)
        # a first row that is not a comment (copied or printed alike); a row's first
        # flag is read before its text, as this runs again at each enclosing block
        if not any(r.first and not _is_comment_row(r) for r in rows):
            if allow_empty_fn:
                rows.append(Row(depth, "return", line))
            else:
                raise ir.Unconvertible("this block is empty (Aether 1.2 blocks need a "
                                       "statement)", line)
        return rows

    def closer(self, b: ir.Block, depth: float) -> list[Row]:
        rows = []
        for c in b.closer_comments:
            text = c if not c.startswith("//") else "#" + c[2:]
            rows.append(Row(depth, text, b.last))
        return rows

    def else_row(self, b: ir.Block, depth: float, text: str, line: int, trailing) -> Row:
        src = self.ctx.src[line - 1] if line else ""
        if src.strip() == text and not trailing:
            return Row(depth, src.rstrip(), line, line)
        if trailing and src.strip().startswith(text) and trailing.startswith("#") and \
                self.same_tokens(line, line, text):
            return Row(depth, src.rstrip(), line, line)
        return Row(depth, text + self.trailing(trailing, line), line)
