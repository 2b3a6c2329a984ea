"""Migrate one text or one file, never making it worse, and say exactly what happened.

:func:`migrate_text` converts a legacy text (:mod:`.convert`) and then checks the result
with the project's own checker: the new text must parse as Aether 1.2 (no PARSE_ERROR
finding, legacy rules included) and must not have more validation findings on the code
the checker could read before. Code it could not read (lines that were syntax errors, or
a whole brace/YAML-dialect file) is checked for the first time after migration; what the
validator then says there is reported as *newly visible*, not as a regression. When the
test fails the file is left untouched and the outcome names the line and the reason.

:func:`migrate_file` adds reading (any bad input is a *skipped* outcome with the reason),
the unified diff, and with ``apply`` the atomic rewrite (:mod:`aether.fileio`).
Fingerprints of findings that survive the migration are mapped old -> new so baselines
and suppression lists can follow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

from ..outofmemory import describe
from .rules import RULES, RuleSelection

__all__ = ["MigrateOptions", "Outcome", "migrate_text", "migrate_file", "STATES"]

STATES = ("transformed", "unchanged", "skipped", "failed")


@dataclass(frozen=True)
class MigrateOptions:
    """``selection``: the rules that may run; ``apply``: rewrite files; ``want_diff``:
    compute the unified diff; ``max_file_size``: larger files are skipped."""

    selection: RuleSelection = field(default_factory=RuleSelection)
    apply: bool = False
    want_diff: bool = True
    max_file_size: Optional[int] = None
    # the project's merged catalogue (None: builtins alone): before/after checks use it
    catalogue: Optional[object] = None
    # the project root: fingerprints name a file relative to it, as `aether check` and
    # `aether baseline` do (None: as shown), so the remap matches their baselines
    root: Optional[str] = None


@dataclass
class Outcome:
    """What happened to one file (``state`` is one of STATES)."""

    path: str
    state: str
    reason: str = ""
    line: Optional[int] = None
    rules: dict[str, int] = field(default_factory=dict)
    review: list[tuple[int, str]] = field(default_factory=list)
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    newly_visible: int = 0
    fingerprint_remap: dict[str, str] = field(default_factory=dict)
    legacy_fingerprint_remap: dict[str, str] = field(default_factory=dict)
    resolved: list[str] = field(default_factory=list)
    diff: str = ""
    text: Optional[str] = None  # the migrated text (not serialised)
    written: bool = False

    @property
    def code(self) -> int:
        """Status code of the outcome: 0, 20 (failed: still legacy), 26 (skipped: IO)."""
        return {"skipped": 26, "failed": 20}.get(self.state, 0)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("text", None)
        data.pop("diff", None)
        data["rules"] = [{"id": r, "name": RULES[r].name, "line": line}
                         for r, line in sorted(self.rules.items())]
        data["review"] = [{"line": line, "message": m} for line, m in self.review]
        return data


def _counts(result) -> dict[str, int]:
    return _finding_counts(result.findings)


def _finding_counts(findings: list) -> dict[str, int]:
    from ..codes import Status

    # each finding's status looked up once (a property: the rule table), not once a count
    statuses = [f.status for f in findings]
    return {"parse_errors": statuses.count(Status.PARSE_ERROR),
            "validation_findings": statuses.count(Status.VALIDATION_ERROR)}


def _invisible_lines(text: str, before) -> tuple[set[int], bool]:
    """Lines the checker could not read before; and whether that was the whole file (then
    no line is listed: every line was hidden).

    Taken from the findings of the check before migration: each syntax or legacy error
    hides its statement and the block indented under it (as the parser's error recovery
    masks them), and so does an unknown section; a brace- or YAML-dialect file, or one with so many errors that the
    parser gave up, hides everything.
    """
    from ..codes import Status
    from ..syntax.parser import MAX_ERRORS

    # an unknown section (AE315) is reported, its body never validated: what the
    # migration makes of it (M035's `fn`) is newly visible too
    # (a line before the first is none the checker gives; one read from a forged result
    # cache must not index from the end)
    errors = [f for f in before.findings if (f.status == Status.PARSE_ERROR or
                                             f.rule == "AE315") and f.line and f.line > 0]
    whole = any(f.rule in ("AE209", "AE210") for f in before.findings) or \
        len(errors) >= MAX_ERRORS
    if whole:
        # the walk would list (nearly) every line for nothing: most legacy files of the
        # corpus are brace-dialect files, and it was a hundredth of their migration
        return set(), True
    # In line order (the checker's own): a block already hidden is never walked again, so
    # the walks are disjoint and linear in the file. In the order of a forged result cache
    # (last line first, each a comment line that the next one's walk crosses) they were
    # quadratic, and the lines hidden depended on that order.
    errors.sort(key=lambda f: f.line)
    lines = text.split("\n")
    hidden: set[int] = set()
    for f in errors:
        start = f.line
        if start in hidden or start > len(lines):
            hidden.add(start)
            continue
        head = lines[start - 1]
        indent = len(head) - len(head.lstrip(" \t"))
        hidden.add(start)
        n = start
        while n < len(lines):
            body = lines[n]
            stripped = body.strip()
            if stripped and not stripped.startswith("#") and \
                    len(body) - len(body.lstrip(" \t")) <= indent:
                break
            n += 1
            hidden.add(n)
    return hidden, whole


def _whitespace_only(text: str) -> str:
    """M027 on a file that needs nothing else: trailing whitespace, tab indentation."""
    from ..fmt import expand_indent_tabs, strip_trailing

    # Line by line: the pattern `[ \t\f\v]+$` (re.M) tried again from each blank of a run
    # not at a line's end, so a line of n blanks before a token cost n**2 / 2.
    out = strip_trailing(expand_indent_tabs(text))
    if out and not out.endswith("\n"):
        out += "\n"
    return out


def check_options(catalogue=None, root: Optional[str] = None,
                  max_file_size: Optional[int] = None):
    """The CheckOptions of the checks before and after a migration: every rule, inline
    suppressions on, as ``aether check`` with no select/ignore configured checks (so its
    result cache may answer for the check before, see :func:`migrate_file`)."""
    from ..checker import CheckOptions
    from ..source import DEFAULT_MAX_FILE_SIZE

    return CheckOptions(catalogue=catalogue, root=root,
                        max_file_size=max_file_size or DEFAULT_MAX_FILE_SIZE)


def migrate_text(text: str, path: str = "<text>",
                 selection: RuleSelection = RuleSelection(), catalogue=None,
                 root: Optional[str] = None, before=None,
                 checked: Optional[dict] = None, *,
                 keep: Optional[tuple] = None) -> Outcome:
    """Migrate decoded, newline-normalised ``text`` (shown as ``path``) checking against
    ``catalogue`` (None: the builtins), fingerprints relative to ``root``; never raises.

    ``before``: the FileResult ``check_text`` gives for ``text`` with
    :func:`check_options` (a result cache's entry), used instead of checking it again.
    ``checked``: a dict that receives the results computed here, ``"before"`` (of
    ``text``) and ``"after"`` (of the migrated text), for a result cache: with their
    did-you-mean hints, as ``check_text`` gives them. ``keep``: which of the two the
    caller keeps (None: both); only those have their hints searched (no outcome field
    holds a hint: the searches were a twelfth of a migration after a check), and without
    ``checked`` none. The check after that is not kept is not made whole: its findings
    are neither located nor fingerprinted but the few the outcome pairs (``"after"`` is
    then not given)."""
    from ..semantics.validator import memo_validations
    from ..syntax.parser import memo_parses

    if checked is None:
        checked, keep = {}, ()
    elif keep is None:
        keep = _KEEP_BOTH
    # the stages parse and validate the same texts again: each done once
    with memo_parses(), memo_validations():
        return _migrate_text(text, path, selection, check_options(catalogue, root),
                             before, checked, keep)


_KEEP_BOTH = ("before", "after")


def _migrate_text(text: str, path: str, selection: RuleSelection, check, known,
                  checked: dict, keep: tuple = _KEEP_BOTH) -> Outcome:
    from ..checker import check_text
    from .convert import convert
    from .ir import Unconvertible

    from ..syntax.legacy import scan_legacy

    def check_before(hits):
        if known is not None:
            return known
        checked["before"] = result = check_text(text, path, check, legacy=hits,
                                                hints="before" in keep)
        return result

    # the legacy scan of the text, once: it tells a clean file, and the check before
    # migration reports it (its result with or without `parses` is the same). A check
    # before that has a syntax error or a legacy construct tells the file is not clean
    # already: the scan (a twentieth of a migration) is then left to the check before,
    # should it be made here after all (None: check_text scans the text itself).
    hits = None if known is not None and _not_clean(known) else scan_legacy(text)
    if hits is not None and not hits and _clean(text):
        # Aether 1.2 already: at most whitespace to tidy (the cheap path, no validation)
        new = _whitespace_only(text)
        if new == text or not selection.allows("M027"):
            return Outcome(path, "unchanged")
        before = check_before(hits)
        out = Outcome(path, "unchanged", before=_counts(before))
        rules = {"M027": _first_diff_line(text, new)}
        return _finish(out, text, new, rules, [], [], selection, before, path, check,
                       checked, "after" in keep)
    before = check_before(hits)
    before_counts = _counts(before)
    out = Outcome(path, "unchanged", before=before_counts, after=dict(before_counts))
    try:
        conv = convert(text, name=_stem(path), hints="after" in keep)
    except Unconvertible as exc:
        out.state = "failed"
        out.line = exc.line
        out.reason = exc.reason
        return out
    except RecursionError:
        out.state = "failed"
        out.reason = "the file is nested too deeply to convert"
        return out
    if not conv.rules and conv.text != text and known is not None:
        # whether a rewrite no rule names is refused rests on the check before: taken
        # from the file itself, not a result cache (a forged entry with no syntax error
        # would let the converter's guess at a broken file be written, docs/security.md)
        known = None
        before = check_before(hits)
        out.before = _counts(before)
        out.after = dict(out.before)
    if not conv.rules and conv.text != text and out.before["parse_errors"]:
        # No rule fired, yet the text changed: the converter's lenient reading re-laid out
        # a file whose only problems are syntax errors (a dedent, a missing comma). That is
        # a guess at what was meant, with no rule to name in the report: left to the user.
        from ..codes import Status

        first = min((f for f in before.findings if f.status == Status.PARSE_ERROR),
                    key=lambda f: (f.line or 0, f.column or 0))
        out.state = "failed"
        out.line = first.line
        out.reason = (f"nothing to convert: {first.rule} {first.message} is a syntax error, "
                      "not a legacy construct; fix it by hand")
        return out
    return _finish(out, text, conv.text, conv.rules, conv.review, conv.origins, selection,
                   before, path, check, checked, "after" in keep, conv.validated)


def _not_clean(before) -> bool:
    """Whether the check ``before`` of a text shows it is not clean (:func:`_clean` false
    or a legacy construct in it): it holds a syntax error (the parser's: the text does not
    parse) or a legacy scan's finding. AE204 is left out: the validator reports it too, on
    a text that parses (in a config section, where :func:`_clean` allows it)."""
    from ..codes import Status

    return any(f.status == Status.PARSE_ERROR and f.rule != "AE204" for f in before.findings)


def _clean(text: str) -> bool:
    """Whether ``text``, in which the legacy scan found nothing, parses as Aether 1.2 with
    no ``name = value`` assignment outside the config sections."""
    from ..syntax import parse

    result = parse(text)
    return not result.errors and not _has_legacy_assignment(result.module.body)


def _has_legacy_assignment(body) -> bool:
    """Whether a ``name = value`` (AE204) stands outside meta/policy/require/plugin_contract:
    it parses, so only this walk tells such a file from canonical Aether 1.2."""
    from .. import ast as A
    from ..semantics.validator import CONFIG_SECTIONS

    stack = list(body)
    while stack:
        s = stack.pop()
        if isinstance(s, A.Assign):
            return True
        if isinstance(s, A.Section) and s.name in CONFIG_SECTIONS:
            continue
        stack.extend(c for c in A.iter_children(s) if isinstance(c, A.Stmt))
    return False


def _stem(path: str) -> Optional[str]:
    import os

    base = os.path.basename(path)
    stem = base[:-len(".aether")] if base.endswith(".aether") else base
    return stem if stem and not stem.startswith("<") else None


def _first_diff_line(a: str, b: str) -> int:
    for n, (x, y) in enumerate(zip(a.split("\n"), b.split("\n")), start=1):
        if x != y:
            return n
    return 1


def _finish(out: Outcome, text: str, new: str, rules: dict, review: list, origins: list,
            selection: RuleSelection, before, path: str, check=None,
            checked: Optional[dict] = None, hints: bool = True,
            validated: Optional[list] = None) -> Outcome:
    from ..checker import CheckOptions, check_findings, check_text, fingerprints_at
    from ..codes import Status

    if new == text:
        return out
    blocked = [r for r in sorted(rules) if not selection.allows(r)]
    if blocked:
        out.state = "failed"
        out.line = rules[blocked[0]]
        names = ", ".join(f"{r} {RULES[r].name}" for r in blocked)
        out.reason = f"needs rules that are not selected: {names}"
        out.rules = dict(rules)
        return out
    check = check or CheckOptions()
    # (`validated`: what the conversion showed of `new`: it is then not parsed)
    if hints:
        # kept (a result cache's entry, a caller's `checked`): check_text's own result
        after = check_text(new, path, check, hints=True, validated=validated)
        found = after.findings
        if checked is not None:
            checked["after"] = after
        fingerprints = None
    else:
        # not kept: the outcome reads the findings' rules, lines and messages, and the
        # fingerprints of the few paired with the file's (_remap); locating and
        # fingerprinting every finding was half of this check
        found = check_findings(new, check, hints=False, validated=validated)

        def fingerprints(wanted: list[int]) -> dict[int, tuple[str, str]]:
            return fingerprints_at(new, path, check, found, wanted)
    out.after = _finding_counts(found)
    out.rules = dict(rules)
    out.review = list(review)
    if not origins:
        origins = _identity_origins(text, new)
    parse_errors = [f for f in found if f.status == Status.PARSE_ERROR]
    if parse_errors:
        f = parse_errors[0]
        src = origins[f.line - 1] if f.line and f.line <= len(origins) else f.line
        out.state = "failed"
        out.line = src
        out.reason = (f"the converted text would not parse ({f.rule}: {f.message}, at line "
                      f"{f.line} of the result)")
        return out
    lost = _lost_comment(text, new)
    if lost is not None:
        # a safety net under M026's promise (the number of comments never changes): a
        # rule that has no place for a comment must not drop it in silence
        out.state = "failed"
        out.line = lost
        out.reason = ("the migration would drop the comment on this line (no rule has a "
                      "place for it); move it by hand")
        return out
    hidden, whole = _invisible_lines(text, before)
    # The checker does not report unbound names in a file with syntax errors (they would
    # be noise), so before migration that check never ran on such a file.
    before_unbound_withheld = out.before["parse_errors"] > 0
    visible_after = []
    newly = 0
    for f in found:
        if f.status != Status.VALIDATION_ERROR:
            continue
        src = origins[f.line - 1] if f.line and f.line <= len(origins) else None
        if whole or (src is not None and src in hidden) or (
                f.rule == "AE312" and before_counts_missing_goal(before)) or (
                f.rule == "AE302" and before_unbound_withheld):
            newly += 1
        else:
            visible_after.append(f)
    if len(visible_after) > out.before["validation_findings"]:
        old = {(g.rule, g.message) for g in before.findings}
        worse = next((f for f in visible_after if (f.rule, f.message) not in old),
                     visible_after[-1])
        out.state = "failed"
        out.line = origins[worse.line - 1] if worse.line and worse.line <= len(origins) else None
        out.reason = (f"the migration would add a validation finding: {worse.rule} "
                      f"{worse.message}")
        return out
    out.state = "transformed"
    out.text = new
    out.newly_visible = newly
    if text.startswith("# @signature:"):
        out.review.append((1, "the file was signed: its signature no longer matches; "
                              "sign it again"))
    _remap(out, before, found, origins, fingerprints)
    return out


def _lost_comment(text: str, new: str) -> Optional[int]:
    """The line of a comment of ``text`` that ``new`` (its migration) no longer holds, when
    ``new`` holds fewer comments; else None (also when either cannot be tokenized)."""
    from collections import Counter

    # Each comment of the original starts at a `#` or a `//` of its own, so it has no more
    # comments than those; each line of the migrated text whose first token is a `#` is
    # one of its comments. When the migration holds as many (nearly always, M026), neither
    # text is scanned (a scan of each was 0.09 of a check): the answer is None either way,
    # also when one of them would not tokenize.
    most = text.count("#") + text.count("//")
    if most <= _line_comments(new):
        return None
    got_list = _comments(new)
    if got_list is None:
        return None  # the legacy tokenizer would raise LexError on it
    if most <= len(got_list):
        return None
    old = _comments(text)
    if old is None:
        return None  # the legacy tokenizer would raise LexError on it
    if len(old) <= len(got_list):
        return None
    got = Counter(_comment_words(c) for _line, c in got_list)
    for line, c in old:
        key = _comment_words(c)
        if got[key]:
            got[key] -= 1
        else:
            return line
    return old[-1][0]


# What the legacy tokenizer (.tokens) makes a comment, found without tokenizing: tokenizing
# the original and the migrated text again cost 0.7 of a check per migration. Outside a
# string or comment, every `#`, quote, backtick and `/` starts a token there (no other token
# holds one: `/=` is the only operator with a slash, and only as its first character), so
# the scan only needs those. tests/test_migrate_comments.py holds it equal to the tokenizer.
_COMMENT_SCAN = None
_BLANKS = " \t\f\v"  # what the tokenizer skips between tokens ([ \t\f\v]*)


def _comments(text: str) -> Optional[list[tuple[int, str]]]:
    """``(line, text)`` of each COMMENT token ``tokens.tokenize(text)`` gives, in order
    (the text without trailing whitespace), or None when it raises LexError."""
    global _COMMENT_SCAN
    if _COMMENT_SCAN is None:
        import re

        # the tokenizer's comment and string patterns; a quote that starts no string, and
        # a backtick, are its LexError
        # (`//` alone: the rest of its line is taken only when it is a comment, see below)
        # Every alternative starts with a literal character, so the search skips to the
        # next `#`, `/`, quote or backtick in C: the class `["'`]` as the last one made it
        # try each alternative at every character (two and a half times as slow).
        _COMMENT_SCAN = re.compile(r"""\#[^\n]*|//"""
                                   r"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*\""""
                                   r"""|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"""
                                   r"""|"|'|`""")
    search = _COMMENT_SCAN.search
    out: list[tuple[int, str]] = []
    pos = 0
    line = 1
    counted = 0  # `line` is the line of offset `counted`
    start = 0  # where the tokenizer last started afresh: after `a//` (see below)
    while True:
        m = search(text, pos)
        if m is None:
            return out
        p = m.start()
        head = text[p]
        if head == "/":
            # the line's start, looked for no further back than `start`: from 0, each
            # `//` of a long `a//a//a...` line searched the whole line again (quadratic)
            begin = max(start, text.rfind("\n", start, p) + 1)
            if p > begin and text[p - 1] not in _BLANKS and text[begin:p].strip(_BLANKS):
                # `a//b` (no blank before, not first on its line): two slashes, and the
                # rest of the line is tokenized on its own (its start counts as a line's)
                start = pos = p + 2
                continue
        elif head != "#":
            if m.end() - p == 1:  # a quote not closed on its line, or a backtick
                return None
            pos = m.end()
            continue
        end = m.end()
        if head == "/":
            # a `//` comment runs to the end of its line; matched by the pattern, that line
            # was read to its end for every `a//` on it, then read again from after it
            end = text.find("\n", p)
            if end < 0:
                end = len(text)
        line += text.count("\n", counted, p)
        counted = p
        out.append((line, text[p:end].rstrip()))
        pos = end


