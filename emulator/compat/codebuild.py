"""CodeBuild: CODEPIPELINE sources, UpdateProject, DeleteProject by ARN."""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import unix_time

from emulator.compat._patching import Original, add_missing, wrap_existing

# Source types that AWS lets omit a location: the source comes from CodePipeline or there is none.
_SOURCES_WITHOUT_LOCATION = {"CODEPIPELINE", "NO_SOURCE"}
# CreateProject members moto's create_project already stores.
_MOTO_PROJECT_MEMBERS = {
    "name", "description", "source", "artifacts", "environment", "serviceRole", "tags", "cache",
    "timeoutInMinutes", "queuedTimeoutInMinutes", "sourceVersion", "logsConfig", "vpcConfig",
}  # fmt: skip


def _store_project_members(project: Any, members: dict[str, Any]) -> None:
    """Write CreateProject/UpdateProject request members into moto's stored Project."""
    metadata = project.project_metadata
    for member, value in members.items():
        if member == "name":
            continue
        if member == "badgeEnabled":
            metadata["badge"] = {"badgeEnabled": bool(value)}
            continue
        if member == "serviceRole":
            project.service_role = value
        if member == "tags":
            project.tags = value
        metadata[member] = value


def patch_codebuild_create_project() -> None:
    """CodeBuild CreateProject with ``source.type``/``artifacts.type`` CODEPIPELINE.

    moto demands ``source.location`` for every source type (and an artifacts location for
    CODEPIPELINE artifacts); AWS only requires it where the source is fetched from a
    location, so the project build step of a pipeline (source and artifacts CODEPIPELINE, no
    location) fails with "Project source location is required". moto also drops members it
    does not model (secondarySources, secondaryArtifacts, encryptionKey, badgeEnabled,
    concurrentBuildLimit, fileSystemLocations, buildBatchConfig, autoRetryLimit...), which AWS
    returns from BatchGetProjects; they are now kept. Types outside the AWS enums and missing
    locations for location-based types are still rejected.
    """
    from moto.codebuild import responses
    from moto.codebuild.exceptions import InvalidInputException

    @wrap_existing(responses, "_validate_required_params_source")
    def validate_source(original: Original, source: dict[str, Any]) -> None:
        if source.get("type") in _SOURCES_WITHOUT_LOCATION:
            return
        # GITLAB* are in the AWS SourceType enum but missing from moto's list
        if source.get("type") in {"GITLAB", "GITLAB_SELF_MANAGED"}:
            if not source.get("location"):
                raise InvalidInputException("Project source location is required")
            return
        original(source)

    @wrap_existing(responses, "_validate_required_params_artifacts")
    def validate_artifacts(original: Original, artifacts: dict[str, Any]) -> None:
        if artifacts.get("type") == "CODEPIPELINE":
            return
        original(artifacts)

    @wrap_existing(responses.CodeBuildResponse, "create_project")
    def create_project(original: Original, self: Any) -> ActionResult:
        result: ActionResult = original(self)
        members = json.loads(self.body or "{}")
        project = self.codebuild_backend.codebuild_projects[members["name"]]
        extra = {k: v for k, v in members.items() if k not in _MOTO_PROJECT_MEMBERS}
        _store_project_members(project, extra)
        return result


def patch_codebuild_update_project() -> None:
    """CodeBuild UpdateProject.

    Not implemented by moto 5.2.5 (HTTP 500), so any in-place change to an
    aws_codebuild_project fails. Implemented as on AWS: the members sent replace the stored
    ones (validated like CreateProject), ``lastModified`` moves, the project is returned.
    """
    from moto.codebuild import responses
    from moto.codebuild.exceptions import ResourceNotFoundException

    @add_missing(responses.CodeBuildResponse, "update_project")
    def update_project(self: Any) -> ActionResult:
        members = json.loads(self.body or "{}")
        name = members.get("name", "")
        backend = self.codebuild_backend
        project = backend.codebuild_projects.get(name) or next(
            (p for p in backend.codebuild_projects.values() if p.arn == name), None
        )
        if project is None:
            raise ResourceNotFoundException(
                f"Project cannot be found: arn:{self.partition}:codebuild:{self.region}:"
                f"{self.current_account}:project/{name}"
            )
        if "source" in members:
            responses._validate_required_params_source(members["source"])
        if "artifacts" in members:
            responses._validate_required_params_artifacts(members["artifacts"])
        if "environment" in members:
            responses._validate_required_params_environment(members["environment"])
        if "serviceRole" in members:
            responses._validate_required_params_service_role(self.current_account, self.region, members["serviceRole"])
        _store_project_members(project, members)
        project.project_metadata["lastModified"] = unix_time()
        return ActionResult({"project": project.project_metadata})


def patch_codebuild_delete_project_by_arn() -> None:
    """CodeBuild DeleteProject with the project ARN.

    The provider deletes an aws_codebuild_project by its id, the project ARN; AWS accepts a
    name or an ARN, moto only pops by name, so the project silently survives ``terraform
    destroy`` and the next apply fails with ResourceAlreadyExistsException.
    """
    from moto.codebuild.models import CodeBuildBackend

    @wrap_existing(CodeBuildBackend, "delete_project")
    def delete_project(original: Original, self: CodeBuildBackend, project_name: str) -> None:
        for name, project in self.codebuild_projects.items():
            if project.arn == project_name:
                project_name = name
                break
        original(self, project_name)
