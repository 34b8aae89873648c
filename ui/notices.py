"""The one translated text of each ``Notice``, and the countdowns the pages show."""

from __future__ import annotations

from datetime import datetime
from typing import assert_never

from PySide6.QtCore import QCoreApplication

from kiosk.voting.flow import remaining
from kiosk.voting.model import Notice


def notice_text(notice: Notice) -> str:
    match notice:
        case Notice.INCOMPLETE:
            return QCoreApplication.translate("Notice", "Veuillez remplir tous les champs.")
        case Notice.WRONG_CREDENTIALS:
            return QCoreApplication.translate("Notice", "Identifiant ou mot de passe incorrect.")
        case Notice.WAIT:
            return QCoreApplication.translate(
                "Notice", "Trop de tentatives : veuillez patienter avant de réessayer."
            )
        case Notice.LOCKED:
            return QCoreApplication.translate(
                "Notice", "Trop de tentatives : adressez-vous à un assesseur."
            )
        case Notice.POLLS_NOT_OPEN:
            return QCoreApplication.translate("Notice", "Le bureau de vote n'est pas ouvert.")
        case Notice.VOTING_CLOSED:
            return QCoreApplication.translate("Notice", "Le vote est clos.")
        case Notice.WRONG_CAPTCHA:
            return QCoreApplication.translate(
                "Notice",
                "Les caractères de l'image ne correspondent pas : une nouvelle image est affichée.",
            )
        case Notice.WRONG_VOTE_CODE:
            return QCoreApplication.translate("Notice", "Code de vote incorrect.")
        case Notice.VOTE_CODE_INVALIDATED:
            return QCoreApplication.translate(
                "Notice",
                "Ce code de vote n'est plus valable : obtenez un réassort de votre code de vote.",
            )
        case Notice.CODE_HIDDEN:
            return QCoreApplication.translate("Notice", "Le nouveau code n'est plus affiché.")
        case Notice.WRONG_ASSESSEUR:
            return QCoreApplication.translate("Notice", "Identifiant d'assesseur incorrect.")
        case Notice.WRONG_ANSWERS:
            return QCoreApplication.translate("Notice", "Réponse ou NUMEN incorrect.")
        case Notice.NO_CHANNEL:
            return QCoreApplication.translate("Notice", "Choisissez comment recevoir le jeton.")
        case Notice.NOT_SENT:
            return QCoreApplication.translate(
                "Notice", "Le message n'a pas pu être envoyé : adressez-vous à un assesseur."
            )
        case Notice.TOO_SOON:
            return QCoreApplication.translate(
                "Notice", "Un message vient de vous être envoyé : consultez votre messagerie."
            )
        case Notice.WRONG_TOKEN:
            return QCoreApplication.translate("Notice", "Jeton incorrect.")
        case Notice.EXPIRED_TOKEN:
            return QCoreApplication.translate(
                "Notice", "Autorisation expirée : recommencez le réassort."
            )
        case Notice.UNAVAILABLE:
            return QCoreApplication.translate(
                "Notice", "Ce service n'est pas disponible sur ce poste."
            )
        case Notice.ALREADY_VOTED:
            return QCoreApplication.translate("Notice", "Vous avez déjà voté pour ce scrutin.")
        case Notice.NOT_ELIGIBLE:
            return QCoreApplication.translate("Notice", "Vous ne pouvez pas voter pour ce scrutin.")
        case Notice.NOT_PRINTED:
            return QCoreApplication.translate(
                "Notice", "Le reçu n'a pas pu être imprimé : adressez-vous à un assesseur."
            )
        case Notice.INCIDENT:
            return QCoreApplication.translate(
                "Notice", "Un incident technique est survenu : adressez-vous à un assesseur."
            )
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
        # No %n plural here: lupdate marks plurals only in self.tr(), not in translate().
        wait = QCoreApplication.translate("Notice", "Réessayez dans %1 s.").replace(
            "%1", str(seconds_left(retry_at, now))
        )
        parts.append(wait)
    return " ".join(parts)