_LINE_COMMENT = None


def _line_comments(text: str) -> int:
    """The lines of ``text`` whose first token is a ``#`` comment: at most as many as the
    COMMENT tokens of ``tokens.tokenize(text)`` when it tokenizes (no token spans a line,
    so a line's blanks, then `#`, start a comment)."""
    global _LINE_COMMENT
    if _LINE_COMMENT is None:
        import re

        # the first line, then a newline first: the search skips to each in C (`^` with
        # re.M was tried at every character)
        _LINE_COMMENT = (re.compile(r"[ \t\f\v]*#"), re.compile(r"\n[ \t\f\v]*#"))
    first, others = _LINE_COMMENT
    return (first.match(text) is not None) + len(others.findall(text))


def _comment_words(text: str) -> str:
    """A comment without its marker (``//`` becomes ``#``) and outer spaces."""
    return text[2:].strip() if text.startswith("//") else text[1:].strip()


def before_counts_missing_goal(before) -> bool:
    return not any(f.rule == "AE312" for f in before.findings)


def _identity_origins(text: str, new: str) -> list[int]:
    """Output line -> source line for a change that keeps the lines in order (whitespace
    only: M027), in linear time.

    Lines are paired from the start and from the end while they agree but for
    whitespace; what is left between is paired in order, as difflib pairs a replaced
    block (each output line from the source line at the same offset, the last one for
    the rest). difflib's own alignment was quadratic on files of repeated lines (4,000
    alternating lines took minutes) and could pair a repeated line with the wrong twin.
    """
    a = text.split("\n")
    b = new.split("\n")
    common = min(len(a), len(b))
    head = 0
    while head < common and a[head].strip() == b[head].strip():
        head += 1
    tail = 0
    while tail < common - head and a[-1 - tail].strip() == b[-1 - tail].strip():
        tail += 1
    a_end, b_end = len(a) - tail, len(b) - tail
    origins = list(range(1, head + 1))
    last = max(head, a_end - 1)
    origins.extend(min(k, last) + 1 for k in range(head, b_end))
    origins.extend(range(a_end + 1, len(a) + 1))
    return origins


