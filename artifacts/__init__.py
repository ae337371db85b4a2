"""Release artifacts of a commit: imageDetail.json, and per environment imagedefinitions.json,
taskdef.json and appspec.yaml.

Runs inside CodeBuild, so it imports only `config`, PyYAML and pydantic (never cdktf):
`pip install -r artifacts/requirements.txt && python -m artifacts --commit SHA`.
"""

from artifacts.render import (
    APPSPEC,
    IMAGE_DEFINITIONS,
    IMAGE_DETAIL,
    TASK_DEFINITION,
    TASK_DEFINITION_PLACEHOLDER,
    InvalidCommit,
    UnknownEnvironment,
    appspec,
    image_definitions,
    render,
    select_environments,
    validate_commit,
    write,
)

__all__ = [
    "APPSPEC",
    "IMAGE_DEFINITIONS",
    "IMAGE_DETAIL",
    "TASK_DEFINITION",
    "TASK_DEFINITION_PLACEHOLDER",
    "InvalidCommit",
    "UnknownEnvironment",
    "appspec",
    "image_definitions",
    "render",
    "select_environments",
    "validate_commit",
    "write",
]
