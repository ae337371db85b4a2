"""Duplicates AWS refuses and moto creates: what a re-run after a killed apply must meet as it would on AWS.

A retry of a killed apply re-creates what the killed run created but never wrote into its state
(orchestrator/recovery/adopt.py adopts it first). Where moto accepts the second create, a test of
that recovery proves nothing, so the emulator refuses it as AWS does.
"""

from __future__ import annotations

from typing import Any

from emulator.compat._patching import Original, wrap_existing

GONE = ("deleting", "deleted", "rejected", "failed", "expired")
"""Endpoint states whose private DNS names no longer take a VPC's domain."""


def patch_ec2_private_dns_conflict() -> None:
    """EC2 CreateVpcEndpoint: a second interface endpoint with private DNS for the same service in the
    same VPC is refused, as AWS refuses it.

    AWS answers "InvalidParameter: private-dns-enabled cannot be set because there is already a
    conflicting DNS domain for <service DNS name> in the VPC <vpc-id>" (hashicorp/terraform-provider-aws
    #17269; the private hosted zone AWS creates for the service's DNS name can exist once per VPC:
    AWS PrivateLink guide, "DNS hostnames"). moto 5.2.5 creates the second endpoint.
    """
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.vpcs import VPCBackend

    @wrap_existing(VPCBackend, "create_vpc_endpoint")
    def create_vpc_endpoint(
        original: Original, self: Any, vpc_id: str, service_name: str, *args: Any, **kw: Any
    ) -> Any:
        endpoint_type = kw.get("endpoint_type", args[0] if args else None)
        if str(endpoint_type or "").lower() == "interface" and kw.get("private_dns_enabled") is not False:
            for other in self.vpc_end_points.values():
                if (
                    other.vpc_id == vpc_id
                    and other.service_name == service_name
                    and str(other.vpc_endpoint_type or "").lower() == "interface"
                    and other.private_dns_enabled
                    and str(other.state).lower() not in GONE
                ):
                    domain = service_name.removeprefix("com.amazonaws.").split(".", 1)
                    host = f"{domain[1]}.{domain[0]}.amazonaws.com" if len(domain) == 2 else service_name
                    raise EC2ClientError(
                        "InvalidParameter",
                        f"private-dns-enabled cannot be set because there is already a conflicting DNS domain "
                        f"for {host} in the VPC {vpc_id}",
                    )
        return original(self, vpc_id, service_name, *args, **kw)


def patch_iam_policy_names_unique() -> None:
    """IAM CreatePolicy: a customer-managed policy name is unique in the account whatever its path, and
    names are not distinguished by case, as AWS enforces.

    "IAM user, group, role, and policy names must be unique within the account. Names are not
    distinguished by case. For example, you cannot create resources named both "MyResource" and
    "myresource"." (IAM API reference, CreatePolicy, PolicyName). moto 5.2.5 refuses only the same ARN
    (same path, same case), so a policy moved to another path, or re-created by a retry under it, is
    accepted twice.
    """
    from moto.iam.exceptions import EntityAlreadyExists
    from moto.iam.models import IAMBackend

    @wrap_existing(IAMBackend, "create_policy")
    def create_policy(original: Original, self: Any, *args: Any, **kw: Any) -> Any:
        name = str(kw.get("policy_name", args[3] if len(args) > 3 else "")).lower()
        for policy in self.managed_policies.values():
            if policy.arn.split(":")[4] == self.account_id and policy.name.lower() == name:
                raise EntityAlreadyExists(
                    f"A policy called {policy.name} already exists. Duplicate names are not allowed."
                )
        return original(self, *args, **kw)
