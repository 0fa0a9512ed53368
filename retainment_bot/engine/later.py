"""A value made at its first use by a function the shell passes in.

The bot's engine cache keeps the matcher's index this way (pickled apart, ``retainment_bot/cache.py``):
``/start`` and button presses never read it, so a restored bot answers them without unpickling
it or importing the matcher's modules and rapidfuzz; the first typed question makes it, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


class Later(Generic[T]):
    """``make()``, called at the first :attr:`value` and remembered."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make: Callable[[], T] | None = make
        self._value: T | None = None

    @property
    def value(self) -> T:
        """The value, made now if this is its first use."""
        if self._make is not None:
            self._value, self._make = self._make(), None  # the function (and what it holds) let go
        return cast(T, self._value)

    def __getstate__(self) -> dict[str, Any]:
        # Pickled as the function while the value is not made, so that unpickling makes nothing.
        return {"make": self._make} if self._make is not None else {"value": self._value}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._make, self._value = state.get("make"), state.get("value")
