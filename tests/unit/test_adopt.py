"""Adoption after a killed apply (orchestrator/recovery/adopt.py): every synthesized type is judged, and the
finders of the types a re-run would fail on or duplicate find the one resource meant, against the emulator."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import emulator
from orchestrator.recovery import adopt
from tests.unit.compat.helpers import REGION, emulator_clients

ROOT = Path(__file__).resolve().parents[2]

SECTIONS = ("Adopted:", "Safe to re-create:", "Not adopted, and why:")
TYPE = re.compile(r"\b(?:aws|gitlab|terraform)_[a-z0-9_]+[a-z0-9]\b")


def judged() -> dict[str, list[str]]:
    """Section heading -> the resource types the module docstring names under it."""
    doc = adopt.__doc__ or ""
    starts = [doc.index(f"\n{s}") for s in SECTIONS]
    bounds = [*starts[1:], len(doc)]
    return {s: TYPE.findall(doc[a:b]) for s, a, b in zip(SECTIONS, starts, bounds, strict=True)}


def synthesized_types(out: Path) -> set[str]:
    types: set[str] = set()
    for file in out.glob("stacks/*/cdk.tf.json"):
        types |= set(json.loads(file.read_text()).get("resource", {}))
    return types


@pytest.fixture(scope="module")
def every_type(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The repo's stacks, and staging as blue_green without NAT (the hook's interface endpoints): every type
    any configuration of the schema synthesizes."""
    from config import load_project
    from stacks.app import build_app

    tmp = tmp_path_factory.mktemp("variant")
    shutil.copytree(ROOT / "environments", tmp / "environments")
    path = tmp / "environments" / "staging.yaml"
    data = yaml.safe_load(path.read_text())
    data["deployment"]["strategy"] = "blue_green"
    data["release"]["notify"] = ["team@example.com"]
    path.write_text(yaml.safe_dump(data))
    build_app(load_project(ROOT, tmp / "environments"), tmp / "out").synth()
    variant = json.loads((tmp / "out" / "stacks" / "staging" / "cdk.tf.json").read_text())
    assert "aws_vpc_endpoint" in variant["resource"]
    return synthesized_types(synth_dir) | synthesized_types(tmp / "out")


def test_every_synthesized_type_is_judged_once_in_the_docstring(every_type: set[str]):
    sections = judged()
    named = [t for types in sections.values() for t in types]
    duplicates = sorted({t for t in named if named.count(t) > 1})
    assert duplicates == [], f"judged more than once: {duplicates}"
    missing = sorted(every_type - set(named))
    assert missing == [], f"synthesized but not judged in orchestrator/recovery/adopt.py's docstring: {missing}"
    assert set(sections["Adopted:"]) == set(adopt.FINDERS)


def test_the_five_types_a_rerun_fails_on_or_duplicates_are_adopted():
    assert {"aws_lambda_function", "aws_kms_alias", "aws_kms_key", "aws_vpc_endpoint", "aws_iam_policy"} <= set(
        adopt.FINDERS
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[adopt.Client]:
    state = tmp_path_factory.mktemp("emulator")
    running = emulator.start(state_dir=state)
    try:
        yield emulator_clients(str(running.endpoint))
    finally:
        emulator.stop(state_dir=state)


def test_the_kms_key_is_found_by_description_and_tags_never_pending_deletion(client: adopt.Client):
    kms = client("kms")
    tags = {"stack": "qa", "project": "acme-web"}

    def key(description: str, **tagged: str) -> str:
        listed = [{"TagKey": k, "TagValue": v} for k, v in tagged.items()]
        return str(kms.create_key(Description=description, Tags=listed)["KeyMetadata"]["KeyId"])

    planned = {"description": "acme-web-qa-release: topic key", "tags_all": tags}
    assert adopt.FINDERS["aws_kms_key"](client, planned) is None
    gone = key("acme-web-qa-release: topic key", **tags)
    kms.schedule_key_deletion(KeyId=gone, PendingWindowInDays=7)
    key("acme-web-qa-release: topic key", stack="staging", project="acme-web")  # another stack's
    key("acme-web-staging-release: topic key", **tags)
    assert adopt.FINDERS["aws_kms_key"](client, planned) is None
    mine = key("acme-web-qa-release: topic key", **tags, extra="yes")
    assert adopt.FINDERS["aws_kms_key"](client, planned) == mine
    assert adopt.FINDERS["aws_kms_key"](client, {"description": planned["description"]}) is None  # no tags: unsure

    kms.create_alias(AliasName="alias/acme-web-qa-release", TargetKeyId=mine)
    assert adopt.FINDERS["aws_kms_alias"](client, {"name": "alias/acme-web-qa-release"}) == "alias/acme-web-qa-release"
    assert adopt.FINDERS["aws_kms_alias"](client, {"name": "alias/acme-web-other"}) is None


def test_the_function_policy_and_endpoint_are_found(client: adopt.Client):
    iam = client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="acme-web-qa-release-hook", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    client("lambda").create_function(
        FunctionName="acme-web-qa-release-hook",
        Role=role["Arn"],
        Runtime="python3.11",
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    assert adopt.FINDERS["aws_lambda_function"](client, {"function_name": "acme-web-qa-release-hook"}) == (
        "acme-web-qa-release-hook"
    )
    with pytest.raises(Exception, match=r"(?i)not found"):  # find() reads a ClientError as "none"
        adopt.FINDERS["aws_lambda_function"](client, {"function_name": "acme-web-qa-other"})

    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
    policy = iam.create_policy(
        PolicyName="acme-web-qa-boundary", Path="/acme-web/", PolicyDocument=json.dumps(document)
    )
    assert (
        adopt.FINDERS["aws_iam_policy"](client, {"name": "acme-web-qa-boundary", "path": "/"})
        == policy["Policy"]["Arn"]
    )
    assert adopt.FINDERS["aws_iam_policy"](client, {"name": "ReadOnlyAccess"}) is None  # AWS-managed: not the account's

    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.31.10.0/24")["Subnet"]["SubnetId"]
    ecs = f"com.amazonaws.{REGION}.ecs"
    created = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=ecs, VpcEndpointType="Interface", SubnetIds=[subnet], PrivateDnsEnabled=True
    )["VpcEndpoint"]["VpcEndpointId"]
    planned = {"vpc_id": vpc, "service_name": ecs, "vpc_endpoint_type": "Interface"}
    assert adopt.FINDERS["aws_vpc_endpoint"](client, planned) == created
    assert adopt.FINDERS["aws_vpc_endpoint"](client, {**planned, "service_name": f"com.amazonaws.{REGION}.ec2"}) is None
    assert adopt.FINDERS["aws_vpc_endpoint"](client, {**planned, "vpc_id": None}) is None  # its VPC not adopted yet
    ec2.delete_vpc_endpoints(VpcEndpointIds=[created])
    assert adopt.FINDERS["aws_vpc_endpoint"](client, planned) is None
