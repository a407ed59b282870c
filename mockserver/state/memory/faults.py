"""The fault queue of an in-memory fake: a list behind a lock, and an event per hang generation."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from mockserver.state.faults import MAX_QUEUED, Fault, FaultError, draw, parse_fault


class MemoryFaultQueue:
    """The :class:`mockserver.state.faults.FaultQueue` in this process's memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._release = threading.Event()
        self._cleared = threading.Event()

    def add(self, spec: Any) -> Fault:
        fault = parse_fault(spec)
        with self._lock:
            if len(self._faults) >= MAX_QUEUED:
                raise FaultError("fault", f"at most {MAX_QUEUED} faults can be queued")
            self._faults.append(fault)
        return dataclasses.replace(fault)

    def take(self, endpoint: str, *, stream: bool = False) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint not in ("*", endpoint) or fault.stream != stream:
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.probability < 1 and draw(fault.seed_text, fault.seen - fault.after) >= fault.probability:
                    continue
                fault.fired += 1
                if fault.count is not None and fault.fired >= fault.count:
                    self._faults.remove(fault)
                return dataclasses.replace(fault)  # a value: the queue's own goes on counting
            return None

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            for fault in self._faults:
                if fault.id == fault_id:
                    self._faults.remove(fault)
                    return True
            return False

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            cleared, self._cleared = self._cleared, threading.Event()
        self.release_hangs()
        cleared.set()

    @property
    def hang_release(self) -> threading.Event:
        return self._release

    @property
    def latency_release(self) -> threading.Event:
        return self._cleared

    def release_hangs(self) -> None:
        with self._lock:
            release, self._release = self._release, threading.Event()
        release.set()
