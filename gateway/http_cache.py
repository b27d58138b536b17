"""HTTP caching of GraphQL GETs: an ``ETag`` for every answer, ``304`` when unchanged.

Queries sent with GET are cacheable by browsers and CDNs. Answers change when the
bus says so, not after a fixed time, so they are marked ``no-cache`` (store, but
revalidate every time) and carry a strong ``ETag`` of their bytes: a client that
sends ``If-None-Match`` with the current tag gets ``304 Not Modified`` and no body.
POST answers are ``no-store``.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GET_POLICY = "no-cache"
POST_POLICY = "no-store"


class HTTPCacheMiddleware:
    def __init__(self, app: ASGIApp, *, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "GET":
            await self.app(scope, receive, _with_policy(send, POST_POLICY))
            return
        await _Revalidation(self.app, scope).run(receive, send)


def _with_policy(send: Send, policy: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.setdefault("cache-control", policy)
        await send(message)

    return sending


class _Revalidation:
    """Hold a GET's JSON answer, tag it, and answer 304 when the client has it."""

    def __init__(self, app: ASGIApp, scope: Scope) -> None:
        self.app = app
        self.scope = scope
        self.wanted = Headers(scope=scope).get("if-none-match")

    async def run(self, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = False

        async def holding(message: Message) -> None:
            nonlocal start, passthrough
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                if message["status"] != 200 or not content_type.startswith("application/json"):
                    passthrough = True
                    await send(message)
                    return
                start = message
                return
            if passthrough or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._finish(start, b"".join(chunks), send)

        await self.app(self.scope, receive, holding)

    async def _finish(self, start: Message, body: bytes, send: Send) -> None:
        tag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
        headers = MutableHeaders(scope=start)
        headers["etag"] = tag
        headers["cache-control"] = GET_POLICY
        if self.wanted is not None and tag in (t.strip() for t in self.wanted.split(",")):
            del headers["content-length"]
            if "content-type" in headers:
                del headers["content-type"]
            await send({**start, "status": 304})
            await send({"type": "http.response.body", "body": b""})
            return
        headers["content-length"] = str(len(body))
        await send(start)
        await send({"type": "http.response.body", "body": body})
