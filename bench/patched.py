"""Rasa or the action server with the bench's candidate fixes applied in that process only.

The fixes are measured side by side with the unchanged assistant; the product code is not touched:

    python -m bench.patched rasa run --model M ...   Rasa validates action-server answers with a
                                                     JSON-schema validator built once (bench/profile_rasa.py)
    python -m bench.patched actions --actions actions --port N
                                                     the action server opens SQLite with a connection pool
                                                     (bench/profile_actions.py)
"""

from __future__ import annotations

import sys


def main() -> None:
    which = sys.argv.pop(1) if len(sys.argv) > 1 else ""
    if which == "rasa":
        from bench.profile_rasa import cached_validation

        cached_validation()
        from rasa.__main__ import main as rasa_main

        sys.argv[0] = "rasa"
        rasa_main()
    elif which == "actions":
        from bench.profile_actions import database_variant

        database_variant("pool")
        from rasa_sdk.__main__ import main as sdk_main

        sys.argv[0] = "rasa_sdk"
        sdk_main()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
