"""Meta delivering webhooks at volume: signed one-message POSTs over keep-alive connections.

The load generator of ``benchmarks/whatsapp_ingest.py``, run as its own process::

    python -m balie.channels.simulators.whatsapp_load URL --messages N --citizens C --secret S

prints one JSON line: acknowledged count, status counts, elapsed seconds, p50/p99 latency
and the generator's own CPU time. It is a minimal HTTP/1.1 client on asyncio streams (uvloop):
httpx spends ~4 ms of CPU a request, which on a two-core machine would measure the client
instead of the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

from balie.channels.simulators.whatsapp_payloads import (
    encode,
    envelope,
    message,
    message_value,
    signature,
)

PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "31201234567"
WARM_UP = 200


def signed_bodies(count: int, citizens: int, app_secret: str) -> list[tuple[bytes, str]]:
    """``count`` one-message webhook bodies from ``citizens`` people, with their signatures."""
    out = []
    for n in range(count):
        wa_id = f"316{10000000 + n % citizens}"
        raw = message(wa_id, "text", {"body": f"Vraag {n} over mijn paspoort"})
        value = message_value(wa_id, f"Burger {n % citizens}", [raw])
        body = encode(envelope(PHONE_NUMBER_ID, DISPLAY_NUMBER, "messages", value))
        out.append((body, signature(app_secret, body)))
    return out


async def post_all(url: str, work: list[tuple[bytes, str]], concurrency: int) -> dict[str, Any]:
    """POST every body over ``concurrency`` keep-alive connections; time each answer."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [
        (
            f"POST {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nX-Hub-Signature-256: {sig}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body, sig in work
    ]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for request in queue:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                status = int(head.split(b" ", 2)[1])
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    cpu_started, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "acknowledged": statuses.get(200, 0),
        "statuses": statuses,
        "elapsed": elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "ended_at": time.time(),
        "client_cpu_s": time.process_time() - cpu_started,
    }


def main() -> None:
    """Warm up (connections, the server's caches), then measure; print JSON."""
    import uvloop

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    work = signed_bodies(args.messages + WARM_UP, args.citizens, args.secret)
    uvloop.install()
    asyncio.run(post_all(args.url, work[args.messages :], args.concurrency))
    result = asyncio.run(post_all(args.url, work[: args.messages], args.concurrency))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
