"""Exit 0 when this interpreter's environment has every version Pipfile.lock pins, else
print the differences and exit 1 (ci/venv.sh then installs the lock with pipenv).

    $VENV_DIR/bin/python ci/venv_matches_lock.py [Pipfile.lock]

Standard library only, and no import of the packages themselves: it takes ~50 ms.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import PackageNotFoundError, version


def differences(lock: dict) -> list[str]:
    wrong = []
    for section in ("default", "develop"):
        for name, spec in lock.get(section, {}).items():
            want = spec.get("version", "").removeprefix("==")
            try:
                have = version(name)
            except PackageNotFoundError:
                if "markers" in spec:  # e.g. a Windows-only dependency
                    continue
                have = None
            if have != want:
                wrong.append(f"{name} {have or 'missing'} (locked {want})")
    return wrong


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "Pipfile.lock"
    with open(path) as fh:
        wrong = differences(json.load(fh))
    if wrong:
        print(f"venv: {sys.prefix} differs from {path}: " + ", ".join(wrong[:5]) + (" ..." if len(wrong) > 5 else ""))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
