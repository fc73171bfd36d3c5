"""Security headers on every response: a Content-Security-Policy without inline script, no framing by
other sites, no MIME sniffing, no full URLs leaked in Referer.

A header a route has set itself is kept (file downloads carry their own sandboxing CSP). The API
docs page loads Swagger UI's inline bootstrap script from FastAPI, so /docs alone gets a looser policy.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
            "frame-ancestors 'self'")
# FastAPI's /docs and /redoc pages: an inline script and Swagger UI / ReDoc from their CDN.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
            "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'")
DOCS_PATHS = ("/docs", "/redoc")

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


def headers_for(path: str) -> dict[str, str]:
    docs = any(path == p or path.startswith(p + "/") for p in DOCS_PATHS)
    return {"Content-Security-Policy": DOCS_CSP if docs else PAGE_CSP, **COMMON}


class SecurityHeaders:
    """Pure ASGI, so streamed downloads pass through untouched apart from their start message."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = headers_for(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
