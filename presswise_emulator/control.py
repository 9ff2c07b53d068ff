"""Latency and fault injection, steered through ``/_control/``."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

FAULT_KINDS = {
    "http500": "HTTP 500 with a SOAP Fault; nothing stored",
    "code9": "status code 9 (internal error); nothing stored",
    "auth": "status code 1 (authentication failed) whatever the credentials",
    "hang": "read the request, store nothing, answer nothing until `seconds` pass, then close",
    "close": "read the request, store nothing, close the connection without an answer",
    "store_then_hang": "store the order as usual, then answer nothing until `seconds` pass and close",
    "malformed": "process the call as usual, then answer HTTP 200 with broken XML",
    "respond": "answer `body` with `http_status` (default 200) instead of processing the call",
    "huge": "answer HTTP 200 with `size_mb` megabytes of XML and no Content-Length",
}


@dataclass
class Fault:
    kind: str
    remaining: int | None = 1  # None: until reset
    fraction: float | None = None
    operation: str = ""  # empty: any operation
    seconds: float = 60.0
    body: str = ""
    http_status: int = 200
    size_mb: float = 50.0

    def describe(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "body"} | {"body_length": len(self.body)}


@dataclass
class Latency:
    fixed_ms: float = 0.0
    jitter_ms: float = 0.0


@dataclass
class ControlState:
    faults: list[Fault] = field(default_factory=list)
    latency: Latency = field(default_factory=Latency)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    _random: random.Random = field(default_factory=random.Random)

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> int:
        """Stop injecting faults (a call held by a hang now is held until its ``seconds`` pass)."""
        with self._lock:
            cleared = len(self.faults)
            self.faults.clear()
        return cleared

    def set_latency(self, fixed_ms: float, jitter_ms: float) -> None:
        with self._lock:
            self.latency = Latency(fixed_ms, jitter_ms)

    def delay_seconds(self) -> float:
        latency = self.latency
        jitter = self._random.uniform(0, latency.jitter_ms) if latency.jitter_ms else 0.0
        return (latency.fixed_ms + jitter) / 1000.0

    def next_fault(self, operation: str) -> Fault | None:
        """The fault this call suffers, if any; a counted fault is used up by it."""
        with self._lock:
            for fault in self.faults:
                if fault.operation and fault.operation != operation:
                    continue
                if fault.fraction is not None and self._random.random() >= fault.fraction:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    generation: int = 0  # bumped by every reset: a call that spans one belongs to no test
    waiting: int = 0  # calls held right now by latency or a hang: tests wait for this, not for a guessed time
    peak_waiting: int = 0  # the most calls held at once since the last reset: how many a client had in flight

    def hang(self, seconds: float) -> bool:
        """Wait as a stuck or slow server would; ``reset`` ends every wait at once (and returns True)."""
        with self._lock:
            self.waiting += 1
            self.peak_waiting = max(self.peak_waiting, self.waiting)
            release = self._release
        try:
            return release.wait(seconds)
        finally:
            with self._lock:
                self.waiting -= 1

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.latency = Latency()
            self.peak_waiting = self.waiting
            release, self._release = self._release, threading.Event()
            self.generation += 1
        release.set()
