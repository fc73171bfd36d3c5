"""The message gateway. The default writes each message to the outbox collection and the log,
so codes are visible in tests and demos; a real SMS or mail gateway implements `Gateway`."""

import logging
from typing import Protocol

from beanie import PydanticObjectId

from app.config import get_settings
from app.messaging.models import OutboxMessage

log = logging.getLogger("app.messaging")


class Gateway(Protocol):
    async def send(self, *, channel: str, to: str, subject: str, body: str,
                   user_id: PydanticObjectId | None = None) -> None: ...


class OutboxGateway:
    async def send(self, *, channel: str, to: str, subject: str, body: str,
                   user_id: PydanticObjectId | None = None) -> None:
        await OutboxMessage(channel=channel, to=to, subject=subject, body=body, user_id=user_id).insert()
        log.info("outbox %s → %s: %s | %s", channel, to, subject, body)


_GATEWAYS: dict[str, type] = {"outbox": OutboxGateway}


def gateway() -> Gateway:
    return _GATEWAYS[get_settings().message_gateway]()


async def send(*, channel: str, to: str, subject: str, body: str,
               user_id: PydanticObjectId | None = None) -> None:
    await gateway().send(channel=channel, to=to, subject=subject, body=body, user_id=user_id)
