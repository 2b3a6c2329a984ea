"""Check one file or one text: read, legacy scan, parse, validate, suppress, fingerprint.

This is the single pipeline every tool uses (check, baseline, classify, migrate's
never-worse test). It has no side effects: it reads the file and returns a
:class:`aether.diagnostics.FileResult`.
"""

from __future__ import annotations

from .codes import rule as lookup_rule
from .diagnostics import FileResult, Finding
from .fingerprint import (assign_fingerprints, fingerprint, legacy_fingerprint,
                          normalise_content)
from .gcpause import gc_paused
from .record import SET, FrozenRecord
from .source import DEFAULT_MAX_FILE_SIZE, read_source

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)

if TYPE_CHECKING:
    from typing import Iterable, Iterator, Optional

    from .semantics.catalogue import Catalogue
    from .syntax import ParseResult

__all__ = ["CheckOptions", "check_text", "check_findings", "fingerprints_at", "check_file",
           "anchor_for", "anchors_for", "RuleFilter", "STREAM_ABOVE"]


class RuleFilter(FrozenRecord):
    """select / ignore by rule id, id prefix (``AE3``) or rule name, as in ruff."""

    __slots__ = _fields = ("select", "ignore")
    select: Optional[frozenset[str]]
    ignore: frozenset[str]

    def __init__(self, select=None, ignore=frozenset()):
        SET(self, "select", select)
        SET(self, "ignore", ignore)

    @staticmethod
    def _norm(items: Iterable[str]) -> frozenset[str]:
        out = set()
        for item in items:
            item = item.strip()
            if not item:
                continue
            try:
                out.add(lookup_rule(item).id)
            except KeyError:
                out.add(item.upper())
        return frozenset(out)

    @classmethod
    def make(cls, select: Optional[Iterable[str]] = None,
             ignore: Iterable[str] = ()) -> "RuleFilter":
        """The filter for these patterns. Raises ValueError naming a pattern that matches
        no rule (a misspelt ``--select AE3O1`` would otherwise silently select nothing),
        and for a ``select`` that names no pattern at all (``select = []`` would turn
        every check off; None selects everything)."""
        made = cls(None if select is None else cls._norm(select), cls._norm(ignore))
        if made.select is not None and not made.select:
            raise ValueError("the selection names no rule (it would check nothing)")
        from .codes import RULES

        # sorted: the same pattern is named on every run; repr: it may come from the
        # configuration, a repository's text holding escape sequences
        for pattern in sorted((made.select or frozenset()) | made.ignore):
            if pattern != "ALL" and not any(r.startswith(pattern) for r in RULES):
                raise ValueError(f"{pattern!r} matches no rule id or name "
                                 "(see `aether rules`)")
        return made

    @staticmethod
    def _match(rule_id: str, patterns: frozenset[str]) -> int:
        """Length of the longest pattern matching ``rule_id`` (0: none)."""
        best = 0
        for p in patterns:
            if p == "ALL" or rule_id.startswith(p):
                best = max(best, 1 if p == "ALL" else len(p))
        return best

    def allows(self, rule_id: str) -> bool:
        """Whether findings of ``rule_id`` are reported.

        Reading (AE0xx) and syntax (AE1xx) errors and AE999 are always reported: when a
        file cannot be read or parsed nothing else about it is known. Otherwise a rule must
        be selected (everything is, by default) and not ignored by an equally or more
        specific pattern.
        """
        if rule_id < "AE200" or rule_id == "AE999":
            return True
        sel = 1 if self.select is None else self._match(rule_id, self.select)
        ign = self._match(rule_id, self.ignore)
        return sel > 0 and (ign == 0 or sel > ign)


