"""The paired per-thread CPU probe: CPU per update of bots from several source trees and of the
echo baseline, under the same load generator, alternated round by round.

```sh
python -m benchmarks.probe_cpu --tree before=/tmp/before --tree after=. [--postgres] [--rounds 6]
```

Every process is started once, together, and warmed up; then each round drives each process in
turn (rotating the order) for ``--warm`` seconds, then ``--seconds`` measured: CPU from
``/proc/PID/task/*/stat`` (every thread, so the store's thread counts; summed by thread name,
``comm``, where a thread sets it) divided by the updates answered. A tree is a directory holding
a ``retainment_bot`` package (a ``git archive`` copy of another commit, say): the bot runs with
that directory as its working directory and first on ``sys.path``. Medians per process are
printed, with each round's figure. A benchmark, never a test: the machine is shared, so only the
figures of one invocation compare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from benchmarks import stores
from benchmarks.fakeapi import FakeApi
from benchmarks.load import ROOT, Generator, Process, material, spawn, wait_listening

TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread name (threads of one name summed)."""
    found: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / TICK
    return found


def _socket_ports(pid: int) -> set[int]:
    """The local TCP ports of the process's sockets."""
    inodes: set[str] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def server_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the process's connections (by backend pid)."""
    import psycopg

    ports = sorted(_socket_ports(pid))
    if not ports:
        return {}
    with psycopg.connect(stores.PG_URL, autocommit=True) as connection:
        rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE client_port = ANY(%s)", (ports,)).fetchall()
    found: dict[int, float] = {}
    for (backend,) in rows:
        try:
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(backend)] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def start(name: str, root: Path, api: FakeApi, workdir: Path, url: str | None) -> Process:
    """The bot of the tree ``root`` (or, for ``echo``, the echo bot) as the benchmark starts it."""
    kind = "echo" if name == "echo" else "bot"
    return spawn(kind, api, workdir, url, extra_env={"LOG_LEVEL": "WARNING"}, root=root)


async def probe(trees: dict[str, Path], postgres: bool, rounds: int, warm: float, seconds: float) -> None:
    api = FakeApi()
    await api.start()
    from retainment_bot.project import Project

    generator = Generator(api, material(sorted(Project().engine().content.topics)))
    schemas: list[str] = []
    processes: dict[str, Process] = {}
    with tempfile.TemporaryDirectory(prefix="probe-") as scratch:
        try:
            for name, root in [*trees.items(), ("echo", ROOT)]:
                url = None
                if postgres and name != "echo":
                    schemas.append(schema := f"probe_{uuid.uuid4().hex[:10]}")
                    stores.create_schema(schema)
                    url = stores.process_url(schema)
                workdir = Path(scratch) / name
                workdir.mkdir()
                processes[name] = start(name, root, api, workdir, url)
            await asyncio.gather(*(wait_listening(p) for p in processes.values()))
            for process in processes.values():
                await generator.run([process.port], 2.0)
            per_update: dict[str, list[float]] = {name: [] for name in processes}
            rates: dict[str, list[float]] = {name: [] for name in processes}
            # PostgreSQL's backends serving the bot's connections (on the same cores).
            server_per_update: dict[str, list[float]] = {name: [] for name in processes}
            threads: dict[str, dict[str, float]] = {name: {} for name in processes}
            names = list(processes)
            for index in range(rounds):
                order = names[index % len(names) :] + names[: index % len(names)]
                for name in order:
                    process = processes[name]
                    await generator.run([process.port], warm)
                    serving = postgres and name != "echo"
                    server_before = server_cpu(process.popen.pid) if serving else {}
                    before = thread_cpu(process.popen.pid)
                    result = await generator.run([process.port], seconds)
                    after = thread_cpu(process.popen.pid)
                    server_after = server_cpu(process.popen.pid) if serving else {}
                    server = sum(cpu - server_before.get(b, 0.0) for b, cpu in server_after.items())
                    server_per_update[name].append(server / max(1, result.updates) * 1000)
                    used = {t: after[t] - before.get(t, 0.0) for t in after}
                    per_update[name].append(sum(used.values()) / max(1, result.updates) * 1000)
                    rates[name].append(result.updates_per_s)
                    for thread, cpu in used.items():
                        threads[name][thread] = threads[name].get(thread, 0.0) + cpu / max(1, result.updates) * 1000
                    print(
                        f"round {index + 1} {name:<8} {per_update[name][-1]:5.2f} ms/update "
                        f"(server {server_per_update[name][-1]:4.2f}) "
                        f"{result.updates_per_s:6.1f} updates/s lost {result.lost} "
                        f"load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
            print(f"\n{'backend':<10} {'process':<8} ms CPU/update: median (rounds), updates/s, by thread name")
            for name in names:
                busiest = sorted(threads[name].items(), key=lambda item: -item[1])[:4]
                shown = ", ".join(f"{t} {cpu / rounds:.2f}" for t, cpu in busiest)
                print(
                    f"{'postgres' if postgres else 'sqlite':<10} {name:<8} {statistics.median(per_update[name]):5.2f} "
                    f"({', '.join(f'{v:.2f}' for v in per_update[name])})  "
                    f"{statistics.median(rates[name]):6.1f}  {shown}"
                )
                if postgres and name != "echo":
                    print(
                        f"{'':<10} {name:<8} server {statistics.median(server_per_update[name]):5.2f} "
                        f"({', '.join(f'{v:.2f}' for v in server_per_update[name])}) ms CPU/update of its backends"
                    )
        finally:
            await asyncio.gather(*(p.stop() for p in processes.values()))
            await api.stop()
            for schema in schemas:
                stores.drop_schema(schema)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probe_cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH of a source tree (repeatable)")
    parser.add_argument("--postgres", action="store_true", help="the bots on PostgreSQL (a schema each)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--warm", type=float, default=1.0, help="seconds of load before each measurement")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds measured per process and round")
    args = parser.parse_args(argv)
    trees = {name: Path(path).resolve() for name, _, path in (tree.partition("=") for tree in args.tree)}
    if not trees:
        trees = {"bot": ROOT}
    asyncio.run(probe(trees, args.postgres, args.rounds, args.warm, args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
