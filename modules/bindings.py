"""Import only the provider bindings this project uses, not all of them.

The `__init__` of cdktf-cdktf-provider-aws imports every one of its ~2,100 resource
submodules: ~9 s and ~500 MB of Python per synth, for the ~45 used here. Registering
each provider package as a bare package (its path, no code run) before anything imports
it makes `from cdktf_cdktf_provider_aws.vpc import Vpc` load just the jsii assembly
(`_jsii`) and `vpc`. What the package `__init__` adds is that list of imports and
`publication.publish()` (which only hides names on the package object); the synthesized
JSON is byte-identical either way (tests/unit/test_stacks.py checks it).
"""

from __future__ import annotations

import importlib.util
import sys
import types

PACKAGES = ("cdktf_cdktf_provider_aws", "cdktf_cdktf_provider_gitlab")


def use_lean_imports(packages: tuple[str, ...] = PACKAGES) -> None:
    """Idempotent; a package already imported in full is left as it is."""
    for name in packages:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue  # not installed: the import that needs it reports that
        package = types.ModuleType(name, f"{name}, without its all-submodules __init__ (see modules.bindings)")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        package.__file__ = spec.origin
        package.__package__ = name
        sys.modules[name] = package
