"""`aether tools infer`: catalogue entries for the names a fleet calls but nobody declared.

The workflows are checked with the ordinary checker (:func:`aether.checker.check_text`,
against the project's current catalogue): every AE301 unknown function and AE302 unbound
name is a candidate, with its evidence (call sites, arities and keywords seen, first file
and line) read from the parsed tree. A candidate that is a near miss of a known name (the
checker gives it a did-you-mean) or of a more frequent candidate of the same run is a
likely typo, not a tool: it is left undeclared so that `check` keeps reporting it. "Near"
is stricter than the checker's did-you-mean (a hint may be loose, a name left undeclared
must be a real near miss): see :func:`near_miss`; candidates come from :class:`NameIndex`,
so a run over N distinct names is not N x N comparisons. The
rest becomes ``[tools.NAME]`` (risk ``unreviewed``, effect ``tool``) and ``[inputs]``
entries, appended to ``aether-tools.toml`` without touching what a person wrote.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

from .. import ast as A
from ..checker import CheckOptions, check_text
from ..config import ConfigError
from ..source import read_source
from ..walk import SourceFile

__all__ = ["Evidence", "Proposal", "infer", "proposal_toml", "merge_into",
           "proposal_notes", "default_target", "write_proposal", "MARKER", "near_miss", "NameIndex", "TYPO_RATIO"]

MARKER = ("# --- added by `aether tools infer`: review each entry; risk \"unreviewed\" "
          "is treated as high ---")
_QUOTED = re.compile(r"'([^']+)'")
_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'")


@dataclass
class Evidence:
    """What the fleet shows about one undeclared name."""

    name: str
    kind: str  # "tool", "input" or "plugin" (a call on a plugin not in `require:`)
    count: int = 0
    files: set = field(default_factory=set)
    arities: set = field(default_factory=set)
    keywords: list = field(default_factory=list)
    first: tuple = ("", 0)
    order: int = 0
    near: Optional[str] = None  # for a likely typo: the known name it is close to

    def params(self) -> list[str]:
        """Parameters accepting every call seen: positional ones up to the largest arity
        (required up to the smallest), then each keyword seen as an optional parameter."""
        most = max(self.arities, default=0)
        least = min(self.arities, default=0)
        names = []
        for i in range(1, most + 1):
            base = f"arg{i}"
            while base in self.keywords:
                base += "_"
            names.append(base if i <= least else base + "?")
        return names + [k + "?" for k in self.keywords]

    def comment(self) -> str:
        unit = "use" if self.kind == "input" else "call"
        parts = [f"{self.count} {unit}{'s' if self.count != 1 else ''} in {len(self.files)} "
                 f"file{'s' if len(self.files) != 1 else ''}"]
        if self.kind == "tool":
            ar = sorted(self.arities)
            parts.append(f"arit{'ies' if len(ar) > 1 else 'y'} {', '.join(map(str, ar))}")
            if self.keywords:
                parts.append("keywords " + ", ".join(self.keywords))
        parts.append(f"first at {self.first[0]}:{self.first[1]}")
        from ..output.text import printable

        # a TOML comment may hold no control character: a file name with one (a newline,
        # an escape) is shown with placeholders, so the catalogue stays TOML
        return printable("# " + "; ".join(parts))


@dataclass
class Proposal:
    """The outcome of a run: what to declare, and what not to."""

    tools: list[Evidence]
    inputs: list[Evidence]
    typos: list[Evidence]
    plugin_calls: list[Evidence]
    files: int
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (file, message)

    @property
    def empty(self) -> bool:
        return not (self.tools or self.inputs)


def _call_index(module: A.Module) -> dict[tuple[int, int], tuple[int, list[str]]]:
    """(line, column) of each called name -> (positional count, keyword names)."""
    out = {}
    for node in A.walk(module):
        if isinstance(node, A.Call) and isinstance(node.func, A.Name):
            out[(node.func.line, node.func.column)] = (len(node.args),
                                                       [k.name for k in node.keywords])
    return out


#: similarity (difflib's ratio, as the checker's did-you-mean, whose cutoff is 0.72) from
#: which a name is a likely typo of another: `search_memory_one` / `search_memory` (0.87),
#: `analyze_projct` / `analyze_project` (0.97) are; `create_file` / `read_file` (0.80),
#: `agent` / `get` (0.75), `analyze_project_security` / `analyze_project_files` are not.
TYPO_RATIO = 0.85
_DIGITS = re.compile(r"\d+")


#: prefixes that make a word its opposite or another act (`inactive`, `unlock`,
#: `disconnect`, `deactivate`, `reload`): such a pair of names is two names, not a slip
_WORD_PREFIXES = ("un", "in", "im", "il", "ir", "non", "dis", "de", "re")


def _replaced_words(name: str, other: str) -> Optional[list[tuple[str, str]]]:
    """The ``_``-separated words in which two names of as many words differ, in pairs
    (``name``'s first), or None when their number of words differs."""
    a, b = name.split("_"), other.split("_")
    if len(a) != len(b):
        return None
    return [(x, y) for x, y in zip(a, b) if x != y]


def _extension_words(name: str, other: str) -> Optional[list[str]]:
    """The whole ``_``-separated words one name has beyond the other when one extends the
    other at an end on a word boundary (``start_x`` / ``x``: ``["start"]``), else None."""
    short, long_ = sorted((name, other), key=len)
    if not short or len(short) == len(long_):
        return None
    if long_.endswith("_" + short):
        rest = long_[:-len(short) - 1]
    elif long_.startswith(short + "_"):
        rest = long_[len(short) + 1:]
    else:
        return None
    words = rest.split("_")
    return words if all(words) else None


def near_miss(name: str, other: str, words: frozenset = frozenset()) -> bool:
    """Whether ``name`` reads as a misspelling of ``other``: the same name in another case,
    two neighbouring letters swapped, or a difflib ratio of at least :data:`TYPO_RATIO`
    with at most two edits or one name extending the other at an end
    (`search_memory_one`); never when the two differ only in their digits (`voice_1`,
    `voice_2` are siblings), when a word of one is a word of the other with a prefix of
    :data:`_WORD_PREFIXES` (`get_inactive_plugins` / `get_active_plugins`), nor when each
    word ``name`` has in place of one of ``other``'s is in ``words``, the words other names
    of the fleet are made of (`system_state` / `system_status` next to a
    `scan_system_state`), nor when one name is the other with whole words stuck to one end
    and each of those words is in ``words`` (`start_background_reasoning` next to a `fn
    background_reasoning` and a `start_timer`: a compound of the fleet's words, where
    `search_memory_one` adds a word no other name uses)."""
    import difflib

    from ..semantics.suggest import MAX_SUGGEST_LENGTH, swapped

    if name == other or max(len(name), len(other)) > MAX_SUGGEST_LENGTH:
        return False  # too long to be a typo; comparing costs the lengths' product
    if name.lower() == other.lower() or swapped(other, name):
        return True
    if _DIGITS.sub("0", name) == _DIGITS.sub("0", other):
        return False
    pairs = _replaced_words(name, other)
    if pairs is not None and len(pairs) == 1:
        short, long_ = sorted(pairs[0], key=len)
        if any(long_ == p + short for p in _WORD_PREFIXES):
            return False
    if pairs and all(x in words for x, _ in pairs):
        return False
    extra = _extension_words(name, other)
    if extra and all(w in words for w in extra):
        return False
    m = difflib.SequenceMatcher(None, name, other)
    if not (m.real_quick_ratio() >= TYPO_RATIO and m.quick_ratio() >= TYPO_RATIO and
            m.ratio() >= TYPO_RATIO):
        return False
    # similar is not yet a slip of the keyboard: long names sharing long parts differ by
    # whole words (`filter_completed_tasks` / `filter_incomplete_tasks`); a typo is at
    # most two edits, or the other name with something stuck to one end
    short, long_ = sorted((name, other), key=len)
    return long_.startswith(short) or long_.endswith(short) or _edits(name, other, 2) <= 2


def _edits(a: str, b: str, limit: int) -> int:
    """Edit distance (insert, delete, replace, swap of neighbours) of ``a`` and ``b``, or
    ``limit + 1`` once it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


class NameIndex:
    """Accepted names, indexed by their character trigrams, to find near misses without
    comparing every pair: a name is compared in full only with the few indexed names that
    share the most trigrams with it (at most :attr:`LIMIT`), and a trigram shared by more
    than :attr:`COMMON` names is not used to find candidates (it tells nothing). Each
    lookup therefore costs O(len(name) * COMMON + LIMIT) whatever the number of names."""

    LIMIT = 16
    COMMON = 64

    def __init__(self, words: frozenset = frozenset()) -> None:
        self._grams: dict[str, list[str]] = {}
        self._folded: dict[str, str] = {}
        self.words = words  # see near_miss

    @staticmethod
    def _trigrams(name: str) -> set[str]:
        s = f"^{name.lower()}$"
        return {s[i:i + 3] for i in range(len(s) - 2)}

    def add(self, name: str) -> None:
        self._folded.setdefault(name.lower(), name)
        for g in self._trigrams(name):
            self._grams.setdefault(g, []).append(name)

    def near(self, name: str) -> Optional[str]:
        """The indexed name ``name`` is a near miss of (see :func:`near_miss`), else None."""
        same_case = self._folded.get(name.lower())
        if same_case is not None and same_case != name:
            return same_case
        shared: dict[str, int] = {}
        for g in self._trigrams(name):
            posting = self._grams.get(g, ())
            if len(posting) > self.COMMON:
                continue
            for other in posting:
                shared[other] = shared.get(other, 0) + 1
        best = sorted(shared, key=lambda o: (-shared[o], o))[:self.LIMIT]
        return next((o for o in best if near_miss(name, o, self.words)), None)


def _callable(name: str, fns: set[str], options: CheckOptions) -> bool:
    """Whether ``name`` is a ``fn`` of the file or a builtin or tool of the catalogue."""
    if name in fns:
        return True
    if options.catalogue is not None:
        return name in options.catalogue.functions
    from ..semantics.catalogue import load_catalogue

    return name in load_catalogue().functions


def infer(files: Sequence[SourceFile], options: CheckOptions) -> Proposal:
    """Candidates from ``files`` checked with ``options`` (its catalogue is what is known).
    Unreadable files are listed in ``unreadable`` (the CLI reports them, exit 26)."""
    from ..checker import STREAM_ABOVE
    from ..syntax import parse

    seen: dict[tuple[str, str], Evidence] = {}
    known: set[str] = set()  # fns of the files and the catalogue's functions
    n_files = 0
    unreadable: list[tuple[str, str]] = []
    for src in files:
        read = read_source(src.path, options.max_file_size)
        if read.text is None:
            unreadable.append((src.display, read.error.message))
            continue
        n_files += 1
        # One parse for the check and the call index below; a text large enough for the
        # check to read it statement by statement (no whole tree kept) is parsed whole
        # again only when it has candidates.
        parsed = parse(read.text) if len(read.text) < STREAM_ABOVE else None
        result = check_text(read.text, src.display, options, parsed=parsed)
        wanted = [f for f in result.findings if f.rule in ("AE301", "AE302")]
        if not wanted:
            continue
        module = (parsed if parsed is not None else parse(read.text)).module
        calls = _call_index(module)
        callables = {n.name for n in A.walk(module) if isinstance(n, A.FnDef)}
        for f in wanted:
            m = _QUOTED.search(f.message)
            if m is None or not (f.message.startswith("unknown function")
                                 or f.rule == "AE302"):
                continue  # "'x' is a value, not a function", unknown methods
            name = m.group(1)
            kind = "input" if f.rule == "AE302" else "plugin" if "." in name else "tool"
            ev = seen.get((kind, name))
            if ev is None:
                ev = seen[(kind, name)] = Evidence(name, kind, first=(src.display, f.line),
                                                   order=len(seen))
            ev.count += 1
            ev.files.add(src.display)
            if kind == "tool":
                n_args, kws = calls.get((f.line, f.column), (0, []))
                ev.arities.add(n_args)
                ev.keywords.extend(k for k in kws if k not in ev.keywords)
            hint = _DID_YOU_MEAN.search(f.hint or "")
            if hint and kind == "input" and _callable(hint.group(1), callables, options):
                # a value read is no slip for a function's name: `when system_load > 0.8`
                # became `fn on_system_load():` reading the host's `system_load`
                hint = None
            if hint and ev.near is None and near_miss(name, hint.group(1)):
                ev.near = hint.group(1)
        known.update(callables)
    # the words the fleet's other names are made of: a word one of them also uses whole
    # is a word of the fleet's own vocabulary, not a slip (see near_miss)
    if options.catalogue is not None:
        known.update(options.catalogue.functions)
    else:
        from ..semantics.catalogue import load_catalogue

        known.update(load_catalogue().functions)
    # how many distinct names use each word: every name seen is counted, so a word of
    # ``ev.name`` is also another name's when more than one uses it (a set of the names
    # and its difference with {ev.name} cost the set's size per name: quadratic in a fleet)
    users: dict[str, int] = {}
    for name in known | {n for _, n in seen}:
        for w in set(name.split("_")):
            users[w] = users.get(w, 0) + 1
    for ev in seen.values():
        if ev.near is not None:
            mine = frozenset(w for w in ev.name.split("_") if users.get(w, 0) > 1)
            if not near_miss(ev.name, ev.near, mine):
                ev.near = None
    # a name called somewhere is a tool, even where it is also used as a value
    tool_names = {n for k, n in seen if k == "tool"}
    typos, accepted = [], {"tool": [], "input": []}
    index = {"tool": NameIndex(), "input": NameIndex()}
    # tools, inputs and builtins are one namespace to the catalogue, which refuses two
    # names differing only in case (`deploy` and `Deploy`): the later one is the typo
    cat = options.catalogue
    folded = {n.lower(): n for n in (cat.functions if cat is not None else ())}
    folded.update((n.lower(), n) for n in (cat.inputs if cat is not None else ()))
    ranked = sorted(seen.values(), key=lambda e: (-e.count, -len(e.files), e.order))
    plugins = cat.plugins if cat is not None else {}
    for ev in ranked:
        if ev.kind == "plugin" or (ev.kind == "input" and ev.name in tool_names):
            continue
        if ev.kind == "input" and ev.name in plugins:
            continue  # a declared plugin read as a value: no input may take its name
            # (the catalogue refuses it); `check` keeps reporting it
        twin = folded.get(ev.name.lower())
        if ev.near is None and twin is not None and twin != ev.name:
            ev.near = twin
        if ev.near is None:
            # a near miss of a more frequent name of this run (the usual case on a first
            # run over a fleet) is the same did-you-mean `check` will give once declared
            index[ev.kind].words = frozenset(
                w for w in ev.name.split("_") if users.get(w, 0) > 1)
            ev.near = index[ev.kind].near(ev.name)
        if not ev.near:
            index[ev.kind].add(ev.name)
            folded.setdefault(ev.name.lower(), ev.name)
        (typos if ev.near else accepted[ev.kind]).append(ev)
    return Proposal(sorted(accepted["tool"], key=lambda e: e.name),
                    sorted(accepted["input"], key=lambda e: e.name),
                    sorted(typos, key=lambda e: (e.name, e.kind)),
                    sorted((e for e in seen.values() if e.kind == "plugin"),
                           key=lambda e: e.name), n_files, unreadable)


def _tool_table(ev: Evidence) -> str:
    params = ", ".join(f'"{p}"' for p in ev.params())
    return (f"{ev.comment()}\n[tools.{ev.name}]\nparams = [{params}]\neffect = \"tool\"\n"
            "risk = \"unreviewed\"\ncapabilities = []\n")


def _input_lines(p: Proposal) -> list[str]:
    return [f"{ev.name} = \"any\"  {ev.comment()}" for ev in p.inputs]


def proposal_toml(p: Proposal) -> str:
    """The entries to add, as TOML text, followed by the likely typos and the calls on
    plugins not listed in `require:` as comments (so the whole text stays TOML)."""
    out = []
    if not p.empty:
        out.append(MARKER + "\n")
        out += ["\n" + _tool_table(ev) for ev in p.tools]
        if p.inputs:
            out.append("\n[inputs]\n" + "\n".join(_input_lines(p)) + "\n")
    out.append(proposal_notes(p))
    return "".join(out)


def proposal_notes(p: Proposal) -> str:
    """The likely typos and the calls on unlisted plugins, as TOML comment lines."""
    out = []
    if p.typos:
        out.append("\n# Likely typos, not declared (`aether check` reports them with a "
                   "did-you-mean):\n")
        out += [f"#   {ev.name} -> {ev.near}? ({ev.comment()[2:]})\n" for ev in p.typos]
    if p.plugin_calls:
        out.append("\n# Calls on plugins the workflow does not list under `require: "
                   "plugins:` (add the plugin there; then declare its functions under "
                   "[plugins.NAME.functions.FN]):\n")
        out += [f"#   {ev.name} ({ev.comment()[2:]})\n" for ev in p.plugin_calls]
    return "".join(out)


def _is_inputs_header(line: str) -> bool:
    """Whether ``line`` (outside any multi-line string) is the ``[inputs]`` table header,
    however written: ``[inputs]``, ``[ "inputs" ]``, ``['inputs']  # comment``."""
    from ..config import toml_reader

    s = line.strip()
    if not s.startswith("[") or s.startswith("[[") or "inputs" not in s:
        return False
    tomllib = toml_reader()
    try:
        return tomllib.loads(s) == {"inputs": {}}
    except tomllib.TOMLDecodeError:
        return False


def merge_into(existing: Optional[str], p: Proposal, path: str) -> str:
    """The text of ``path`` (``existing``: its current text, None when new) with the
    proposal added: new tables appended at the end under :data:`MARKER`, new inputs added
    at the end of an existing ``[inputs]`` table. Nothing a person wrote is changed.
    Raises ConfigError when the file's own layout leaves no place to add them (e.g.
    ``inputs = {...}`` inline) or the result would not be a valid catalogue."""
    from ..semantics.catalogue import load_catalogue
    from ..semantics.project import code_lines, merge_catalogue, parse_catalogue_text

    text = existing or ""
    if text and not text.endswith("\n"):
        text += "\n"
    lines = text.split("\n")
    block = [MARKER + "\n"] + ["\n" + _tool_table(ev) for ev in p.tools]
    if p.inputs:
        data = parse_catalogue_text(text.encode("utf-8"), path) if text else {}
        if "inputs" in data:
            code = code_lines(text)
            at = next((i for i, s in enumerate(lines) if code[i] and _is_inputs_header(s)),
                      None)
            if at is None:
                raise ConfigError(f"{path}: 'inputs' is not written as an [inputs] table; "
                                  "add these inputs by hand:\n" + "\n".join(_input_lines(p)))
            end = at + 1
            for i in range(at + 1, len(lines)):
                s = lines[i].strip()
                if code[i] and s.startswith("["):
                    break
                if s and not s.startswith("#"):
                    end = i + 1
            lines[end:end] = _input_lines(p)
            text = "\n".join(lines)
        else:
            block.append("\n[inputs]\n" + "\n".join(_input_lines(p)) + "\n")
    if p.tools or (p.inputs and len(block) > 1):
        text += ("\n" if text else "") + "".join(block)
    try:
        cat = merge_catalogue(load_catalogue(), [(path, text.encode("utf-8"))])
    except ConfigError as exc:
        raise ConfigError(f"cannot add the inferred entries to {path} ({exc}); "
                          "add them by hand") from None
    missing = [e.name for e in p.tools if e.name not in cat.tools] + \
        [e.name for e in p.inputs if e.name not in cat.inputs]
    if missing:  # pragma: no cover - defensive: the layout check above should prevent it
        raise ConfigError(f"cannot add {', '.join(missing)} to {path}; add them by hand")
    return text


_BOM = "\ufeff"


def write_proposal(path: str, p: Proposal, attempts: int = 5) -> Proposal:
    """Add ``p`` to the catalogue file ``path`` (see :func:`merge_into`), atomically, and
    return what was added: ``p`` without the tools and inputs the file declares by then
    (another ``infer --write`` running at the same time added them; nothing is declared
    twice, and a run that finds everything there writes nothing).

    Never through a link (refused before it is read); the file keeps its newline style
    and BOM. Runs at the same time take turns (:func:`aether.fileio.lock_file`); if the
    file still changes between the read and the write (an editor), or another process
    creates it meanwhile, nothing is written and the file is read again, up to
    ``attempts`` times: no one's change is lost.
    Raises ConfigError (the file cannot be read or extended) or
    :class:`aether.fileio.WriteError` (it cannot be written)."""
    from ..fileio import NAME_TAKEN, OUTPUT_IS_LINK, WriteError, lock_file

    for _ in range(attempts):
        if os.path.islink(path):
            raise WriteError(path, OUTPUT_IS_LINK)
        lock = lock_file(path)
        try:
            return _write_once(path, p)
        except WriteError as exc:
            if exc.reason != NAME_TAKEN and "changed on disk" not in exc.reason:
                raise
        finally:
            if lock is not None:
                os.close(lock)
    raise WriteError(path, "kept changing on disk while `aether tools infer` wrote it "
                     "(other runs, an editor?); left as it is: run it again")


def _write_once(path: str, p: Proposal) -> Proposal:
    """One read-merge-write of :func:`write_proposal`; raises WriteError on a race."""
    from ..fileio import encode_like, write_atomic, write_new
    from ..readfile import DocumentReadError, read_document
    from ..semantics.project import parse_catalogue_text

    try:
        raw: Optional[bytes] = read_document(path)
    except DocumentReadError as exc:
        if not exc.missing:
            raise ConfigError(f"cannot read {path}: it {exc}") from None
        raw = None
    existing = None
    if raw is not None:
        data = parse_catalogue_text(raw, path)  # also: not UTF-8, not TOML
        # merged with \n newlines and no BOM, then written in the file's own style
        existing = raw.decode("utf-8").removeprefix(_BOM).replace("\r\n", "\n")
        tools, inputs = data.get("tools"), data.get("inputs")
        p = Proposal([e for e in p.tools if not (isinstance(tools, dict) and e.name in tools)],
                     [e for e in p.inputs if not (isinstance(inputs, dict) and e.name in inputs)],
                     p.typos, p.plugin_calls, p.files, p.unreadable)
    if p.empty:
        return p
    text = merge_into(existing, p, path)
    if raw is None:
        write_new(path, text.encode("utf-8"))
    else:
        write_atomic(path, encode_like(raw, text), expect=raw)
    return p


def default_target(root: str) -> str:
    """Where `--write` writes: ``aether-tools.toml`` in the project root."""
    from ..semantics.project import CATALOGUE_FILE

    return os.path.join(root, CATALOGUE_FILE)