class CheckOptions(FrozenRecord):
    """How to check: rule filter, inline suppressions, size limit, catalogue."""

    __slots__ = _fields = ("rules", "suppress", "max_file_size", "keep_source", "root",
                           "catalogue")
    rules: RuleFilter
    suppress: bool
    max_file_size: int
    keep_source: bool
    # Fingerprints name a file by its path relative to ``root`` (the project root, where
    # the configuration lives), so they do not change with the working directory.
    root: Optional[str]
    # The merged catalogue (builtins + the project's tools, plugins, inputs); None: the
    # builtins alone. Passed explicitly, so pool workers check with the same catalogue.
    catalogue: Optional[Catalogue]

    def __init__(self, rules=None, suppress=True, max_file_size=DEFAULT_MAX_FILE_SIZE,
                 keep_source=True, root=None, catalogue=None):
        SET(self, "rules", RuleFilter() if rules is None else rules)
        SET(self, "suppress", suppress)
        SET(self, "max_file_size", max_file_size)
        SET(self, "keep_source", keep_source)
        SET(self, "root", root)
        SET(self, "catalogue", catalogue)

    def fingerprint_path(self, display: str) -> str:
        """The path that takes part in fingerprints for a file shown as ``display``."""
        if not self.root or display.startswith("<"):
            return display
        import os

        absolute = os.path.abspath(display)
        rel = os.path.relpath(absolute, self.root)
        if rel.startswith(".."):
            return display
        return rel.replace(os.sep, "/")


def _header_key(stripped: str) -> Optional[str]:
    """The anchor name of a block header line, or None when it is not one."""
    body = stripped.split("#", 1)[0].rstrip()
    if not body.endswith(":"):
        return None
    head = body[:-1].strip()
    if head.startswith("- "):
        return None
    word = head.split("(", 1)[0].split()
    if not word:
        return None
    if word[0] == "fn" and len(word) > 1:
        return "fn:" + word[1]
    if word[0] in ("if", "elif", "else", "for", "while", "try", "catch"):
        return word[0]
    return word[0] if len(word) == 1 else None


def anchor_for(lines: list[str], line: Optional[int]) -> str:
    """The enclosing-block path of ``line``: header names of the blocks around it."""
    return anchors_for(lines, [line]).get(line or 0, "")


def anchors_for(lines: list[str], wanted: Iterable[Optional[int]]) -> dict[int, str]:
    """The enclosing-block path (``fn:f/for``) of every line in ``wanted``, in one pass.

    The lines enclosing line L are the entries of a stack of open lines (the non-blank,
    non-comment lines before L with strictly rising indentation) whose indentation is
    below L's; a header among them contributes its name. One pass serves every finding of
    a file (scanning back from each finding was quadratic on a long block full of them).
    """
    targets = sorted({n for n in wanted if n and 0 < n <= len(lines)})
    return {n: anchor for n, (anchor, _) in _scan_lines(iter(lines), targets).items()}


def _scan_lines(lines: Iterator[str], targets: list[int]) -> dict[int, tuple[str, str]]:
    """``{line number: (anchor, line text)}`` for the sorted, distinct ``targets``, reading
    ``lines`` (line 1 first) only as far as the last of them."""
    out: dict[int, tuple[str, str]] = {}
    if not targets:
        return out
    stack: list[tuple[int, Optional[str]]] = []  # (indentation, header key) of open lines
    pending = iter(targets)
    target = next(pending)
    for number, s in enumerate(lines, 1):
        if number == target:
            indent = len(s) - len(s.lstrip())
            out[number] = ("/".join(key for ind, key in stack
                                    if ind < indent and key is not None), s)
            target = next(pending, 0)
            if not target:
                break
        stripped = s.strip()
        if stripped and not stripped.startswith("#"):
            ind = len(s) - len(s.lstrip())
            while stack and stack[-1][0] >= ind:
                stack.pop()
            stack.append((ind, _header_key(stripped)))
    return out


