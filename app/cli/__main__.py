"""`python -m app.cli`: the `bangfu` command line."""

from app.cli import main

raise SystemExit(main())
