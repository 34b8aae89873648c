"""Clock, configuration and redacted JSON logging."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.clock import ManualClock, SystemClock, isoformat_utc
from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.log import REDACTED, LogEvent, configure, log_event

# ---- clock ------------------------------------------------------------------------------------


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    before = clock.now()
    assert clock.now() == before
    clock.advance(timedelta(seconds=90))
    assert clock.now() - before == timedelta(seconds=90)
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(timedelta(seconds=-1))


def test_clocks_are_timezone_aware() -> None:
    assert SystemClock().now().tzinfo is not None
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))


def test_isoformat_utc() -> None:
    paris = datetime.fromisoformat("2026-12-01T09:30:15.5+01:00")
    assert isoformat_utc(paris) == "2026-12-01T08:30:15Z"
    with pytest.raises(ValueError, match="naive"):
        isoformat_utc(datetime(2026, 1, 1))


# ---- config -----------------------------------------------------------------------------------


def test_defaults_without_file_or_environment() -> None:
    assert load_config(None, {}) == KioskConfig()


def test_file_then_environment_override(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\nstore = "/var/lib/isoloir/kiosk.db"\ncaptcha = false\nlanguage = "en"\n'
    )
    config = load_config(
        path, {"ISOLOIR_LANGUAGE": "fr", "ISOLOIR_INACTIVITY_WARNING_SECONDS": "90"}
    )
    assert config.store == Path("/var/lib/isoloir/kiosk.db")
    assert config.captcha is False
    assert config.language == "fr"
    assert config.inactivity_warning_seconds == 90


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("[kiosk]\ncolour = 'red'\n", {}, "unknown setting 'colour'"),
        ("[server]\nx = 1\n", {}, r"unknown table \[server\]"),
        ("[kiosk]\ncaptcha = 'maybe'\n", {}, "captcha: expected true or false"),
        (
            "",
            {"ISOLOIR_INACTIVITY_RESET_SECONDS": "soon"},
            "ISOLOIR_INACTIVITY_RESET_SECONDS: expected a whole",
        ),
        ("", {"ISOLOIR_LANGUAGE": "de"}, "language: 'de' is not one of fr, en"),
        ("", {"ISOLOIR_INACTIVITY_WARNING_SECONDS": "1"}, "outside 5..3600"),
        ("", {"ISOLOIR_SERVER_URL": "ftp://x"}, "not an http"),
        ("[kiosk\n", {}, "invalid TOML"),
    ],
)
def test_bad_settings_name_what_is_wrong(
    tmp_path: Path, toml: str, env: dict[str, str], message: str
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_config(path, env)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml", {})


# ---- logging ----------------------------------------------------------------------------------


@pytest.fixture
def log_stream() -> io.StringIO:
    stream = io.StringIO()
    configure("DEBUG", stream)
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_whitelisted_fields_pass_others_are_redacted(log_stream: io.StringIO) -> None:
    logger = logging.getLogger("kiosk.test")
    log_event(logger, LogEvent.PACKAGE_LOAD, fingerprint="ABCD-EFGH-IJKL-MNOP", password="hunter2")
    (entry,) = _lines(log_stream)
    assert entry["event"] == "package_load"
    assert entry["fingerprint"] == "ABCD-EFGH-IJKL-MNOP"
    assert entry["password"] == REDACTED
    assert "hunter2" not in log_stream.getvalue()


def test_percent_arguments_and_exception_text_never_reach_the_log(log_stream: io.StringIO) -> None:
    logger = logging.getLogger("kiosk.test")
    logger.warning("login failed for %s", "code-123456")
    logger.info(f"voter typed {'Lisbonne'}")
    try:
        raise ValueError("secret answer was 'Lisbonne'")
    except ValueError:
        logger.exception("unexpected")
    text = log_stream.getvalue()
    assert "code-123456" not in text
    assert "Lisbonne" not in text
    entries = _lines(log_stream)
    assert [e["event"] for e in entries] == [REDACTED, REDACTED, REDACTED]
    assert entries[2]["error"] == "ValueError"
    assert entries[0]["level"] == "WARNING"
