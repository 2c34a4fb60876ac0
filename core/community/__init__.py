"""Channels and their community: follows, notifications, profiles, roles, schedules, chat."""
