"""`python -m aether`: the same as the `aether` command."""

from .cli.main import main

raise SystemExit(main())
