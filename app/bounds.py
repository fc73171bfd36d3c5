"""Bounds on the integers a request may carry. Outside them a value means nothing to this service, and
past 2**63 it cannot even be queried (BSON has no larger integer): unbounded, it ended in a 500."""

from typing import Annotated

from pydantic import Field

Year = Annotated[int, Field(ge=2000, le=2100, description="年度")]
PageNumber = Annotated[int, Field(ge=1, le=10_000, description="页码")]
# Version numbers and snapshot numbers count edits: far below this in any dossier's life.
Counter = Annotated[int, Field(ge=0, le=1_000_000_000)]
