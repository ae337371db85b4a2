"""The cdktf App: every stack of the project, with explicit dependencies."""

from __future__ import annotations

from pathlib import Path

from cdktf import App

from config.schema import Project
from stacks.environment import EnvironmentStack
from stacks.gitlab import GitLabStack
from stacks.release import ReleaseStack


def build_app(project: Project, outdir: Path | str) -> App:
    """The release pipeline deploys into the environments, so it comes after them;
    the gitlab stack publishes the release stack's role ARNs, so it comes last."""
    app = App(outdir=str(outdir), skip_validation=False)
    envs = [EnvironmentStack(app, project.settings, env) for env in project.environments]
    release = ReleaseStack(app, project)
    for env in envs:
        release.add_dependency(env)
    GitLabStack(app, project).add_dependency(release)
    return app
