"""`unlock STACK`: release a state lock that outlived its Terraform (killed, a lost CI runner, an OOM).

It asks first, as `terraform force-unlock` does, and marks the stack for recovery: the next
`deploy` of it adopts what the killed apply created but never wrote into the state
(orchestrator.recovery.adopt), instead of failing on "already exists" or creating duplicates.
"""

from __future__ import annotations

import argparse
import sys

from orchestrator.commands.report import confirm
from orchestrator.recovery.adopt import mark_recovery
from orchestrator.recovery.locks import read_lock
from orchestrator.session import open_session
from orchestrator.targets import TargetError


def unlock(args: argparse.Namespace) -> int:
    args.stacks = [args.stack]
    s = open_session(args, "unlock")
    stack = s.stacks[args.stack]
    if stack.backend is None:
        raise TargetError(f"stack {args.stack} has no S3 backend to unlock")
    lock = read_lock(s.target, args.stack, stack.backend)
    s.progress.close()
    if lock is None:
        print(f"{args.stack}: the state is not locked")
        return 0
    print(lock.describe())
    if not args.force and not confirm(
        f"Only release it if no Terraform is running for {args.stack} any more. Release it? Only 'yes' is accepted: ",
        f"refusing to unlock {args.stack} without confirmation; rerun with --force",
        exact="yes",
    ):
        return 1
    s.init(args.stack)
    s.runner(args.stack).force_unlock(lock.id)
    mark_recovery(s, args.stack)
    adopt = f"the next `python main.py deploy {args.stack}` adopts what the interrupted apply created"
    print(f"{args.stack}: released lock {lock.id}; {adopt}")
    return 0 if read_lock(s.target, args.stack, stack.backend) is None else _still_locked(args.stack)


def _still_locked(stack: str) -> int:
    print(f"error: {stack}: the lock is still there", file=sys.stderr)
    return 1
