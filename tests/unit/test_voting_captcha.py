"""The vote-code CAPTCHA (kiosk/voting/captcha.py)."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

from PIL import Image

from kiosk.voting.captcha import (
    CAPTCHA_DIGITS,
    IMAGE_SIZE,
    CaptchaService,
    captcha_text,
    normalize_answer,
    render_png,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def issued(seed: int = 7) -> tuple[CaptchaService, str, str]:
    """A service with one challenge out, its id and its answer (the first draw of the seed)."""
    service = CaptchaService(random.Random(seed))
    image = service.issue(T0)
    return service, image.challenge_id, captcha_text(random.Random(seed))


def test_the_image_is_a_png_of_digits() -> None:
    image = CaptchaService(random.Random(1)).issue(T0)
    with Image.open(io.BytesIO(image.png)) as decoded:
        assert decoded.format == "PNG"
        assert decoded.size == IMAGE_SIZE
    assert image.expires_at == T0 + timedelta(minutes=5)
    assert set(captcha_text(random.Random(1))) <= set(CAPTCHA_DIGITS)
    assert "png" not in repr(image)


def test_the_right_answer_passes_whatever_the_case_and_spaces() -> None:
    service, challenge_id, answer = issued()
    spaced = " ".join(answer)
    assert normalize_answer(f"  {spaced} ") == answer
    assert service.check(challenge_id, f"  {spaced} ", T0 + timedelta(seconds=20))


def test_a_challenge_is_spent_by_any_check() -> None:
    service, challenge_id, answer = issued()
    assert not service.check(challenge_id, "00000", T0)
    assert service.outstanding == 0
    assert not service.check(challenge_id, answer, T0)  # the right answer, too late
    service, challenge_id, answer = issued()
    assert service.check(challenge_id, answer, T0)
    assert not service.check(challenge_id, answer, T0)  # single use


def test_an_expired_challenge_is_refused() -> None:
    service, challenge_id, answer = issued()
    assert not service.check(challenge_id, answer, T0 + timedelta(minutes=5))


def test_a_refresh_voids_the_previous_challenge() -> None:
    service, first_id, answer = issued()
    second = service.issue(T0)
    assert second.challenge_id != first_id
    assert not service.check(first_id, answer, T0)


def test_an_answer_to_another_challenge_or_none_is_refused() -> None:
    service, _, answer = issued()
    assert not service.check("not-this-one", answer, T0)
    service, _, answer = issued()
    assert not service.check(None, answer, T0)
    assert not CaptchaService().check("anything", "12345", T0)


def test_discard_voids_the_outstanding_challenge() -> None:
    service, challenge_id, answer = issued()
    assert service.outstanding == 1
    service.discard()
    assert service.outstanding == 0
    assert not service.check(challenge_id, answer, T0)
    assert answer not in repr(service)


def test_images_are_deterministic_for_a_seed_and_differ_between_texts() -> None:
    assert render_png("23456", random.Random(3)) == render_png("23456", random.Random(3))
    assert render_png("23456", random.Random(3)) != render_png("65432", random.Random(3))
    first = CaptchaService(random.Random(5)).issue(T0)
    again = CaptchaService(random.Random(5)).issue(T0)
    assert first == again


def test_the_default_service_draws_from_the_system() -> None:
    service = CaptchaService()
    images = {service.issue(T0).png for _ in range(3)}
    assert len(images) == 3
