"""compat.codepipeline: timestamps as epoch numbers."""

from __future__ import annotations

from typing import Any

from tests.unit.compat.helpers import Client, is_json_number, raw_bodies, role, unique


def test_codepipeline_timestamps_are_epoch_numbers(client: Client) -> None:
    codepipeline = client("codepipeline")
    bodies = raw_bodies(codepipeline)
    name = unique("pipeline")

    def stage(name: str) -> dict[str, Any]:
        source = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}
        return {
            "name": name,
            "actions": [
                {
                    "name": "a",
                    "actionTypeId": source,
                    "configuration": {"S3Bucket": "bucket", "S3ObjectKey": "key"},
                    "outputArtifacts": [{"name": "out"}],
                }
            ],
        }

    pipeline = {
        "name": name,
        "roleArn": role(client, "codepipeline.amazonaws.com"),
        "artifactStore": {"type": "S3", "location": "artifact-bucket"},
        "stages": [stage("One"), stage("Two")],
    }
    codepipeline.create_pipeline(pipeline=pipeline)
    codepipeline.get_pipeline(name=name)
    codepipeline.update_pipeline(pipeline={**pipeline, "stages": [stage("One"), stage("Three")]})
    codepipeline.list_pipelines()
    codepipeline.start_pipeline_execution(name=name)
    codepipeline.list_pipeline_executions(pipelineName=name)

    metadata = bodies["GetPipeline"]["metadata"]
    assert is_json_number(metadata["created"]) and is_json_number(metadata["updated"])
    (listed,) = [p for p in bodies["ListPipelines"]["pipelines"] if p["name"] == name]
    assert is_json_number(listed["created"]) and is_json_number(listed["updated"])
    assert listed["version"] == 2
    (execution,) = bodies["ListPipelineExecutions"]["pipelineExecutionSummaries"]
    assert is_json_number(execution["startTime"]) and is_json_number(execution["lastUpdateTime"])
