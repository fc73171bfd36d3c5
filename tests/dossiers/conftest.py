import pytest

from tests.factories import bearer, create_batch, create_person, create_unit


@pytest.fixture
async def applicant(client):
    """An applicant with bearer headers (a session opened directly), an approved employer unit and an open batch."""
    person = await create_person(name="王小明")
    unit, unit_account = await create_unit(name="济南市群众艺术馆", region_code="370100")
    batch = await create_batch()
    return {"person": person, "headers": await bearer(person), "unit": unit, "unit_account": unit_account,
            "batch": batch}
