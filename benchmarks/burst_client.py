"""Load generator for the burst benchmark: a process of its own, so the client's work does not
share the server's interpreter (or the benchmark's).

Reads a JSON object on stdin: `{"url": "http://127.0.0.1:PORT/slack/events", "commands":
[{"text": ..., "response_url": ...}, ...], "concurrent": true}`. Signs every body as Slack does
(tests/support/signing.py) before the clock starts, then sends them all at once (asyncio, one connection
per request, like Slack) or one after another. Prints one JSON line: per command, its
response_url, the wall-clock time it was sent (to time its answer against the Slack stand-in's
arrival time), the ack latency in ms (connect, send, full response) and the HTTP status.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from urllib.parse import urlsplit

from tests.support.signing import FORM, TEST_SIGNING_SECRET, signed_headers, slash_command_body

SECRET_ENV = "SLACK_SIGNING_SECRET"


def build_request(url: str, body: str, secret: str) -> bytes:
    parts = urlsplit(url)
    headers = {
        "Host": parts.netloc,
        "Content-Type": FORM,
        "Content-Length": str(len(body.encode())),
        "Connection": "close",
        **signed_headers(secret, body),
    }
    head = f"POST {parts.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode() + body.encode()


async def send(host: str, port: int, request: bytes) -> tuple[float, float, int]:
    sent_at = time.time()
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()  # the server closes after the response (Connection: close)
    acked = time.perf_counter()
    writer.close()
    status = int(status_line.split()[1]) if status_line else 0
    return sent_at, (acked - started) * 1000, status


async def run(job: dict, secret: str) -> list[dict]:
    parts = urlsplit(job["url"])
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    commands = job["commands"]
    requests = [
        build_request(
            job["url"],
            slash_command_body(
                c["text"], c["response_url"], user_id=c.get("user_id", "U0MARKETER")
            ),
            secret,
        )
        for c in commands
    ]
    if job.get("concurrent", True):
        outcomes = await asyncio.gather(*(send(host, port, r) for r in requests))
    else:
        outcomes = [await send(host, port, r) for r in requests]
    return [
        {"response_url": c["response_url"], "sent_at": sent, "ack_ms": ack, "status": status}
        for c, (sent, ack, status) in zip(commands, outcomes, strict=True)
    ]


def main() -> None:
    job = json.load(sys.stdin)
    secret = os.environ.get(SECRET_ENV, TEST_SIGNING_SECRET)
    print(json.dumps(asyncio.run(run(job, secret))))


if __name__ == "__main__":
    main()
