"""The command line's typed values: each parser turns an argument's text into its value, or refuses it
saying what is expected, so a bad argument is a usage error before anything is synthesized or started.

argparse calls them as `type=`: the `argparse.ArgumentTypeError` they raise becomes one line,
`python main.py plan: error: argument --lock-timeout: expected a duration ..., got '5 minutes'`, and
exit code 2. What needs the configuration (stack and environment names) is checked right after
parsing by `unknown_names`. The module sits in config/, below both the orchestrator and cost.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from config.names import ACCESS_STACK, GITLAB_STACK, RELEASE_STACK
from config.schema import Project

NANOSECONDS = {
    "ns": 1,
    "us": 10**3,
    "µs": 10**3,
    "μs": 10**3,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
"""Go's time.ParseDuration units (µ: U+00B5 micro sign, μ: U+03BC mu), which Terraform's -lock-timeout takes."""
_DURATION_PART = re.compile(r"([0-9]+)?(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)")
_MAX_DURATION = 2**63 - 1  # Go's time.Duration is an int64 of nanoseconds
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
T = TypeVar("T")


def duration(value: str) -> str:
    """A wait in Terraform's syntax (Go's time.ParseDuration): `0`, `30s`, `5m`, `1h30m`, `1.5h`.

    Returned as written, for Terraform. Terraform 1.11 refuses the rest only once it runs (`5`,
    `5 m`, `1d`: "Failed to parse command-line flags"); a negative wait is refused here too."""
    expected = f"expected a duration such as 0s, 30s, 5m or 1h30m (units: h, m, s, ms, us, ns), got {value!r}"
    text = value[1:] if value[:1] in ("+", "-") else value
    if text == "0":
        return value
    total, at = 0, 0
    while at < len(text):
        part = _DURATION_PART.match(text, at)
        if not part or (part.group(1) is None and not part.group(2)):  # a number needs a digit: `.s` is not one
            raise argparse.ArgumentTypeError(expected)
        whole, fraction, unit = part.group(1) or "0", part.group(2) or "", part.group(3)
        total += int(whole) * NANOSECONDS[unit] + int(fraction or 0) * NANOSECONDS[unit] // 10 ** len(fraction)
        at = part.end()
    if not text or total > _MAX_DURATION:
        raise argparse.ArgumentTypeError(expected if not text else f"expected a duration below 2562047h, got {value!r}")
    if value.startswith("-") and total:
        raise argparse.ArgumentTypeError(f"expected a duration >= 0 (0s: do not wait), got {value!r}")
    return value


def count(value: str) -> int:
    """A whole number >= 1 (stacks at once)."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value!r}")
    return number


def seconds(value: str) -> float:
    """A positive, finite number of seconds (`nan`, `inf`, 0 and negatives are refused)."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {value!r}")
    return number


def text(value: str) -> str:
    """Words a person gives (a reason, a summary): not empty, not only spaces."""
    if not value.strip():
        raise argparse.ArgumentTypeError(f"expected a non-empty text, got {value!r}")
    return value.strip()


def stack(value: str) -> str:
    """A stack's name; whether the configuration has it is `unknown_names`' to say."""
    return _name(value, "stack")


def environment(value: str) -> str:
    """An environment's name (its YAML file's); whether it exists is `unknown_names`' to say."""
    return _name(value, "environment")


def _name(value: str, kind: str) -> str:
    if not _NAME.fullmatch(value):
        raise argparse.ArgumentTypeError(f"expected a {kind} name (letters, digits, '-', '_', '.'), got {value!r}")
    return value


def existing_directory(value: str) -> Path:
    path = Path(value)
    if not _probe(path, value).is_dir():
        found = "not found" if not path.exists() else "not a directory"
        raise argparse.ArgumentTypeError(f"expected an existing directory, got {value!r} ({found})")
    return path


def output_file(value: str) -> Path:
    """A file this run may write: it is a writable file, or its folder exists writable or can be made.
    Checked without creating anything; the command makes the folder when it writes."""
    path = _probe(Path(value), value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"expected a file to write, got {value!r} (a directory)")
    if path.exists() and not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"expected a file to write, got {value!r} (not writable)")
    if not path.exists():
        _creatable(path.parent, value, "a file to write")
    return path


