"""The outbox tests' outside world: an SMS gateway stand-in and a local SMTP server (stdlib only)."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from procurement.outbox import service as outbox
from procurement.outbox.models import Channel, OutboxMessage
from procurement.platform import Platform


class Recording:
    """A stand-in for an outside gateway (an SMS provider): records, or fails while told to."""

    def __init__(self, failures: int = 0) -> None:
        self.delivered: list[outbox.Outgoing] = []
        self.failures = failures

    def deliver(self, message: outbox.Outgoing) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("gateway unreachable")
        self.delivered.append(message)


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, *, hold: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.received: list[str] = []
        # A slow server: each session waits, before its greeting, until the test lets it go.
        self.connected = threading.Event()
        self.go_on = threading.Event()
        if not hold:
            self.go_on.set()


class _SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib to hand over one message."""

    server: SmtpServer

    def handle(self) -> None:
        self.server.connected.set()
        self.server.go_on.wait(timeout=30)
        self.wfile.write(b"220 fake ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                self.server.received.append(data.decode())
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@contextmanager
def smtp_server(*, hold: bool = False) -> Iterator[SmtpServer]:
    server = SmtpServer(hold=hold)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.go_on.set()
        server.shutdown()
        server.server_close()


async def enqueue(platform: Platform, channel: Channel = Channel.sms, recipient: str = "13800000001") -> int:
    async with platform.db.transaction() as session:
        message = await outbox.enqueue(session, platform.clock, channel=channel, recipient=recipient, body="评标邀请",
                                       reference="invitation:1", subject="邀请")
        return message.id  # type: ignore[return-value]


async def message(platform: Platform, message_id: int) -> OutboxMessage:
    async with platform.db.transaction(write=False) as session:
        found = await session.get(OutboxMessage, message_id)
        assert found is not None
        return found
