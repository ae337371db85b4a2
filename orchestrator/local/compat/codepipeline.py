"""CodePipeline: timestamps as the epoch numbers the Go SDK expects."""

from __future__ import annotations

from typing import Any

from moto.core.utils import unix_time

from orchestrator.local.compat._patching import Original, wrap_existing


def patch_codepipeline_timestamps() -> None:
    """CodePipeline GetPipeline ``metadata.created/updated``, ListPipelines ``created/updated`` and
    ListPipelineExecutions ``startTime/lastUpdateTime``.

    moto writes ISO-8601 strings; the protocol (awsJson1.1) encodes timestamps as epoch-seconds
    JSON numbers, and the Go SDK v2 used by the provider fails with "expected Timestamp to be a
    JSON Number, got string", so aws_codepipeline cannot be read at all.
    """
    from moto.codepipeline.models import CodePipeline, PipelineExecution

    @wrap_existing(CodePipeline, "metadata")
    def metadata(original: Original, self: CodePipeline) -> dict[str, Any]:
        return {**original(self), "created": unix_time(self._created), "updated": unix_time(self._updated)}

    @wrap_existing(PipelineExecution, "to_summary_dict")
    def to_summary_dict(original: Original, self: PipelineExecution) -> dict[str, Any]:
        summary = original(self)
        summary["startTime"] = unix_time(self.start_time)
        summary["lastUpdateTime"] = unix_time(self.last_update_time)
        return summary
