"""Where the bot's time goes, with py-spy (``pip install py-spy``): under load, and at start-up.

    python -m benchmarks.profile [--seconds 20] [--latency 0] [--postgres] [--out DIR]

Under load, py-spy samples the running ``python -m retainment_bot webhook`` (every thread, CPU only, or
with ``--idle`` waiting too) while the load generator drives it; at start-up it records the
process from its first instruction to the first reply. Both write collapsed stacks
(``DIR/load.txt``, ``DIR/startup.txt``, for any flame-graph viewer) and print the functions that
are on the stack in the largest share of samples.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

from benchmarks import stores
from benchmarks.fakeapi import FakeApi
from benchmarks.load import Generator, first_reply, material, prepare_start, spawn, wait_listening


def top_frames(collapsed: Path, count: int = 25) -> tuple[int, list[tuple[str, float]]]:
    """(samples, [(function, share of samples with it on the stack)]) from py-spy's raw output."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        weight = int(samples)
        total += weight
        for frame in set(stack.split(";")):
            inclusive[frame.split(" (")[0] + " (" + frame.split(" (")[-1] if " (" in frame else frame] += weight
    return total, [(frame, weight / total) for frame, weight in inclusive.most_common(count)] if total else []


def py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"  # the venv's, when it is not on PATH
    found = shutil.which("py-spy") or str(
        beside if beside.exists() else Path(__file__).resolve().parent.parent / ".venv" / "bin" / "py-spy"
    )
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: pip install py-spy")
    return found


async def under_load(
    seconds: float, latency: float, postgres: bool, idle: bool, out: Path, gil: bool = False, kind: str = "bot"
) -> Path:
    api = FakeApi(latency=latency)
    await api.start()
    from retainment_bot.project import Project

    generator = Generator(api, material(sorted(Project().engine().content.topics)))
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    url = None
    if postgres:
        stores.create_schema(schema)
        url = stores.process_url(schema)
    target = out / "load.txt"
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        process = spawn(kind, api, Path(scratch), url)
        try:
            await wait_listening(process)
            await generator.run([process.port], 2.0)  # warm up
            command = [py_spy(), "record", "--pid", str(process.popen.pid), "--duration", str(int(seconds)),
                       "--rate", "250", "--format", "raw", "-o", str(target), "--nonblocking"]  # fmt: skip
            if idle:
                command.append("--idle")
            if gil:
                command.append("--gil")
            recorder = await asyncio.create_subprocess_exec(
                *command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            result = await generator.run([process.port], seconds)
            await recorder.wait()
            print(f"under load: {result.updates_per_s:.1f} updates/s, p50 {result.latency(0.5) * 1000:.0f} ms")
        finally:
            await process.stop()
            if postgres:
                stores.drop_schema(schema)
            await api.stop()
    return target


async def at_startup(out: Path) -> Path:
    api = FakeApi()
    await api.start()
    generator = Generator(api, material(()))
    target = out / "startup.txt"
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        prefix = [py_spy(), "record", "--rate", "500", "--format", "raw", "-o", str(target), "--"]
        warm = prepare_start(Path(scratch))  # as a restart: bytecode and the engine cache ready
        process = spawn("bot", api, Path(scratch), prefix=prefix, extra_env=warm)
        try:
            took = await first_reply(generator, process)
            print(f"start-up under py-spy: {took:.2f} s to the first reply")
        finally:
            # SIGINT reaches py-spy, which stops the bot (its child) and writes the profile.
            with contextlib.suppress(ProcessLookupError):
                process.popen.send_signal(signal.SIGINT)
            await process.stop()
            await api.stop()
    return target


def show(title: str, path: Path) -> None:
    total, frames = top_frames(path)
    print(f"\n{title}: {total} samples ({path})")
    for frame, share in frames:
        print(f"  {share * 100:5.1f}%  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--latency", type=float, default=0.0, help="fake Bot API latency per call, in seconds")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--idle", action="store_true", help="sample waiting threads too (wall time, not CPU)")
    parser.add_argument("--gil", action="store_true", help="only the thread holding the GIL (the CPU that serialises)")
    parser.add_argument("--echo", action="store_true", help="profile the echo baseline instead of the bot")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "bench-profile")
    parser.add_argument("--only", choices=("load", "startup"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only != "startup":
        show(
            "under load",
            asyncio.run(
                under_load(
                    args.seconds,
                    args.latency,
                    args.postgres,
                    args.idle,
                    args.out,
                    args.gil,
                    "echo" if args.echo else "bot",
                )
            ),
        )
    if args.only != "load":
        show("start-up", asyncio.run(at_startup(args.out)))


if __name__ == "__main__":
    main()
