"""How uvicorn serves the gateway: the WebSocket options the subscriptions are sized for.

permessage-deflate is off. A subscription's result is encoded once and the same bytes go to
every subscriber; compressing them would be done once per connection, and each connection's
compressor keeps about 50 KB of zlib state — more than the rest of an idle subscription
(``bench/subscriptions.py`` measures both). Frames over the settings' message limit are
refused by the WebSocket layer itself, before they are read into memory.
"""

from __future__ import annotations

from typing import Any

from gateway.settings import Settings

__all__ = ["server_options"]


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for :class:`uvicorn.Config` beyond the app, host and port."""
    options: dict[str, Any] = {
        "ws_per_message_deflate": False,
        # the connection answers 1009 itself for a message over the limit; leave it room
        "ws_max_size": 2 * settings.ws_max_message_bytes,
        "log_level": "warning",
    }
    if settings.log_format == "json":
        options["log_config"] = None  # uvicorn's own lines go through the JSON handler too
    return options
