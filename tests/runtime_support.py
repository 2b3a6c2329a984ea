"""Helpers shared by the runtime tests: test dispatchers and a one-call runner."""

from __future__ import annotations

import time

from aether.runtime.api import RunOptions, run_source
from aether.runtime.dispatch import Dispatcher


class StubDispatcher(Dispatcher):
    """Every tool answers null, except ``fixture.fail`` (raises) and names in ``answers``.

    Not a simulation (``simulate`` stays false), so transactions need compensations.
    """

    def __init__(self, answers=None, sleeps=None):
        super().__init__()
        self.answers = dict(answers or {})
        self.sleeps = dict(sleeps or {})
        self.tool_log = []

    def call_tool(self, tool_call, ctx):
        self.tool_log.append((tool_call.tool, tool_call.args, tool_call.kwargs))
        if tool_call.tool == "fixture.fail":
            raise OSError("the fixture tool always fails")
        if tool_call.tool in self.sleeps:
            time.sleep(self.sleeps[tool_call.tool])
        answer = self.answers.get(tool_call.tool)
        if callable(answer):
            return answer(tool_call)
        return answer


GOAL = 'goal: "test"\n'


def run(body, *, simulate=True, inputs=None, dispatcher=None, goal=True, **options):
    text = (GOAL if goal else "") + body
    return run_source(text, "t.aether", inputs=inputs, simulate=simulate,
                      dispatcher=dispatcher, options=RunOptions(**options))


def outputs(body, **kw):
    result = run(body, **kw)
    assert result.status == 0, (result.error, [(f.rule, f.message) for f in result.findings])
    return result.outputs
