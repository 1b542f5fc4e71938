"""`python -m registry_core`: the `registry` command."""

import sys

from ._cli import main

sys.exit(main())
