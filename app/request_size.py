"""A cap on every request body, counted as it streams in: an oversize upload is answered 413 long before it
could fill the disk spool, whatever the route does with the body.

Pure ASGI (no BaseHTTPMiddleware, which would buffer): a declared Content-Length over the cap is refused
before a byte is read; a chunked or lying body is cut off at the first chunk past the cap. The 413 is sent
from here, the application is told the client went away, and whatever it answers after that is dropped.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MB = 1024 * 1024
# The largest attachment a batch may allow (50 MB, catalog AttachmentRule) plus the multipart envelope.
MAX_REQUEST_BYTES = 51 * MB


class RequestSizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return

        received, cut, answered, started = 0, False, False, False

        async def counting_receive() -> Message:
            nonlocal received, cut, answered
            if cut:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    cut = True
                    if not started:
                        answered = True
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:   # the 413 went out: the application's own answer to the "disconnect" goes nowhere
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not answered:
                raise

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"code": "request_too_large", "field": None,
                           "message": f"请求内容过大，不能超过 {self.max_bytes // MB} MB"}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
