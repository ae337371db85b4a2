"""Lifecycle helpers that cdktf 0.21 gets wrong.

Terraform accepts only bare references in `replace_triggered_by` (`terraform_data.x`), but
cdktf renders a resource object there as an interpolation (`${terraform_data.x}`), which
Terraform rejects ("Invalid character"). `references` spells them the way Terraform wants.
"""

from __future__ import annotations

from cdktf import TerraformResource


def references(*resources: TerraformResource) -> list[str]:
    return [f"{r.terraform_resource_type}.{r.friendly_unique_id}" for r in resources]
