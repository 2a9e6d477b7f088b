"""Every `python -m ablab` command, one module each (ablab.cli.main dispatches)."""
