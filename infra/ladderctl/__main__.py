import sys

from ladderctl.cli import main

sys.exit(main())
