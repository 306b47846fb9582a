"""Separate hosts on one machine: Linux network namespaces joined by veth pairs on a bridge.

    with Hosts(["sim", "master", "w1", "w2"]) as hosts:
        hosts.popen("master", [sys.executable, "-m", "locust", ...])   # runs inside that namespace
        hosts.address("master")                                         # 10.203.0.2

Each host is a namespace of its own (own loopback, own address, own ports); a further namespace
holds the bridge that joins them, so nothing is added to the machine's own network: the machine's
interfaces, routes and addresses are never touched, and the namespaces have no route anywhere but
their shared /24 (anything else is "network unreachable"). Everything is removed on exit, also when
the test fails: the processes in each namespace, then the namespaces (which takes their links).

The simulator binds 127.0.0.1 only (it is a local test double), so `python netns_helpers.py relay`
runs next to it in its namespace and forwards the namespace's address to it, as a gateway in front
of a real OPS would; it writes which peers connected, so a test can tell who sent what.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

SUBNET = "10.203.0"
"""Private addresses, used only inside the namespaces made here."""
PREFIX_LEN = 24
IP_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


def unavailable() -> str | None:
    """Why namespaces cannot be made here (None when they can): the skip reason for tests."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add); run the tests as root, as .ci/run does in CI"
    if shutil.which("ip") is None:
        return "`ip` (iproute2) is not installed: apt-get install iproute2 (.ci/run does)"
    probe = f"opsperf-probe-{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"cannot make a network namespace here: {made.stderr.strip() or made.returncode}"
    _ip("netns", "del", probe, check=False)
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=IP_TIMEOUT_S, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


class Hosts:
    """Namespaces `<tag>-<name>` with addresses 10.203.0.1, .2, ... in the order given, on one bridge."""

    def __init__(self, names: Sequence[str]) -> None:
        tag = f"opsperf{os.getpid()}"
        self.hub = f"{tag}-hub"
        self.namespaces = {name: f"{tag}-{name}" for name in names}
        self.addresses = {name: f"{SUBNET}.{i}" for i, name in enumerate(names, start=1)}
        self.processes: list[subprocess.Popen[Any]] = []

    def address(self, name: str) -> str:
        return self.addresses[name]

    def __enter__(self) -> Hosts:
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _build(self) -> None:
        _ip("netns", "add", self.hub)
        _ip("-n", self.hub, "link", "set", "lo", "up")
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        for i, (name, ns) in enumerate(self.namespaces.items()):
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")  # a new namespace's loopback starts down
            # Both ends are made in the hub and the peer is moved straight into the host's namespace.
            _ip("-n", self.hub, "link", "add", f"port{i}", "type", "veth", "peer", "name", "eth0", "netns", ns)
            _ip("-n", self.hub, "link", "set", f"port{i}", "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{self.addresses[name]}/{PREFIX_LEN}", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")

    def popen(self, name: str, cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """Start `cmd` inside host `name` (`ip netns exec` execs it: the pid is the command's own)."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.namespaces[name], *cmd], **kwargs)
        self.processes.append(proc)
        return proc

    def run(self, name: str, cmd: Sequence[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", self.namespaces[name], *cmd],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def close(self) -> None:
        """Stop every process started here (and any left in the namespaces), then remove the namespaces."""
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in self.processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for ns in [*self.namespaces.values(), self.hub]:
            left = _ip("netns", "pids", ns, check=False).stdout.split()
            for pid in left:  # only what this test started can live in a namespace it made
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _ip("netns", "del", ns, check=False)


# --- the relay: the namespace's address -> the simulator on its loopback --------------------------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def _relay(listen: str, port: int, target_port: int, peers_file: Path, ready: IO[str]) -> None:
    peers: Counter[str] = Counter()

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        peers[client_writer.get_extra_info("peername")[0]] += 1
        try:
            sim_reader, sim_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, sim_writer), _pipe(sim_reader, client_writer))

    server = await asyncio.start_server(handle, listen, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(f"relay: {listen}:{port} -> 127.0.0.1:{target_port}", file=ready, flush=True)
    async with server:
        await stop.wait()
    peers_file.write_text(json.dumps(dict(peers)))


if __name__ == "__main__" and sys.argv[1:2] == ["relay"]:
    # python netns_helpers.py relay LISTEN_ADDRESS PORT TARGET_PORT PEERS_JSON
    _, _, address, listen_port, sim_port, peers_path = sys.argv
    asyncio.run(_relay(address, int(listen_port), int(sim_port), Path(peers_path), sys.stdout))