def _iter_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` as ``text.split("\n")`` gives them, one at a time: a list of
    every line of a large file cost more memory than the file (a string object per line)."""
    find = text.find
    start = 0
    while True:
        end = find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def _skip_lines(text: str, pos: int, k: int) -> int:
    """The offset just after the ``k``-th newline from ``pos`` on (``pos`` when ``k`` is
    0; ``text`` must have that many). Windows of the text are counted, then one is split:
    faster than a find per line, and no list of every line of a large file."""
    if k <= 16:
        # most findings are a few lines below the one before them: a find per line is
        # cheaper than a window's copy, count and split
        find = text.find
        while k:
            pos = find("\n", pos) + 1
            k -= 1
        return pos
    if k <= 256:
        # a window that likely holds them (lines of up to 64 characters on average) split
        # once: the count of a whole window before its split cost as much again
        window = text[pos:pos + 64 * k]
        parts = window.split("\n", k)
        if len(parts) > k:
            return pos + len(window) - len(parts[-1])
        pos += len(window)
        k -= len(parts) - 1
    step = 8192
    while k:
        window = text[pos:pos + step]
        n = window.count("\n")
        if n < k:
            pos += len(window)
            k -= n
            continue
        return pos + len(window) - len(window.split("\n", k)[-1])
    return pos


def _lines_at(text: str, targets: list[int]) -> dict[int, tuple[str, str]]:
    """What ``_scan_lines(_iter_lines(text), targets)`` gives (the sorted, distinct
    ``targets`` must be lines of ``text``), without a pass over every line before them.

    A line's enclosing lines are the nearest code line above it indented less than it,
    then the nearest one above that indented less again, and so on (the open lines of
    _scan_lines' stack): each target walks up to them, and stops at a target done before
    it, whose enclosing lines are known. A walk is about as long as the statement holding
    its line; should the walks add up to more than a pass would cost (targets that cannot
    serve the next one), the pass is made instead.
    """
    out: dict[int, tuple[str, str]] = {}
    find, rfind = text.find, text.rfind
    budget = 2 * targets[-1] + 64  # lines walked, beyond which one pass is cheaper
    # the targets done: (line, indentation, whether code, open lines there innermost
    # first as (indentation, header key), the line's own entry first when it is code)
    done: list[tuple[int, int, bool, list]] = []
    line, pos = 1, 0
    for target in targets:
        pos = _skip_lines(text, pos, target - line)
        line = target
        end = find("\n", pos)
        s = text[pos:] if end < 0 else text[pos:end]
        stripped = s.strip()
        limit = len(s) - len(s.lstrip())  # enclosing lines are indented less than this
        chain: list[tuple[int, Optional[str]]] = []
        k, at, j = target, pos, len(done) - 1
        while limit > 0 and k > 1:
            stop = at - 1  # the newline ending line k - 1
            at = rfind("\n", 0, stop) + 1
            k -= 1
            budget -= 1
            if budget < 0:
                return _scan_lines(_iter_lines(text), targets)
            while j >= 0 and done[j][0] > k:
                j -= 1
            if j >= 0 and done[j][0] == k:
                _, indent, code, opened = done[j]
                if code or limit <= indent:
                    chain.extend(e for e in opened if e[0] < limit)
                    break
            above = text[at:stop]
            x = above.strip()
            if x and x[0] != "#":
                ind = len(above) - len(above.lstrip())
                if ind < limit:
                    chain.append((ind, _key_of(x)))
                    limit = ind
        out[target] = ("/".join([key for _, key in reversed(chain) if key is not None]), s)
        own = len(s) - len(s.lstrip())
        code = bool(stripped) and stripped[0] != "#"
        if code:
            chain.insert(0, (own, _key_of(stripped)))
        done.append((target, own, code, chain))
    return out


def _key_of(stripped: str) -> Optional[str]:
    """``_header_key(stripped)`` for a non-empty stripped line, without its work for the
    lines that end in no ':' and hold no comment (most lines)."""
    return _header_key(stripped) if stripped[-1] == ":" or "#" in stripped else None


def _places(findings: list[Finding], text: str) -> dict[int, tuple[str, str]]:
    """``{line: (anchor, normalised content)}`` of the findings without a content: each
    line of ``text`` one of them is on, once; a line the text does not have is left out
    (such a finding has neither)."""
    todo = [f.line for f in findings if not f.content]
    if not todo:
        return {}
    n_lines = text.count("\n") + 1
    targets = sorted({n for n in todo if n and 0 < n <= n_lines})
    if not targets:
        return {}
    return {n: (anchor, normalise_content(line))
            for n, (anchor, line) in _lines_at(text, targets).items()}


def _locate(findings: list[Finding], text: str) -> list[Finding]:
    """Fill in each finding's anchor and normalised content (once per distinct line).
    No longer on the check's path (``check_text`` gives :func:`_places` to
    ``assign_fingerprints``, which fills them in its one copy): the tests' reference."""
    places = _places(findings, text)
    if not places and all(f.content for f in findings):
        return findings
    out = []
    for f in findings:
        if f.content:
            out.append(f)
            continue
        anchor, content = places.get(f.line, ("", "")) if f.line else ("", "")
        # f.with_(anchor=anchor, content=content) written out: the generic copy cost twice
        # as much (tests/test_migrate_speed_after.py holds them equal)
        out.append(Finding(f.rule, f.message, f.line, f.column, f.end_line, f.end_column,
                           f.hint, anchor, content, f.fingerprint, f.legacy_fingerprint))
    return out


def _mentions_aether(text: str) -> bool:
    """``"aether" in text.lower()`` without a lowered copy of the whole text (a large
    file's copy raised the peak memory of its check): lowered in 64 KiB windows that
    overlap by five characters, so a match across a window's end is still found (a
    window of 1 MiB was a whole copy of any smaller file, beside its tree)."""
    step = 1 << 16
    for at in range(0, len(text), step):
        if "aether" in text[at:at + step + 5].lower():
            return True
    return False


_WHOLE_FILE_LEGACY = {"AE209", "AE210"}
_GOAL_LEGACY = {"AE201", "AE202", "AE203"}


_CASCADES = {"AE301", "AE307"}
def _names_in(message: str) -> set[str]:
    """Names quoted in a finding's message (``unknown function 'x'``)."""
    import re  # only after error recovery (patterns compiled when first needed)

    return set(re.findall(r"'([A-Za-z_][\w.]*)'", message))


def _words(text: str) -> set[str]:
    import re

    return set(re.findall(r"[A-Za-z_]\w*", text))


def _masked_lines(text: str, ranges: list[tuple[int, int]],
                  spans: Optional[list] = None) -> list[str]:
    """The stripped source lines that error recovery removed from the parse. ``spans``:
    where the ranges lie in ``text`` when the parser said (``ParseResult.spans``): the
    lines are then read there, without counting those before them."""
    if not ranges:
        return []
    if spans is not None:
        return [line.strip() for span in spans if span is not None
                for line in text[span[0]:span[1]].split("\n")]
    n_lines = text.count("\n") + 1
    spans = [(max(a, 1), min(b, n_lines)) for a, b in ranges]
    spans = [(a, b) for a, b in spans if a <= b]
    if not spans:
        return []
    first = min(a for a, _ in spans)
    last = max(b for _, b in spans)
    pos = _skip_lines(text, 0, first - 1)  # no list of the lines before it
    end = text.find("\n", _skip_lines(text, pos, last - first))
    lines = (text[pos:] if end < 0 else text[pos:end]).split("\n")
    return [lines[i - first].strip() for a, b in spans for i in range(a, b + 1)]


# A text of at least this many characters is validated without its whole tree (see
# _noted): the tree of a large file took most of the memory its check needed (docs/
# benchmarks.md, issue 15). Below it one parse and the whole tree cost less time.
STREAM_ABOVE = 4 << 20


def _noted(text: str, catalogue: Optional[Catalogue], hints: bool = True):
    """A validator that has noted every top-level statement of ``text`` (its first pass,
    see ``Validator.note``), each statement dropped once noted; None when the text has a
    syntax error (the caller parses it whole: that reports and recovers), and within a
    migration's memos (they keep the whole tree for its other stages). A caller that has
    the whole tree already (`aether run` compiles it) hands it to :func:`check_text`."""
    from .semantics.validator import Validator, memoising as validating
    from .syntax.errors import AetherSyntaxError
    from .syntax.lalr import UnexpectedToken
    from .syntax.parser import memoising, parse_items

    if memoising() or validating():
        return None
    validator = Validator(catalogue, hints=hints)
    try:
        parse_items(text, validator.note)
    except (UnexpectedToken, AetherSyntaxError):
        return None
    return validator


def _checked(validator, text: str, report_unbound: bool) -> list[Finding]:
    """The findings of a noted validator (see ``_noted``): the text is parsed again and
    each top-level statement checked and dropped; the same as ``validate`` gives for the
    whole tree."""
    from .syntax.parser import parse_items

    validator.report_unbound = report_unbound
    validator.begin_checks()
    parse_items(text, validator.check)
    return validator.findings


@gc_paused
def check_text(text: str, path: str, options: CheckOptions = CheckOptions(),
               legacy: Optional[list] = None,
               parsed: Optional[ParseResult] = None, hints: bool = True,
               validated: Optional[list] = None) -> FileResult:
    """Check decoded, newline-normalised ``text`` shown as ``path``. ``legacy``: the
    text's ``scan_legacy`` hits when the caller has them already (the migration's first
    look at a file), else the text is scanned here. ``parsed``: ``parse(text)`` when the
    caller has it already (`aether run` and ``classify`` keep the tree to compile it), so
    the text is not parsed again; else it is parsed here (a large text statement by
    statement, see ``_noted``). ``hints=False``: the validator makes no did-you-mean
    search (a caller that neither keeps nor shows the result: a migration's check that
    only tells whether the file got worse); each finding's other fields are the same.
    ``validated``: see :func:`check_findings`. Returns the file's FileResult (its
    findings and status); raises nothing on bad input."""
    findings, suppressed = _findings(text, options, legacy, parsed, hints, validated)
    key = options.fingerprint_path(path)
    # each finding located and fingerprinted in one copy (a copy to locate it, then one to
    # fingerprint it, was a tenth of a migration's check of its result)
    return FileResult(path, assign_fingerprints(key, findings, _places(findings, text)),
                      assign_fingerprints(key, suppressed, _places(suppressed, text))
                      if suppressed else [],
                      text if options.keep_source else None)


def _findings(text: str, options: CheckOptions, legacy: Optional[list],
              parsed: Optional[ParseResult], hints: bool,
              validated: Optional[list] = None) -> tuple[list, list]:
    """The findings and the suppressed findings of :func:`check_text`, neither located
    nor fingerprinted, in the order found; ``validated``: see :func:`check_findings`."""
    from .semantics.validator import validate
    from .syntax import ParseResult, parse
    from .syntax.legacy import MIGRATE_HINT, scan_legacy

    findings: list[Finding] = []
    if validated is not None and options.catalogue is None:
        if legacy is None:
            legacy = scan_legacy(text, parses=True)
        if legacy:
            validated = None  # validated without unbound names: the tree is needed
    else:
        validated = None
    noted = _noted(text, options.catalogue, hints) \
        if validated is None and parsed is None and len(text) >= STREAM_ABOVE else None
    # parsed clean, statement by statement (no module: noted holds what is needed of it),
    # or known to parse clean with these validation findings
    if noted is not None or validated is not None:
        result = ParseResult(None)
    else:
        result = parsed if parsed is not None else parse(text)
    if legacy is None:
        legacy = scan_legacy(text, parses=result.ok)
    legacy_lines = {h.line for h in legacy}
    legacy_rules = {h.rule for h in legacy}
    for h in legacy:
        findings.append(Finding(h.rule, h.message, h.line, h.column, h.line, h.end_column,
                                MIGRATE_HINT))
    whole_file = bool(legacy_rules & _WHOLE_FILE_LEGACY)
    if not whole_file:
        for e in result.errors:
            if e.line in legacy_lines:
                continue
            findings.append(Finding(e.rule, e.message, e.line, e.column, e.end_line,
                                    e.end_column, e.hint))
        clean_parse = not result.errors
        masked = _masked_lines(text, result.masked, result.spans)
        goal_masked = any(line.startswith("goal") for line in masked)
        masked_text = "\n".join(masked)
        report_unbound = clean_parse and not legacy
        for f in (validated if validated is not None else
                  validate(result.module, options.catalogue, report_unbound, hints)
                  if noted is None else _checked(noted, text, report_unbound)):
            if f.rule == "AE312" and (legacy_rules & _GOAL_LEGACY or goal_masked):
                continue
            if f.rule in _CASCADES and masked_text and _names_in(f.message) & _words(
                    masked_text):
                continue  # defined (fn, parallel task) in a statement recovery removed
            if not clean_parse and f.line in legacy_lines:
                continue
            findings.append(f)
    findings = [f for f in findings if options.rules.allows(f.rule)]
    suppressed: list[Finding] = []
    if options.suppress and _mentions_aether(text):  # a suppression comment names aether
        from .suppress import apply_suppressions, find_suppressions

        # (suppressions go by line and rule: the findings need no anchor for them)
        findings, suppressed = apply_suppressions(findings, find_suppressions(text),
                                                  report_unused=options.rules.allows("AE319"))
    return findings, suppressed


@gc_paused
def check_findings(text: str, options: CheckOptions = CheckOptions(),
                   hints: bool = True, validated: Optional[list] = None) -> list[Finding]:
    """The findings of ``check_text(text, path, options, hints=hints)``, in the same order,
    each neither located nor fingerprinted (its anchor, content and fingerprints as the
    check found it, mostly empty): for a caller that reads their rules, lines and
    messages and at most a few fingerprints (:func:`fingerprints_at`), as a migration's
    check of its result that is not kept does (locating and fingerprinting every finding
    was half of that check, and the migration pairs few of them with the file's).
    ``validated``: when the caller has shown that ``text`` parses without a syntax error
    and what ``validate`` of its tree gives (the builtins' catalogue, unbound names
    reported, ``hints``), those findings: the text is then not parsed (unless it holds a
    legacy construct, or ``options`` name a catalogue: the tree is validated then).
    Raises nothing on bad input."""
    findings, _suppressed = _findings(text, options, None, None, hints, validated)
    return sorted(findings, key=Finding.sort_key)


def fingerprints_at(text: str, path: str, options: CheckOptions, findings: list[Finding],
                    wanted: Iterable[int]) -> dict[int, tuple[str, str]]:
    """``{i: (fingerprint, legacy fingerprint)}`` for each index ``i`` in ``wanted`` of
    ``findings``, :func:`check_findings` of ``text``: those of the ``i``-th finding of
    ``check_text(text, path, options)`` (as ``assign_fingerprints`` numbers them). Only
    the lines of the findings that can share an occurrence count with a wanted one (its
    rule and content) are located, in time linear in the findings."""
    todo = set(wanted)
    if not todo:
        return {}
    key = options.fingerprint_path(path)
    last = max(todo)
    rules = {findings[i].rule for i in todo}
    n_lines = text.count("\n") + 1
    lines: list[str] = []

    def content(f: Finding) -> str:
        # the content _places gives the finding (no anchor: the anchor is the costly part)
        if f.content:
            return f.content
        if not f.line or not 0 < f.line <= n_lines:
            return ""
        if not lines:
            lines.extend(text.split("\n"))
        return normalise_content(lines[f.line - 1])

    contents = {j: content(findings[j]) for j in range(last + 1)
                if findings[j].rule in rules}
    shared = {(findings[i].rule, contents[i]) for i in todo}
    # a finding of another rule or content has another key: it never counts
    need = [j for j, c in contents.items() if (findings[j].rule, c) in shared]
    places = _places([findings[j] for j in need], text)
    out: dict[int, tuple[str, str]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for j in need:  # in order, as assign_fingerprints numbers them
        f = findings[j]
        if f.content:
            anchor, where = f.anchor, f.content
        else:
            anchor, where = places.get(f.line, ("", "")) if f.line else ("", "")
        slot = (f.rule, anchor, where)
        occurrence = seen.get(slot, 0)
        seen[slot] = occurrence + 1
        if j in todo:
            out[j] = (fingerprint(f.rule, key, anchor, where, occurrence),
                      legacy_fingerprint(f.code_name, f.line, f.message))
    return out


def check_file(path: str, display: Optional[str] = None,
               options: CheckOptions = CheckOptions()) -> FileResult:
    """Read and check the file at ``path`` (``display`` is the path shown in output)."""
    shown = display if display is not None else path
    read = read_source(path, options.max_file_size)
    if read.error is not None:
        return FileResult(shown, assign_fingerprints(options.fingerprint_path(shown),
                                                     [read.error.with_(content="<io>")]))
    text = read.text
    del read  # it holds the bytes read too: a second copy of the file during the check
    return check_text(text, shown, options)
