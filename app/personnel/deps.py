"""Resources already in the caller's scope, for the routes and pages."""

from typing import Annotated

from beanie import PydanticObjectId
from fastapi import Depends

from app.accounts.deps import CurrentUser
from app.personnel import service
from app.personnel.models import PersonnelRecord
from app.units import service as units
from app.units.models import Unit


async def _own_unit(unit_id: PydanticObjectId, user: CurrentUser) -> Unit:
    return await service.own_unit(user, unit_id)


async def _kept_unit(unit_id: PydanticObjectId, user: CurrentUser) -> Unit:
    return await service.own_unit(user, unit_id, write=True)


async def _record(record_id: PydanticObjectId, user: CurrentUser) -> PersonnelRecord:
    return await service.get_record(user, record_id)


async def _kept_record(record_id: PydanticObjectId, user: CurrentUser) -> PersonnelRecord:
    return await service.get_record(user, record_id, write=True)


async def _readable_unit(unit_id: PydanticObjectId, user: CurrentUser) -> Unit:
    return await units.get_readable_unit(user, unit_id)


async def _supervised_unit(unit_id: PydanticObjectId, user: CurrentUser) -> Unit:
    return await service.supervised_unit(user, unit_id)


OwnUnit = Annotated[Unit, Depends(_own_unit)]              # its people: read
KeptUnit = Annotated[Unit, Depends(_kept_unit)]            # its people: write
Record = Annotated[PersonnelRecord, Depends(_record)]
KeptRecord = Annotated[PersonnelRecord, Depends(_kept_record)]
RatioUnit = Annotated[Unit, Depends(_readable_unit)]       # its figures: the unit and its supervisors
SupervisedUnit = Annotated[Unit, Depends(_supervised_unit)]