def output_directory(value: str) -> Path:
    """A folder this run may write into: a writable directory, or one that can be made (nothing is made here)."""
    path = _probe(Path(value), value)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"expected a directory to write into, got {value!r} (a file)")
    _creatable(path, value, "a directory to write into")
    return path


def _probe(path: Path, value: str) -> Path:
    """`path`, once asking the file system about it works (an empty, NUL or over-long name does not)."""
    try:
        if not value:
            raise ValueError("empty")
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        pass  # not there (yet): the caller says whether it must be
    except (OSError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"expected a path, got {value!r} ({exc})") from exc
    return path


def _creatable(folder: Path, value: str, expected: str) -> None:
    """The nearest existing ancestor of `folder` is a directory this process may write in."""
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value!r} ({existing} is a file, not a folder)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value!r} (cannot write in {existing})")


@dataclass(frozen=True)
class GitRef:
    """A git ref as given (`origin/main`, `HEAD~1`, a SHA) and the commit it named when parsed."""

    name: str
    commit: str

    def __str__(self) -> str:
        return self.name


def git_ref(resolve: Callable[[str], str], *errors: type[Exception]) -> Callable[[str], GitRef]:
    """A parser resolving refs with `resolve` (synthesis.refs.resolve, which sits above config):
    its `errors` become usage errors, so an unknown ref stops the run before any synthesis."""

    def parse(value: str) -> GitRef:
        try:
            return GitRef(value, resolve(value))
        except errors as exc:
            raise argparse.ArgumentTypeError(f"expected a git ref naming a commit: {exc}") from exc

    parse.__name__ = "git_ref"
    return parse


def checked(parse: Callable[[str], T], *errors: type[Exception]) -> Callable[[str], T]:
    """An existing validator as a parser (artifacts.render.validate_commit): its `errors`, whose
    message says what is expected, become usage errors instead of argparse's bare "invalid value"."""

    def parser(value: str) -> T:
        try:
            return parse(value)
        except errors as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    parser.__name__ = parse.__name__
    return parser


def stack_names(project: Project) -> list[str]:
    """The stacks stacks.app.build_app synthesizes, known from the configuration alone (before synthesis)."""
    return [ACCESS_STACK, *(e.name for e in project.environments), RELEASE_STACK, GITLAB_STACK]


def unknown_names(parser: argparse.ArgumentParser, args: argparse.Namespace, project: Project) -> str | None:
    """The usage error for the first stack or environment (an argument typed `stack` or `environment`)
    the configuration does not have, naming the argument; None when every name is known."""
    known = {stack: stack_names(project), environment: [e.name for e in project.environments]}
    kinds = {stack: "stack", environment: "environment"}
    for action in chosen_parser(parser, args)._actions:
        if action.type not in known:
            continue
        value = getattr(args, action.dest, None)
        given: Iterable[str] = value if isinstance(value, list) else [] if value is None else [value]
        unknown = [n for n in given if n not in known[action.type]]
        if unknown:
            option = "/".join(action.option_strings) or action.metavar or action.dest
            names = ", ".join(repr(n) for n in unknown)
            expected = ", ".join(known[action.type])
            return f"argument {option}: unknown {kinds[action.type]} {names}; expected one of {expected}"
    return None


def usage_error(parser: argparse.ArgumentParser, args: argparse.Namespace, message: str) -> int:
    """Say `message` as argparse says a usage error (the chosen command's usage, then one
    `prog: error: ...` line) for a check made after parsing; returns the exit code, 2."""
    chosen = chosen_parser(parser, args)
    chosen.print_usage(sys.stderr)
    print(f"{chosen.prog}: error: {message}", file=sys.stderr)
    return 2


def chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)parser of the command `args` chose: `release wait`'s for `python main.py release wait`."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None)
            if name in action.choices:
                return chosen_parser(action.choices[name], args)
    return parser
