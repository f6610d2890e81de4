"""A TCP proxy that a test can cut and heal, standing in for a network partition.

    python3 cutproxy.py UPSTREAM_PORT [refuse|hold]   # prints "listening PORT", forwards
    kill -USR1 PID                       # cut: no byte moves on the connections made before
                                         # (nothing is reset: to the node they look like
                                         # dropped packets), and new connections are refused
                                         # (the listening socket is closed until the heal);
                                         # with `hold`, they are accepted and held instead,
                                         # as a hung Redis (or a listener whose kernel
                                         # backlog still completes handshakes) looks
    kill -USR2 PID                       # heal: everything held flows again

Why a proxy: this VM's kernel has neither iptables nor nft, and tc's drop action does not
load (`tc filter ... action drop`: "Failed to load TC action module"), so the partition is
made in user space between one node and Redis. It binds 127.0.0.1 only; the test stops it
by its PID.

New connections are refused rather than held: a listener that stops calling accept() still
completes the handshake of its backlog's worth of connections in the kernel, and a node
would take those for a live Redis (see the README's "found" section).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys

CHUNK = 65536


class Proxy:
    def __init__(self, upstream_port: int, mode: str):
        self.upstream_port = upstream_port
        self.refuse = mode == "refuse"
        self.open = asyncio.Event()
        self.open.set()

    async def pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await self.open.wait()
                data = await reader.read(CHUNK)
                if not data:
                    break
                await self.open.wait()  # read during the cut: held until the heal
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def client(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        await self.open.wait()
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(self.pipe(creader, uwriter), self.pipe(ureader, cwriter))

    async def serve(self, port: int) -> None:
        """Accepts; in `refuse` mode closes the listener at the cut and listens again after."""
        loop = asyncio.get_running_loop()
        while True:
            await self.open.wait()
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(64)
            listener.setblocking(False)
            if not self.port:
                self.port = listener.getsockname()[1]
                print(f"listening {self.port}", flush=True)
            port = self.port
            cut = asyncio.ensure_future(self.cut.wait())
            while not (self.refuse and self.cut.is_set()):
                accept = asyncio.ensure_future(loop.sock_accept(listener))
                await asyncio.wait([accept, cut] if self.refuse else [accept],
                                   return_when=asyncio.FIRST_COMPLETED)
                if accept.done():
                    conn, _ = accept.result()
                    reader, writer = await asyncio.open_connection(sock=conn)
                    asyncio.ensure_future(self.client(reader, writer))
                else:
                    accept.cancel()
            cut.cancel()
            listener.close()

    def set_cut(self) -> None:
        self.open.clear()
        self.cut.set()

    def set_healed(self) -> None:
        self.cut.clear()
        self.open.set()

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        self.cut = asyncio.Event()
        self.port = 0
        loop.add_signal_handler(signal.SIGUSR1, self.set_cut)
        loop.add_signal_handler(signal.SIGUSR2, self.set_healed)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        task = asyncio.ensure_future(self.serve(0))
        await stop.wait()
        task.cancel()


if __name__ == "__main__":
    asyncio.run(Proxy(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "refuse").main())
