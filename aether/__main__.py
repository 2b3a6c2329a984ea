"""The `aether` command's entry point: `python -m aether` and the `aether` console script.

Its first statement makes Ctrl-C (and SIGTERM) end the process with one line and status
130 (143) while the rest of the command is imported, before :func:`aether.cli.main.main`
installs its own handling, and after it returns (:func:`aether.interrupt.handle_startup`;
aether.interrupt costs nothing extra: the command imports it anyway). Before it runs only
the interpreter's start-up, the console script's ``import re`` and this package's empty
``__init__`` can be interrupted; those end as Python does.
"""

from .interrupt import handle_startup

handle_startup()


def main() -> int:
    """Run the command on ``sys.argv``; return its exit status."""
    from .cli.main import main as run

    status = run()
    # `python -m` (only it) ends by SIGINT, whatever the status, when a KeyboardInterrupt
    # ever left a string exec()/eval() (namedtuple and dataclasses build their methods so,
    # and Ctrl-C may land there during a lazy import), even one caught and reported here
    # (CPython's unhandled_keyboard_interrupt flag). Every string exec() clears the flag.
    exec("pass", {})  # noqa: S102 - a constant
    return status


if __name__ == "__main__":
    raise SystemExit(main())
