"""Local stand-in for Cloudflare Stream: live-input API, delivery host and webhooks."""

from ops.cloudflare_emulator.app import create_emulator_app, create_emulator_state
from ops.cloudflare_emulator.keys import EMULATOR_STATE
from ops.cloudflare_emulator.state import EmulatorState

__all__ = [
    "EMULATOR_STATE",
    "EmulatorState",
    "create_emulator_app",
    "create_emulator_state",
]
