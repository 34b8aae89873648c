"""The one translated text of each ``Notice``, and the countdowns the pages show."""

from __future__ import annotations

from datetime import datetime
from typing import assert_never

from PySide6.QtCore import QCoreApplication

from kiosk.voting.flow import remaining
from kiosk.voting.model import Notice


def _tr(text: str) -> str:
    return QCoreApplication.translate("Notice", text)


def notice_text(notice: Notice) -> str:
    match notice:
        case Notice.INCOMPLETE:
            return _tr("Veuillez remplir tous les champs.")
        case Notice.WRONG_CREDENTIALS:
            return _tr("Identifiant ou mot de passe incorrect.")
        case Notice.WAIT:
            return _tr("Trop de tentatives : veuillez patienter avant de réessayer.")
        case Notice.LOCKED:
            return _tr("Trop de tentatives : adressez-vous à un assesseur.")
        case Notice.POLLS_NOT_OPEN:
            return _tr("Le bureau de vote n'est pas ouvert.")
        case Notice.VOTING_CLOSED:
            return _tr("Le vote est clos.")
        case Notice.WRONG_CAPTCHA:
            return _tr(
                "Les caractères de l'image ne correspondent pas : une nouvelle image est affichée."
            )
        case Notice.WRONG_VOTE_CODE:
            return _tr("Code de vote incorrect.")
        case Notice.VOTE_CODE_INVALIDATED:
            return _tr(
                "Ce code de vote n'est plus valable : obtenez un réassort de votre code de vote."
            )
        case Notice.CODE_HIDDEN:
            return _tr("Le nouveau code n'est plus affiché.")
        case Notice.WRONG_ASSESSEUR:
            return _tr("Identifiant d'assesseur incorrect.")
        case Notice.WRONG_ANSWERS:
            return _tr("Réponse ou NUMEN incorrect.")
        case Notice.NO_CHANNEL:
            return _tr("Choisissez comment recevoir le jeton.")
        case Notice.NOT_SENT:
            return _tr("Le message n'a pas pu être envoyé : adressez-vous à un assesseur.")
        case Notice.TOO_SOON:
            return _tr("Un message vient de vous être envoyé : consultez votre messagerie.")
        case Notice.WRONG_TOKEN:
            return _tr("Jeton incorrect.")
        case Notice.EXPIRED_TOKEN:
            return _tr("Autorisation expirée : recommencez le réassort.")
        case Notice.UNAVAILABLE:
            return _tr("Ce service n'est pas disponible sur ce poste.")
        case Notice.ALREADY_VOTED:
            return _tr("Vous avez déjà voté pour ce scrutin.")
        case Notice.NOT_ELIGIBLE:
            return _tr("Vous ne pouvez pas voter pour ce scrutin.")
        case _:
            assert_never(notice)


def seconds_left(until: datetime, now: datetime) -> int:
    """Whole seconds of a countdown, rounded up: it shows 1 until the very end."""
    left = remaining(until, now).total_seconds()
    return int(-(-left // 1))


def notice_line(notice: Notice | None, retry_at: datetime | None, now: datetime) -> str:
    """The notice, with "réessayez dans N s" while a delay runs."""
    parts = [notice_text(notice)] if notice is not None else []
    if retry_at is not None and retry_at > now:
        wait = QCoreApplication.translate(
            "Notice", "Réessayez dans %n seconde(s).", "", seconds_left(retry_at, now)
        )
        parts.append(wait)
    return " ".join(parts)
