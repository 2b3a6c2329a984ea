"""The JSON forms of a report: one document (--format json) or one finding per line (jsonl)."""

from __future__ import annotations

import json
TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Any, Sequence, TextIO

from .. import __version__
from ..diagnostics import FileResult
from ..gcpause import gc_paused
from .records import all_findings, file_record, finding_record, json_status, summary

__all__ = ["report_document", "write_json", "write_jsonl", "write_json_status"]


def report_document(results: Sequence[FileResult]) -> dict[str, Any]:
    """The --format json document: tool, version, summary, then one record per file."""
    return {
        "tool": "aether",
        "version": __version__,
        "summary": summary(results),
        "files": [file_record(r) for r in results],
    }


@gc_paused  # the records and texts made here hold no cycles
def write_json(results: Sequence[FileResult], out: TextIO) -> None:
    """Write the document, indented, non-ASCII kept as is, with a trailing newline:
    byte for byte ``json.dumps(report_document(results), indent=2, ensure_ascii=False)``.

    The file records are written into the document's ``files`` list as text: a clean
    file's record, most of a large run, is a fixed text around its encoded path, and the
    records of the other files are put together from three batch encodings (below), not
    encoded one object at a time (which was most of a warm re-check's report).
    """
    from json.encoder import encode_basestring

    from .indented import dumps_indented

    head = dumps_indented({"tool": "aether", "version": __version__,
                           "summary": summary(results), "files": []})
    if not results:
        out.write(head + "\n")
        return
    before, after = _clean_record_template()
    dirty = iter(_records_with_findings([r for r in results if r.findings or r.suppressed]))
    parts = [head[:-len("[]\n}")], "[\n    "]
    sep = ""
    for r in results:
        parts.append(sep)
        sep = ",\n    "
        if not r.findings and not r.suppressed:
            parts.append(before + encode_basestring(r.path) + after)
        else:
            parts.append(next(dirty))
    parts.append("\n  ]\n}\n")
    out.write("".join(parts))


def _bodies(dicts: list, indent: str) -> list[str]:
    """The text of each dict of scalars in ``dicts`` as json.dumps with indent=2 writes it
    at ``indent`` (its keys one level further in), without the braces and the newlines
    next to them.

    One call of the C encoder for all of them, its item separator carrying the newline and
    the indentation: where one dict ends and the next begins, ``}`` + separator + ``{``, is
    the only place the text can be cut (inside a dict the separator is followed by a key,
    a ``"``, and no encoded string holds a raw newline). Raises ValueError for a
    non-finite number and TypeError for a value JSON cannot hold, as json.dumps does.
    """
    if not dicts:
        return []
    from .indented import leaf_encoder

    item_sep = ",\n" + indent + "  "
    text = "".join(leaf_encoder(item_sep)(dicts, 0))  # '[{' ... '}]'
    return text[2:-2].split("}" + item_sep + "{")


def _records_with_findings(results: list[FileResult]) -> list[str]:
    """The text of each record (:func:`.records.file_record`) of these results, at the
    indentation of the document's ``files`` list."""
    heads, found, counts = [], [], []
    for r in results:
        record = file_record(r)
        findings, suppressed = record.pop("findings"), record.pop("suppressed")
        heads.append(record)
        found += findings
        found += suppressed
        counts.append((len(findings), len(suppressed)))
    head_texts = _bodies(heads, "    ")
    finding_texts = _bodies(found, "        ")
    open_item = "{\n          "
    between = "\n        },\n        {\n          "
    close_list = "\n        }\n      ]"
    texts = []
    k = 0
    for head, (n_found, n_suppressed) in zip(head_texts, counts):
        parts = ["{\n      ", head, ',\n      "findings": ']
        for n, key in ((n_found, None), (n_suppressed, ',\n      "suppressed": ')):
            if key:
                parts.append(key)
            if n:
                parts += ("[\n        ", open_item, between.join(finding_texts[k:k + n]),
                          close_list)
                k += n
            else:
                parts.append("[]")
        parts.append("\n    }")
        texts.append("".join(parts))
    return texts


_TEMPLATE: list = []


def _clean_record_template() -> tuple[str, str]:
    """The text of a clean file's record, two levels in, before and after its path."""
    if not _TEMPLATE:
        from json.encoder import encode_basestring

        from .indented import dumps_indented

        marker = "\0path"
        text = dumps_indented(file_record(FileResult(marker, [], []))).replace("\n", "\n    ")
        before, after = text.split(encode_basestring(marker))
        _TEMPLATE.extend((before, after))
    return _TEMPLATE[0], _TEMPLATE[1]


def write_jsonl(results: Sequence[FileResult], out: TextIO, *,
                show_suppressed: bool = False) -> None:
    """Write one finding per line, ``file`` first and ``suppressed`` last on each.

    Files in the given order, findings in source order; suppressed findings only when
    ``show_suppressed``. A run with no findings writes nothing.
    """
    for result in results:
        for finding, suppressed in all_findings(result):
            if suppressed and not show_suppressed:
                continue
            record = {"file": result.path}
            record.update(finding_record(finding, suppressed))
            record["suppressed"] = suppressed
            out.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")


def write_json_status(results: Sequence[FileResult], out: TextIO) -> None:
    """Write the ``--json-status`` object of each file (:func:`.records.json_status`),
    one per line, in the given order."""
    for result in results:
        out.write(json.dumps(json_status(result), ensure_ascii=False, allow_nan=False) + "\n")
