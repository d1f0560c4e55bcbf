"""What every catalogue model shares: strict frozen models, the date format of ``checked:``, the clouds."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Cloud = Literal["aws", "gcp"]
DATE = r"^\d{4}-\d{2}-\d{2}$"


class _Strict(BaseModel):
    # defer_build: validators are built when first used, so a process that reads the catalogue from the cache
    # (mlstack.derived; codec.decode) never builds them; validating the data files builds them all at once.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)
