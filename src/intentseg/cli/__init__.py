"""The ``intentseg`` command line: thin commands over the library.

Each command module registers its commands on :data:`app`; errors are converted once, here, at the edge.
"""

from __future__ import annotations

import sys

# Command modules register themselves on import (one module per command group).
from . import config as _config  # noqa: F401,E402
from . import dbt as _dbt  # noqa: F401,E402
from . import deliver as _deliver  # noqa: F401,E402
from . import demo as _demo  # noqa: F401,E402
from . import features as _features  # noqa: F401,E402
from . import generate as _generate  # noqa: F401,E402
from . import ingest as _ingest  # noqa: F401,E402
from . import pipeline as _pipeline  # noqa: F401,E402
from . import segment as _segment  # noqa: F401,E402
from . import serve as _serve  # noqa: F401,E402
from . import stream as _stream  # noqa: F401,E402
from .app import app, run_app

__all__ = ["app", "main"]


def main() -> None:
    run_app(sys.argv[1:])