def _remap(out: Outcome, before, found: list, origins: list[int],
           fingerprints=None) -> None:
    """Pair findings that survive (same rule, new line from the old one) old -> new:
    ``found`` are the findings of the check after; ``fingerprints(indices)`` gives the
    fingerprints of those at ``indices`` when theirs are not filled in (None: they are)."""
    pool: dict[tuple[str, Optional[int]], list] = {}
    for f in before.findings:
        pool.setdefault((f.rule, f.line), []).append(f)
    pairs = []
    for i, f in enumerate(found):
        src = origins[f.line - 1] if f.line and f.line <= len(origins) else f.line
        if f.rule == "AE312":
            src = 1
        candidates = pool.get((f.rule, src)) or []
        if not candidates:
            continue
        pairs.append((candidates.pop(0), i))
    given = fingerprints([i for _old, i in pairs]) if fingerprints is not None and pairs \
        else None
    for old, i in pairs:
        new, new_legacy = given[i] if given is not None else (found[i].fingerprint,
                                                              found[i].legacy_fingerprint)
        if old.fingerprint != new:
            out.fingerprint_remap[old.fingerprint] = new
        if old.legacy_fingerprint != new_legacy:
            out.legacy_fingerprint_remap[old.legacy_fingerprint] = new_legacy
    out.resolved = sorted(g.fingerprint for rest in pool.values() for g in rest)


