"""CodePipeline: timestamps as the epoch numbers the Go SDK expects."""

from __future__ import annotations

from typing import Any

from moto.core.utils import unix_time


def patch_codepipeline_timestamps() -> None:
    """CodePipeline GetPipeline ``metadata.created/updated``, ListPipelines ``created/updated`` and
    ListPipelineExecutions ``startTime/lastUpdateTime``.

    moto writes ISO-8601 strings; the protocol (awsJson1.1) encodes timestamps as epoch-seconds
    JSON numbers, and the Go SDK v2 used by the provider fails with "expected Timestamp to be a
    JSON Number, got string", so aws_codepipeline cannot be read at all.
    """
    from moto.codepipeline.models import CodePipeline, PipelineExecution

    def metadata(self: CodePipeline) -> dict[str, Any]:
        return {
            "pipelineArn": self._arn,
            "created": unix_time(self._created),
            "updated": unix_time(self._updated),
        }

    CodePipeline.metadata = property(metadata)  # type: ignore[assignment,method-assign]

    original_summary = PipelineExecution.to_summary_dict

    def to_summary_dict(self: PipelineExecution) -> dict[str, Any]:
        summary = original_summary(self)
        summary["startTime"] = unix_time(self.start_time)
        summary["lastUpdateTime"] = unix_time(self.last_update_time)
        return summary

    PipelineExecution.to_summary_dict = to_summary_dict  # type: ignore[method-assign]
