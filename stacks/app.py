"""The cdktf App: every stack of the project, with explicit dependencies."""

from __future__ import annotations

from pathlib import Path

from cdktf import App

from config.schema import Project
from stacks.environment import EnvironmentStack
from stacks.gitlab import GitLabStack
from stacks.release import ReleaseStack


def build_app(project: Project, outdir: Path | str) -> App:
    """Stacks reference each other by deterministic names (config.names), never by outputs.

    The environments and the release stack are independent, so they deploy in parallel:
    the pipeline names the environments' clusters and deployment groups, but cannot run
    before a person completes the new GitLab connection's handshake, and its first build
    pushes the image the services run. The gitlab stack publishes the release stack's CI
    role ARNs, so it depends on it.
    """
    app = App(outdir=str(outdir), skip_validation=False)
    for env in project.environments:
        EnvironmentStack(app, project.settings, env)
    release = ReleaseStack(app, project)
    GitLabStack(app, project).add_dependency(release)
    return app
