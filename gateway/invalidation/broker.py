"""Fedora's public message broker: its address, TLS client identity and queue rules.

What fedora-messaging documents (``docs/fedora-broker.rst`` and ``configs/fedora.toml`` of
fedora-infra/fedora-messaging):

- Address: ``amqps://fedora:@rabbitmq.fedoraproject.org/%2Fpublic_pubsub`` (staging:
  ``amqps://fedora.stg:@rabbitmq.stg.fedoraproject.org/%2Fpublic_pubsub``). The
  ``/public_pubsub`` virtual host mirrors every message of the restricted ``/pubsub`` one;
  routing keys are ``org.fedoraproject.prod.<topic>`` on ``amq.topic``.
- Authentication is by TLS client certificate, with the public key pair that fedora-messaging
  ships: ``fedora-cert.pem`` and ``fedora-key.pem``, trusting ``cacert.pem`` (staging:
  ``fedora.stg-cert.pem``, ``fedora.stg-key.pem``, ``stg-cacert.pem``). An RPM install puts
  them in ``/etc/fedora-messaging/``; otherwise fetch them from fedora-messaging's
  ``configs/`` directory. fedora-messaging then logs in with SASL ``EXTERNAL`` (the identity
  is the certificate's), so the URL built here carries ``auth=external``; TLS 1.2 at least,
  with host name checking.
- Queue names **must be UUIDs** (``uuidgen``): the public user may create no other queues.
  A queue the server names itself is non-durable, auto-deleted and exclusive, so it loses
  everything published while the worker is away. A named, durable, non-exclusive queue
  keeps collecting while the worker restarts, but "queues that are not auto-deleted on
  disconnect are garbage-collected after approximately one hour" and each public queue is
  limited to about 50 MB (messages are discarded beyond it). A non-exclusive queue can
  be consumed by anyone who knows its name: keep the UUID private and stable (configure it;
  do not generate a new one per start, or every start begins with an empty queue).
- The public user is read-only (Fedora Infrastructure's messaging policy calls it "the
  external, read-only user") and may create only UUID-named queues, so it cannot have a
  dead-letter exchange of its own: on this broker dead-lettering is off, and a dropped
  message is logged and discarded. Whether the public virtual host allows quorum queues is
  not documented; fedora-messaging's examples declare classic queues, and so does
  ``BusConsumer.fedora``, so poison messages are bounded by the consumer's own count of
  failures, not by a broker-side delivery limit.
- ``[qos] prefetch_count = 25``.

"If you require a stronger guarantee about delivery, please talk to Fedora's Infrastructure
team": with the public broker, delivery is best effort, and the worker must reconcile after
a gap (``BusConsumer.on_reconnect``).
"""

from __future__ import annotations

import ssl
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

__all__ = [
    "FEDORA_PREFETCH",
    "FEDORA_STG_URL",
    "FEDORA_TLS_DIR",
    "FEDORA_URL",
    "TLSFiles",
    "check_fedora_queue_name",
    "fedora_tls",
    "fedora_url",
    "new_fedora_queue_name",
    "ssl_context",
]

FEDORA_URL = "amqps://fedora:@rabbitmq.fedoraproject.org/%2Fpublic_pubsub"
FEDORA_STG_URL = "amqps://fedora.stg:@rabbitmq.stg.fedoraproject.org/%2Fpublic_pubsub"
#: Where an RPM install of fedora-messaging puts the public certificates.
FEDORA_TLS_DIR = Path("/etc/fedora-messaging")
#: fedora-messaging's ``[qos] prefetch_count`` for Fedora's broker.
FEDORA_PREFETCH = 25


@dataclass(frozen=True, slots=True)
class TLSFiles:
    """A TLS client identity: CA bundle to trust, client certificate and its private key."""

    ca_cert: Path
    certfile: Path
    keyfile: Path


def fedora_tls(directory: Path | str = FEDORA_TLS_DIR, *, staging: bool = False) -> TLSFiles:
    """The public certificate files fedora-messaging ships, in ``directory``."""
    base = Path(directory)
    if staging:
        return TLSFiles(
            base / "stg-cacert.pem", base / "fedora.stg-cert.pem", base / "fedora.stg-key.pem"
        )
    return TLSFiles(base / "cacert.pem", base / "fedora-cert.pem", base / "fedora-key.pem")


def ssl_context(files: TLSFiles) -> ssl.SSLContext:
    """A client context as fedora-messaging builds it: verify the broker, present our cert.

    Raises :class:`FileNotFoundError` naming the first missing file, and :class:`ssl.SSLError`
    for a file that is not a usable certificate or key.
    """
    for path in (files.ca_cert, files.certfile, files.keyfile):
        if not path.is_file():
            raise FileNotFoundError(f"TLS file {path} is missing")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(files.ca_cert))
    context.load_cert_chain(str(files.certfile), str(files.keyfile))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def fedora_url(
    *,
    staging: bool = False,
    tls: TLSFiles | None = None,
    heartbeat: int = 60,
    reconnect_interval: float = 5,
) -> str:
    """The public broker's URL with aio-pika's parameters: SASL EXTERNAL, heartbeat, backoff.

    With ``tls`` the URL also names the certificate files (aiormq's ``cafile``,
    ``certfile`` and ``keyfile``), so that it alone configures a connection, as one
    ``GATEWAY_AMQP_URL`` setting; otherwise pass :func:`ssl_context` to the connection.
    """
    base = FEDORA_STG_URL if staging else FEDORA_URL
    query: dict[str, str | int | float] = {
        "auth": "external",
        "heartbeat": heartbeat,
        "reconnect_interval": reconnect_interval,
    }
    if tls is not None:
        query.update(cafile=str(tls.ca_cert), certfile=str(tls.certfile), keyfile=str(tls.keyfile))
    return f"{base}?{urlencode(query)}"


def new_fedora_queue_name() -> str:
    """A fresh queue name the public broker accepts: generate it once and configure it."""
    return str(uuid.uuid4())


def check_fedora_queue_name(name: str) -> str:
    """``name`` if the public broker would accept it as a queue name (a UUID), else ValueError."""
    try:
        parsed = uuid.UUID(name)
    except ValueError:
        raise ValueError(
            f"queue names on Fedora's public broker must be UUIDs (uuidgen), not {name!r}"
        ) from None
    if str(parsed) != name.lower():
        raise ValueError(f"write the queue name in the canonical UUID form: {parsed}")
    return name
