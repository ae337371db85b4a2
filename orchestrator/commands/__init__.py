"""The CLI's commands: synthesize once, then drive Terraform per stack on a target (see orchestrator.session)."""

from orchestrator.commands.deploy import deploy
from orchestrator.commands.destroy import destroy
from orchestrator.commands.misc import drift, local, output, schema, synth
from orchestrator.commands.plan import plan
from orchestrator.commands.state import unlock

__all__ = ["deploy", "destroy", "drift", "local", "output", "plan", "schema", "synth", "unlock"]
