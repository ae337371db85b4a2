"""`docker` for builds on a machine without a container engine (run as a program, not imported).

- ``docker login ...``: reads the password from stdin (``--password-stdin``) and says so.
- ``docker build ... --tag URI CONTEXT``: builds nothing; records CONTEXT under $ENGINE_IMAGES/<tag>/
  (what the local target runs as that image's tasks) and says that no image was built.
- ``docker push URI``: PutImage of a manifest tagged <tag> in ECR, with the build's credentials
  (so the build role's ecr:PutImage is what allows it), and says that the manifest names no layers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path


def _tag(uri: str) -> tuple[str, str]:
    repository, _, tag = uri.rpartition(":")
    return repository.split("/", 1)[1], tag


def main(argv: list[str]) -> int:
    if not argv:
        print("docker (local shim): expected login, build or push", file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    if command == "login":
        if "--password-stdin" in args:
            sys.stdin.read()
        print("Login Succeeded (local shim: no registry login happens)")
        return 0
    if command == "build":
        tags = [args[i + 1] for i, a in enumerate(args) if a in ("--tag", "-t")]
        context = Path(args[-1])
        for uri in tags:
            store = Path(os.environ["ENGINE_IMAGES"]) / _tag(uri)[1]
            if store.exists():
                shutil.rmtree(store)
            shutil.copytree(context, store)
        print(
            f"no container engine on this machine: no image was built for {', '.join(tags)}; "
            f"the local target runs {context}/server.py as its tasks"
        )
        return 0
    if command == "push":
        import boto3

        repository, tag = _tag(args[-1])
        config = json.dumps({"local-shim": True, "context": tag}).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
            },
            "layers": [],
        }
        from botocore.exceptions import ClientError

        try:
            boto3.client("ecr").put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            print(f"docker push {args[-1]}: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
            return 1
        print(f"pushed a manifest (no layers: no image was built) to {args[-1]}")
        return 0
    print(f"docker (local shim): {command} is not supported without a container engine", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
