"""`aether migrate`: convert legacy-dialect ``.aether`` files to Aether 1.2, losslessly.

Pipeline: :mod:`.tokens` (a forgiving tokenizer) -> :mod:`.parser` (one parser for every
dialect, into the tree of :mod:`.ir`) -> :mod:`.convert` (the named rules of :mod:`.rules`,
untouched statements copied byte for byte) -> :mod:`.engine` (the never-worse check with
the project's checker, fingerprint remap, atomic rewrite) -> :mod:`.run` (many files,
``--jobs``) -> :mod:`.report` (Markdown and JSON) -> :mod:`.remap` (apply the fingerprint
remap to suppression lists and baselines). ``docs/migrate.md`` is the user guide.
"""

from .engine import MigrateOptions, Outcome, migrate_file, migrate_text
from .rules import RULES, RuleSelection

__all__ = ["MigrateOptions", "Outcome", "migrate_file", "migrate_text", "RULES",
           "RuleSelection"]
