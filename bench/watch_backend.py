#!/usr/bin/env python3
"""W6's watch backend: an HTTPS server that answers every request with a never-ending chunked 200 and then one
small watch event per interval, as kube-apiserver streams a watch (here: Lease renewals, the steady watch traffic
of a cluster). Started and stopped (SIGTERM, by PID) by bench.py; listens on one loopback address only.

Each event carries the CLOCK_MONOTONIC time it was written ("bench/sent-ns"), one clock for every process on the
machine, so the client can tell how long the proxy took to deliver it. A watch's first event comes at a random
point of its first interval, so the events of many watches are spread over the second instead of arriving in one
burst. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import random
import ssl
import time

# asyncio's 256 KiB read buffer per TLS connection would cost 500 MB at 2,000 watches; a TLS record is 16 KiB.
if hasattr(asyncio.sslproto, "SSLProtocol") and hasattr(asyncio.sslproto.SSLProtocol, "max_size"):
    asyncio.sslproto.SSLProtocol.max_size = 32 * 1024

HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n")
# About 330 bytes, the size of a Lease MODIFIED event without managed fields.
EVENT = ('{"type":"MODIFIED","object":{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":'
         '{"name":"node-%d","namespace":"kube-node-lease","uid":"0b5f7a3c-2d1e-4c8f-9a6b-%012d",'
         '"resourceVersion":"%d","annotations":{"bench/sent-ns":"%d"}},"spec":{"holderIdentity":"node-%d",'
         '"leaseDurationSeconds":40,"renewTime":"2026-01-01T10:00:00.000000Z"}}}\n')


async def watch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, interval: float, ids: list[int]) -> None:
    ids[0] += 1
    node = ids[0]
    loop = asyncio.get_running_loop()
    gone = None
    try:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        writer.write(HEAD)
        # The client sends nothing more; end of stream (or an error) means it has gone.
        gone = asyncio.ensure_future(reader.read())
        at = loop.time() + random.random() * interval
        version = 0
        while not gone.done():
            await asyncio.wait({gone}, timeout=max(0.0, at - loop.time()))
            if gone.done():
                break
            version += 1
            body = (EVENT % (node, node, version, time.monotonic_ns(), node)).encode()
            writer.write(b"%x\r\n%s\r\n" % (len(body), body))
            await writer.drain()
            at += interval
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ssl.SSLError):
        pass
    finally:
        if gone is not None:
            gone.cancel()
        writer.transport.abort()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between two events of one watch")
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error("--host must be a loopback address")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.options |= ssl.OP_NO_TICKET  # like the nginx backends: no resumption
    ids = [0]
    server = await asyncio.start_server(lambda r, w: watch(r, w, args.interval, ids), args.host, args.port, ssl=ctx,
                                        backlog=4096, ssl_handshake_timeout=30)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
