"""Injected failures that the emulator serves in place of normal responses."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from ops.cloudflare_emulator.envelope import INJECTED_FAULT

#: Operations that accept a fault. ``update_live_input`` also covers enable and disable.
FAULT_OPERATIONS = frozenset(
    {
        "create_live_input",
        "list_live_inputs",
        "get_live_input",
        "update_live_input",
        "delete_live_input",
        "rotate_keys",
        "views",
        "lifecycle",
    }
)

#: ``error`` sends a failure envelope with ``status`` (HTTP 200 gives
#: ``success: false`` with 200), ``malformed`` sends a body that is not JSON,
#: and ``normal`` handles the request as usual after ``delay_seconds``.
FaultBody = Literal["error", "malformed", "normal"]
FAULT_BODIES = ("error", "malformed", "normal")


@dataclass
class Fault:
    """A response override for the next ``times`` requests of one operation."""

    operation: str
    status: int = 500
    times: int = 1
    delay_seconds: float = 0.0
    body: FaultBody = "error"
    retry_after: int | None = None
    code: int = INJECTED_FAULT
    message: str = "Injected fault"

    def __post_init__(self) -> None:
        if self.operation not in FAULT_OPERATIONS:
            raise ValueError(
                f"unknown fault operation {self.operation!r}; "
                f"expected one of {', '.join(sorted(FAULT_OPERATIONS))}"
            )
        if not 200 <= self.status <= 599:
            raise ValueError(
                f"fault status must be an HTTP status 200-599, got {self.status}"
            )
        if self.times < 1:
            raise ValueError(f"fault times must be 1 or more, got {self.times}")
        if self.delay_seconds < 0:
            raise ValueError(
                f"fault delay_seconds must be 0 or more, got {self.delay_seconds}"
            )
        if self.body not in FAULT_BODIES:
            raise ValueError(
                f"fault body must be one of {', '.join(FAULT_BODIES)}, "
                f"got {self.body!r}"
            )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """Pending faults, consumed first in, first out per operation."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def take(self, operation: str) -> Fault | None:
        """Return the oldest fault for ``operation`` and count one use of it."""
        for fault in self._faults:
            if fault.operation == operation:
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> list[Fault]:
        return list(self._faults)
