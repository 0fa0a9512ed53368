"""The running bot keeps glibc's malloc threshold fixed (``cli.fixed_malloc_threshold``): large
blocks always get a mapping of their own, so the heap is not left fragmented by temporaries."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# How many more blocks glibc maps apart after a 1 MiB allocation that follows a freed 4 MiB one:
# by default the free raises the threshold to 4 MiB, so the 1 MiB block comes from the heap.
_PROBE = """
import ctypes, sys
from retainment_bot.cli import fixed_malloc_threshold
names = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in names]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
if sys.argv[1] == "fixed":
    assert fixed_malloc_threshold()
big = bytearray(4 << 20)
del big
before = libc.mallinfo2().hblks
block = bytearray(1 << 20)
print(libc.mallinfo2().hblks - before)
"""


def _mapped_apart(how: str) -> int:
    result = subprocess.run([sys.executable, "-c", _PROBE, how], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's threshold is glibc's")
def test_a_large_block_is_mapped_apart_after_a_larger_one_was_freed() -> None:
    assert _mapped_apart("default") == 0  # glibc's own behaviour, which the setting changes
    assert _mapped_apart("fixed") == 1
