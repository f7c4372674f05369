"""A tiny TCP relay in front of PostgreSQL that records every simple-query message a client sends.

SQLAlchemy's `before_cursor_execute` sees the statements the ORM runs; it does not see what the
driver sends on its own (psycopg2's implicit `BEGIN`, the pool's pre-ping, the `ROLLBACK` when a
request's session closes). This relay sees the wire, so it counts real server round trips.
psycopg2 speaks the simple query protocol ('Q' messages), one round trip per message.
Connect through it with `sslmode=disable&gssencmode=disable` so the traffic is readable.
"""
import contextlib
import socket
import struct
import threading


class PgWireCounter:
    """Listen on 127.0.0.1:<free port>, relay to upstream, record queries while `recording`."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.recording = False
        self.queries: list[str] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def take(self) -> list[str]:
        """The queries recorded since the last call."""
        with self._lock:
            queries, self.queries = self.queries, []
        return queries

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
            threading.Thread(target=self._frontend, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):  # the other direction may have closed it already
                    sock.shutdown(socket.SHUT_RDWR)

    def _frontend(self, client: socket.socket, upstream: socket.socket) -> None:
        """Relay client -> server, parsing messages: the startup packet, then type byte + length."""
        buffer = b""
        started = False
        try:
            while data := client.recv(65536):
                upstream.sendall(data)
                buffer += data
                while True:
                    if not started:
                        if len(buffer) < 4:
                            break
                        (length,) = struct.unpack("!I", buffer[:4])
                        if len(buffer) < length:
                            break
                        buffer, started = buffer[length:], True
                        continue
                    if len(buffer) < 5:
                        break
                    kind = buffer[:1]
                    (length,) = struct.unpack("!I", buffer[1:5])
                    if len(buffer) < 1 + length:
                        break
                    payload, buffer = buffer[5 : 1 + length], buffer[1 + length :]
                    if kind == b"Q" and self.recording:
                        with self._lock:
                            self.queries.append(payload.rstrip(b"\x00").decode("utf-8", "replace"))
        except OSError:
            pass
        finally:
            self._pipe_close(client, upstream)

    @staticmethod
    def _pipe_close(*socks: socket.socket) -> None:
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.close()
