"""What a POST to the GraphQL endpoint may carry: JSON, up to a size.

A body must be ``application/json`` (UTF-8, the only charset JSON has): ``text/plain``,
form and multipart bodies — what a page on another origin can send without a CORS
preflight — are refused with ``415 Unsupported Media Type`` before they are read, so a
cross-site form cannot make a browser run an operation. A body over ``max_bytes`` is
refused with ``413`` as soon as its ``Content-Length`` or its bytes say so; nothing past
the limit is read into memory. Both answers are GraphQL errors
(``UNSUPPORTED_MEDIA_TYPE``, ``REQUEST_TOO_LARGE``).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import REQUEST_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE
from gateway.limits.refusal import Refusal, refusal_response

__all__ = ["BodyLimit"]

JSON = "application/json"


class BodyLimit:
    """ASGI middleware holding POSTs to ``path`` to JSON bodies of ``max_bytes`` at most."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, path: str = "/graphql") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = _media_type(headers.get("content-type")) or self._length(
            headers.get("content-length")
        )
        if refusal is not None:
            await refusal_response(refusal)(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await refusal_response(self._too_large())(scope, receive, send)
                return
        await self.app(scope, _replaying(bytes(body), receive), send)

    def _length(self, declared: str | None) -> Refusal | None:
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return self._too_large()
        return None

    def _too_large(self) -> Refusal:
        return Refusal(
            413, REQUEST_TOO_LARGE, f"The request body is larger than {self.max_bytes} bytes"
        )


def _media_type(content_type: str | None) -> Refusal | None:
    media_type, _, parameters = (content_type or "").partition(";")
    charset = "utf-8"
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if media_type.strip().lower() == JSON and charset in ("utf-8", "utf8"):
        return None
    return Refusal(
        415,
        UNSUPPORTED_MEDIA_TYPE,
        "A POST body must be application/json (UTF-8)",
        headers={"accept-post": JSON},
    )


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The ``receive`` of a request whose body was read already: the body, then ``receive``."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
