"""Typed application keys of the emulator app."""

from aiohttp import web

from ops.cloudflare_emulator.state import EmulatorState

EMULATOR_STATE = web.AppKey("cloudflare_emulator.state", EmulatorState)
