"""A bounded slowloris: a few connections that send their headers or body a byte at a time.

`python -m tests.faults.slowloris PORT [--seconds 10] [--connections 3]` against a server you own.
Every connection is closed when the time is up, so it never outlives its caller.
"""
import argparse
import socket
import threading
import time
from dataclasses import dataclass


@dataclass
class SlowConnection:
    """What one slow connection managed to do before it was closed."""

    kind: str
    bytes_sent: int = 0
    closed_by_server: bool = False
    error: str | None = None


def _dribble(port: int, kind: str, head: bytes, until: float, interval: float, result: SlowConnection) -> None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError as exc:
        result.error = type(exc).__name__
        return
    try:
        sock.sendall(head)
        result.bytes_sent = len(head)
        filler = b"X-Slow: " if kind == "headers" else b'{"first_name": "'
        sock.sendall(filler)
        result.bytes_sent += len(filler)
        while time.monotonic() < until:
            time.sleep(interval)
            sock.sendall(b"a")  # one byte, never the end of the headers or of the declared body
            result.bytes_sent += 1
    except OSError:
        result.closed_by_server = True
    finally:
        sock.close()


def slowloris(port: int, *, seconds: float = 10.0, connections: int = 3, interval: float = 0.5,
              tenant: str = "", key: str = "") -> list[SlowConnection]:
    """Hold `connections` slow requests open for `seconds` (alternating slow headers and slow body)."""
    until = time.monotonic() + seconds
    results, threads = [], []
    for n in range(connections):
        kind = "body" if n % 2 else "headers"
        if kind == "headers":
            head = b"GET /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        else:
            # A real endpoint that reads its body, with a valid key so the view gets to read it.
            head = (f"POST /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Tenant: {tenant}\r\n"
                    f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: 4000\r\n\r\n").encode()
        result = SlowConnection(kind)
        results.append(result)
        thread = threading.Thread(target=_dribble, args=(port, kind, head, until, interval, result), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=seconds + 10)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=3)
    parser.add_argument("--tenant", default="")
    parser.add_argument("--key", default="")
    args = parser.parse_args()
    for r in slowloris(args.port, seconds=args.seconds, connections=args.connections, tenant=args.tenant,
                       key=args.key):
        print(r)
