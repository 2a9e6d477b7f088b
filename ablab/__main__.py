"""`python -m ablab <command>` (the commands live in ablab/cli/)."""

import sys

from ablab.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
