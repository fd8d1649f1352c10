"""Fixtures for the operations tests: the production logging configuration, captured."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from config.logging import logging_config


class CapturedLog:
    """The lines the real console handler wrote, parsed (JSON) or raw (plain)."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def lines(self) -> list[str]:
        return [line for line in self.stream.getvalue().splitlines() if line.strip()]

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]

    def find(self, **fields: Any) -> list[dict[str, Any]]:
        return [record for record in self.records() if all(record.get(k) == v for k, v in fields.items())]


def _capture(json_lines: bool) -> Iterator[CapturedLog]:
    logging.config.dictConfig(logging_config(level="INFO", json_lines=json_lines))
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        yield CapturedLog(stream)
    finally:
        logging.config.dictConfig(settings.LOGGING)


@pytest.fixture
def json_log() -> Iterator[CapturedLog]:
    """Configures logging exactly as production does (JSON lines) and captures what the handler writes."""
    yield from _capture(json_lines=True)


@pytest.fixture
def plain_log() -> Iterator[CapturedLog]:
    yield from _capture(json_lines=False)

