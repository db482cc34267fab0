"""The base of every record type: a ``schema_version`` that readers check."""

from __future__ import annotations

import warnings
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Several records keep the review schema in a field named "schema" (part of their JSONL format); the
# name shadows pydantic's deprecated BaseModel.schema() classmethod, which no reader uses.
warnings.filterwarnings("ignore", message='Field name "schema"', category=UserWarning)


class Record(BaseModel):
    """A line of a stage's JSONL output.

    Each record type sets ``SCHEMA_VERSION``; a reader refuses a record written with a newer
    version than it knows, instead of silently misreading it.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    schema_version: int = Field(1, description="the record format's version; a reader refuses a newer one than it knows")

    @model_validator(mode="before")
    @classmethod
    def _check_schema_version(cls, data):
        if isinstance(data, dict):
            version = data.get("schema_version", 1)
            if not isinstance(version, int) or version > cls.SCHEMA_VERSION or version < 1:
                raise ValueError(
                    f"{cls.__name__} schema_version {version!r} is not supported "
                    f"(this reviewgpt reads up to {cls.SCHEMA_VERSION}); upgrade reviewgpt"
                )
        return data
