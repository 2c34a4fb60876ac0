"""Request and response bodies for registration, login, API keys and categories."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from core.tables.identity import USERNAME_PATTERN


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(
        pattern=USERNAME_PATTERN,
        description="3 to 25 letters, digits or underscores; unique regardless of case",
    )
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    display_name: str | None = Field(default=None, min_length=1, max_length=50)


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=254, description="Username or email")
    password: str = Field(min_length=1, max_length=256)


class ApiKeyCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)


class UserPublic(BaseModel):
    id: UUID
    username: str
    display_name: str
    avatar_url: str | None
    is_verified: bool
    created_at: datetime


class UserPrivate(UserPublic):
    email: str
    is_admin: bool
    tenant_id: UUID | None


class ApiKeyInfo(BaseModel):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyInfo]


class Credentials(BaseModel):
    user: UserPrivate
    api_key: str
    api_key_info: ApiKeyInfo


class NewApiKey(BaseModel):
    api_key: str
    api_key_info: ApiKeyInfo


class Category(BaseModel):
    id: UUID
    name: str
    slug: str
    created_at: datetime


class CategoryCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)


class CategoryList(BaseModel):
    categories: list[Category]
    total: int
    page: int
    per_page: int
    has_more: bool
