"""The cdktf App: every stack of the project, with explicit dependencies."""

from __future__ import annotations

from pathlib import Path

from cdktf import App

from config.schema import Project
from stacks.access import AccessStack
from stacks.environment import EnvironmentStack
from stacks.gitlab import GitLabStack
from stacks.release import ReleaseStack


def build_app(project: Project, outdir: Path | str) -> App:
    """Stacks reference each other by deterministic names (config.names), never by outputs.

    Every other stack depends on the access stack (IAM only, seconds): their roles carry its
    permissions boundary, and the gitlab stack publishes its CI role ARNs. After it, the
    environments and the release stack are independent, so they deploy in parallel: the
    pipeline names the environments' clusters and deployment groups, but cannot run before a
    person completes the new GitLab connection's handshake, and its first build pushes the
    image the services run.
    """
    app = App(outdir=str(outdir), skip_validation=False)
    access = AccessStack(app, project)
    for env in project.environments:
        EnvironmentStack(app, project.settings, env).add_dependency(access)
    ReleaseStack(app, project).add_dependency(access)
    GitLabStack(app, project).add_dependency(access)
    return app
