"""The spec models' shared base: strict, frozen, no unknown keys; the name and CIDR types every section uses."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from mlstack.spec.names import DNS_LABEL, NAME_MAX

Name = Annotated[str, Field(pattern=DNS_LABEL, min_length=1, max_length=NAME_MAX)]
Cidr = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]


class Model(BaseModel):
    # defer_build: a section's own validator is built only if the section is validated alone; the spec's
    # validator (``Spec`` builds at import) holds every section's schema, so a command builds one validator
    # instead of one per model (about a tenth of the spec models' import).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)
