"""Request and response bodies of the schedule endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from core.community.schedule import MAX_UPCOMING_DAYS


class ScheduleEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day_of_week: StrictInt = Field(description="0 = Monday ... 6 = Sunday")
    start_time: str = Field(
        description="Wall-clock start, 24-hour HH:MM", examples=["18:00"]
    )
    end_time: str = Field(
        description="Wall-clock end, HH:MM; not after start_time means the next day",
        examples=["20:00"],
    )
    timezone: str = Field(
        description="IANA time zone name", examples=["America/New_York"]
    )
    title: str = Field(default="", max_length=140)
    category_id: UUID | None = None


class ScheduleEntryUpdate(BaseModel):
    """Fields to change; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    day_of_week: StrictInt | None = None
    start_time: str | None = None
    end_time: str | None = None
    timezone: str | None = None
    title: str | None = Field(default=None, max_length=140)
    category_id: UUID | None = None

    @field_validator("day_of_week", "start_time", "end_time", "timezone")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class ScheduleEntry(BaseModel):
    id: UUID
    day_of_week: int
    day_name: str
    start_time: str
    end_time: str
    ends_next_day: bool
    timezone: str
    title: str
    category_id: UUID | None
    created_at: datetime
    updated_at: datetime


class ScheduleDay(BaseModel):
    day_of_week: int
    day_name: str
    entries: list[ScheduleEntry]


class WeeklySchedule(BaseModel):
    user_id: UUID
    username: str
    days: list[ScheduleDay]
    total: int


class UpcomingQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    days: int = Field(
        default=7, ge=1, le=MAX_UPCOMING_DAYS, description="Days to look ahead (1-30)"
    )


class UpcomingInstance(BaseModel):
    entry_id: UUID
    title: str
    category_id: UUID | None
    timezone: str
    starts_at: datetime = Field(description="Start instant, UTC")
    ends_at: datetime = Field(description="End instant, UTC")
    starts_at_local: str = Field(
        description="Start as wall-clock time in the entry's zone, ISO 8601 with its UTC offset",
        examples=["2026-03-09T18:00:00-04:00"],
    )
    ends_at_local: str = Field(
        description="End as wall-clock time in the entry's zone, with offset"
    )
    in_progress: bool = Field(
        description="True when the instance has started and not ended"
    )


class UpcomingList(BaseModel):
    user_id: UUID
    username: str
    days: int
    instances: list[UpcomingInstance]
    total: int
