"""Shared constructs: one concern each, a pure function of a typed props object.

Modules never read files or environment variables and never know which target (local
emulator or AWS) they will be deployed to; the release strategy (`rolling` or
`blue_green`) is a typed prop branched on in exactly one place per module.
"""

from modules.bindings import use_lean_imports

use_lean_imports()  # before any module imports a provider binding: see modules/bindings.py
