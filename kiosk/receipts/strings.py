"""Every word the printed receipts say, one table per language, and the printed time.

French is the default. The election's own words (titles, list names) come from the signed
package and are never translated here. ``Strings`` is a dataclass so that a table missing a
string is a type error, not a blank on paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from kiosk.config import Language

TIME_ZONE: Final = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Strings:
    deposit_title: str
    emargement_title: str
    challenge_title: str
    scrutin: str
    date_time: str
    tracking_code: str
    status: str
    deposited: str
    deposited_note: str
    pending: str
    pending_note: str
    kiosk: str
    fingerprint: str
    receipt_qr_note: str
    receipt_check_note: str
    voter: str
    emargement_note: str
    emargement_qr_note: str
    signature: str
    not_cast: str
    claimed_choice: str
    challenge_note: str
    challenge_check_note: str
    qr_part: str  # "{part}" of "{parts}"
    paris_time: str  # "{offset}"
    weekdays: tuple[str, ...]  # Monday first
    months: tuple[str, ...]  # January first


FRENCH: Final = Strings(
    deposit_title="Preuve de dépôt",
    emargement_title="Attestation d'émargement",
    challenge_title="Bulletin contrôlé",
    scrutin="Scrutin",
    date_time="Date et heure",
    tracking_code="Code de suivi (référence du bulletin)",
    status="État",
    deposited="Déposé dans l'urne",
    deposited_note="Votre bulletin chiffré a été transmis à l'urne électronique.",
    pending="En attente de transmission",
    pending_note=(
        "Votre bulletin chiffré est enregistré dans la borne ; il sera transmis à l'urne "
        "dès le retour de la connexion."
    ),
    kiosk="Borne",
    fingerprint="Empreinte de l'élection",
    receipt_qr_note=(
        "Ce code QR contient uniquement l'empreinte de l'élection, le scrutin, le code de "
        "suivi, la borne et sa signature : ni votre nom, ni votre choix."
    ),
    receipt_check_note=(
        "Après la clôture, vérifiez que ce code de suivi figure dans l'urne publiée par "
        "l'organisateur."
    ),
    voter="Électrice ou électeur",
    emargement_note=(
        "Cette attestation prouve que vous avez voté à ce scrutin. Elle ne dit rien de votre "
        "choix et ne porte pas votre code de suivi."
    ),
    emargement_qr_note=(
        "Le code QR contient ces informations et la signature de la borne, vérifiable avec la "
        "clé publique de la borne publiée dans le paquet de l'élection."
    ),
    signature="Signature de la borne",
    not_cast="Ce bulletin n'a PAS été déposé. Choisissez à nouveau.",
    claimed_choice="Choix chiffré dans ce bulletin",
    challenge_note=(
        "Vous avez demandé à vérifier le chiffrement. Ce feuillet révèle le choix que la borne a "
        "chiffré : ce bulletin est donc annulé et ne sera jamais compté."
    ),
    challenge_check_note=(
        "Faites lire les codes QR par un outil de vérification (isoloir verify challenge) : "
        "ils prouvent, sous la signature de la borne, qu'elle a chiffré exactement ce choix."
    ),
    qr_part="Code {part} sur {parts}",
    paris_time="heure de Paris, {offset}",
    weekdays=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    months=(
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
)

ENGLISH: Final = Strings(
    deposit_title="Proof of deposit",
    emargement_title="Proof of participation",
    challenge_title="Challenged ballot",
    scrutin="Contest",
    date_time="Date and time",
    tracking_code="Tracking code (ballot reference)",
    status="Status",
    deposited="Deposited in the ballot box",
    deposited_note="Your encrypted ballot has been sent to the electronic ballot box.",
    pending="Awaiting transmission",
    pending_note=(
        "Your encrypted ballot is stored in the kiosk; it will be sent to the ballot box as soon "
        "as the connection is back."
    ),
    kiosk="Kiosk",
    fingerprint="Election fingerprint",
    receipt_qr_note=(
        "This QR code holds only the election fingerprint, the contest, the tracking code, the "
        "kiosk and its signature: neither your name nor your choice."
    ),
    receipt_check_note=(
        "After the vote closes, check that this tracking code appears in the ballot box "
        "published by the organizer."
    ),
    voter="Voter",
    emargement_note=(
        "This certificate proves that you voted in this contest (émargement). It says nothing "
        "of your choice and does not carry your tracking code."
    ),
    emargement_qr_note=(
        "The QR code holds these facts and the kiosk's signature, which the kiosk's public key "
        "in the election package verifies."
    ),
    signature="Kiosk signature",
    not_cast="This ballot was NOT cast. Choose again.",
    claimed_choice="Choice encrypted in this ballot",
    challenge_note=(
        "You asked to check the encryption. This slip reveals the choice the kiosk encrypted: "
        "this ballot is therefore spoiled and will never be counted."
    ),
    challenge_check_note=(
        "Have the QR codes read by a verification tool (isoloir verify challenge): under the "
        "kiosk's signature, they prove that it encrypted exactly this choice."
    ),
    qr_part="Code {part} of {parts}",
    paris_time="Paris time, {offset}",
    weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
)

_TABLES: Final[dict[Language, Strings]] = {"fr": FRENCH, "en": ENGLISH}


def strings(language: Language) -> Strings:
    return _TABLES[language]


@dataclass(frozen=True)
class PrintedTime:
    date: str  # "mercredi 2 décembre 2026"
    clock: str  # "10:14:37"
    zone: str  # "heure de Paris, UTC+1": a printed hour is ambiguous when clocks go back


def printed_time(moment: datetime, language: Language) -> PrintedTime:
    """``moment`` in Europe/Paris, to the second, in words of ``language``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a printed time needs an aware datetime")
    local = moment.astimezone(TIME_ZONE)
    table = strings(language)
    weekday, month = table.weekdays[local.weekday()], table.months[local.month - 1]
    day = "1er" if language == "fr" and local.day == 1 else str(local.day)
    return PrintedTime(
        f"{weekday} {day} {month} {local.year}",
        local.strftime("%H:%M:%S"),
        table.paris_time.format(offset=_utc_offset(local.utcoffset())),
    )


def _utc_offset(offset: timedelta | None) -> str:
    minutes = round((offset or timedelta()).total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