def migrate_file(path: str, display: Optional[str] = None,
                 options: MigrateOptions = MigrateOptions(),
                 follow_links: bool = False, cache=None,
                 store: Optional[list] = None) -> Outcome:
    """Migrate the file at ``path``; with ``options.apply`` rewrite it atomically.

    A symbolic link is rewritten (its target replaced) only with ``follow_links``, for a
    path named on the command line; otherwise it is skipped (docs/security.md).

    ``cache``: a :class:`~aether.cache.ResultCache` opened with :func:`check_options` (the
    one ``aether check`` fills, see :func:`aether.migrate.run.open_migrate_cache`): its
    entry for the file's bytes is the check before (it is what that check returns), read
    only. ``store``: receives ``(digest, FileResult)`` pairs for that cache: the check
    before when it was computed here (the file's current result), and after a rewrite
    the check after under the new bytes' digest (so a check after ``--apply`` is warm).

    Never raises for a bad file: unreadable, binary, non-UTF-8, missing or read-only files
    are *skipped* outcomes with the reason.
    """
    from ..fileio import WriteError, check_writable, encode_like, unified_diff, write_atomic
    from ..source import DEFAULT_MAX_FILE_SIZE, read_source

    shown = display if display is not None else path
    read = read_source(path, options.max_file_size or DEFAULT_MAX_FILE_SIZE)
    if read.error is not None:
        return Outcome(shown, "skipped", read.error.message, read.error.line)
    digest = known = None
    if cache is not None or store is not None:
        from ..cache import content_digest

        digest = content_digest(read.data)
        if cache is not None:
            known = _cached_before(cache, shown, digest)
    checked: dict = {}
    try:
        # the results stored: the check before, and after a rewrite the check after
        # (_store_after); only those search did-you-mean hints
        out = migrate_text(read.text, shown, options.selection, options.catalogue,
                           options.root, known, checked if store is not None else None,
                           keep=_KEEP_BOTH if options.apply else ("before",))
    except Exception as exc:  # noqa: BLE001 - a bug must not stop a bulk run
        from ..interrupt import interrupt_behind

        if interrupt_behind(exc) is not None:
            # a Ctrl-C that Python wrapped (in a class's __set_name__): it ends the run, it
            # is not this file's failure
            raise
        # describe() frees a MemoryError's frames (they hold what filled memory) first;
        # it has no message, so "{name}: {exc}" read "MemoryError:  (this is ...)"
        return Outcome(shown, "failed", f"internal error while converting: "
                       f"{describe(exc)} (this is a bug in aether)")
    if store is not None and "before" in checked:
        store.append((digest, checked["before"]))
    if out.state != "transformed":
        return out
    new_bytes = encode_like(read.data, out.text)
    if new_bytes == read.data:
        out.state = "unchanged"
        out.rules = {}
        return out
    if options.want_diff:
        out.diff = unified_diff(read.data.decode("utf-8"), new_bytes.decode("utf-8"), shown)
    if options.apply:
        reason = check_writable(path, follow_links)
        if reason is not None:
            out.state = "skipped"
            out.reason = reason
            return out
        try:
            write_atomic(path, new_bytes, expect=read.data, follow_links=follow_links)
        except WriteError as exc:
            out.state = "skipped"
            out.reason = exc.reason
            return out
        out.written = True
        if store is not None:
            _store_after(store, new_bytes, out.text, checked.get("after"))
    return out


def _cached_before(cache, display: str, digest: str):
    """The cache's result for these bytes shown as ``display``, or None; a cache that is
    corrupt or not this version's is a miss (ResultCache checks every stored finding),
    and so is anything a cache object raises: it is only a cache."""
    try:
        return cache.get(display, digest)
    except Exception:  # noqa: BLE001 - a cache must never fail a migration
        return None


def _store_after(store: list, new_bytes: bytes, new: str, after) -> None:
    """Queue the check after as the rewritten file's result, when it is the one `aether
    check` computes for the file: the bytes written decode to exactly the text checked
    (they keep the file's BOM and line ends, which decoding takes away again)."""
    from ..cache import content_digest
    from ..source import decode_source

    if after is None:
        return
    if decode_source(new_bytes, len(new_bytes)).text != new:
        return
    store.append((content_digest(new_bytes), after))
