"""moto's server, quieter and at a chosen priority (`python -m ladderctl.quiet_moto NICENESS -H HOST -p PORT`).

werkzeug logs every request at INFO; under a burst formatting those lines (sent to /dev/null by
the local stack) took about a tenth of moto's CPU, and moto shares two cores with the stack.
NICENESS is added to the process's niceness (0: unchanged; local_aws.py lowers DynamoDB's).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

from moto.server import main

if __name__ == "__main__":
    niceness = int(sys.argv.pop(1))
    if niceness:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(niceness)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    main()
