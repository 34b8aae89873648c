"""Every word of the public board page, one table per language (French first, English).

``PageTexts`` is a dataclass so that a table missing a string is a type error, not a blank on
the page. The election's own words (its title, the scrutins' titles) come from the signed
package, never from here. ``Messages`` are the results the page's script writes into its live
region; ``{name}`` marks a value the script fills in (as text, never as markup).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Final, Literal

Language = Literal["fr", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("fr", "en")


@dataclass(frozen=True)
class Messages:
    searching: str
    reading: str
    empty_code: str
    no_file: str
    found: str  # {code} {seq} {scrutin} {kiosk}
    not_found: str  # {code}
    pending_note: str
    receipt_found: str  # {code} {seq} {scrutin} {kiosk}
    receipt_not_found: str  # {code} {scrutin} {kiosk}
    receipt_mismatch: str  # {code} {seq}
    signature_valid: str  # {kiosk}
    signature_invalid: str  # {kiosk}
    other_election: str  # {fingerprint}
    report_it: str
    invalid_tracking_code: str
    unsupported_file: str
    unreadable_file: str
    no_receipt: str
    body_too_large: str
    too_many_requests: str
    unavailable: str
    failed: str  # {status}
    details: str  # {detail}: the server's own words, in English

    def as_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class PageTexts:
    language: Language
    other_language: Language
    other_language_name: str  # in that language, e.g. "English" on the French page
    language_nav: str
    page_title: str
    intro: str
    board_heading: str
    entries_label: str
    head_label: str
    empty_head: str
    fingerprint_label: str
    code_heading: str
    code_label: str
    code_hint: str
    code_button: str
    receipt_heading: str
    receipt_label: str
    receipt_hint: str  # {megabytes}
    receipt_button: str
    result_heading: str
    result_idle: str
    noscript: str
    audit_note: str
    messages: Messages


FRENCH: Final = PageTexts(
    language="fr",
    other_language="en",
    other_language_name="English",
    language_nav="Langue",
    page_title="Tableau d'affichage public des bulletins",
    intro=(
        "Chaque bulletin déposé figure sur ce tableau public, chiffré, sous sa référence, sans le "
        "nom de personne. Retrouvez le vôtre avec la référence imprimée sur votre preuve de "
        "dépôt, ou en envoyant une photo ou le PDF de celle-ci."
    ),
    board_heading="Le tableau",
    entries_label="Bulletins sur le tableau",
    head_label="Empreinte de tête (hachage de la dernière entrée)",
    empty_head="aucune (élection non scellée)",
    fingerprint_label="Empreinte de l'élection (imprimée sur votre reçu)",
    code_heading="Vérifier une référence",
    code_label="Référence du bulletin",
    code_hint=(
        "32 caractères, lettres A à Z et chiffres 2 à 7, par groupes de 4. Espaces, tirets, "
        "majuscules ou minuscules : peu importe."
    ),
    code_button="Vérifier",
    receipt_heading="Lire une preuve de dépôt",
    receipt_label="Photo ou PDF de votre preuve de dépôt",
    receipt_hint=(
        "PNG, JPEG ou PDF, {megabytes} Mo au plus. Son code QR est lu par le serveur et "
        "vérifié, puis le fichier est oublié : rien n'est conservé."
    ),
    receipt_button="Lire et vérifier",
    result_heading="Résultat",
    result_idle="Saisissez une référence ou choisissez un fichier.",
    noscript=(
        "Cette page a besoin de JavaScript pour interroger le tableau. Sans lui, la commande "
        "« isoloir verify tracking-code » vérifie une référence sur le registre publié."
    ),
    audit_note=(
        "Pour tout vérifier vous-même : le tableau complet est publié avec le registre de "
        "l'élection, et « isoloir verify record » le contrôle entièrement."
    ),
    messages=Messages(
        searching="Recherche en cours…",
        reading="Lecture du reçu en cours…",
        empty_code="Saisissez la référence imprimée sur votre preuve de dépôt.",
        no_file="Choisissez d'abord une photo ou un PDF de votre preuve de dépôt.",
        found=(
            "Trouvé : la référence {code} est sur le tableau (entrée n° {seq}, {scrutin}, "
            "borne {kiosk})."
        ),
        not_found="Introuvable : la référence {code} n'est pas sur le tableau.",
        pending_note=(
            "Un bulletin « en attente de transmission » n'y figure qu'une fois sa borne "
            "reconnectée. Sinon, si c'est la référence de votre reçu, signalez-le à "
            "l'organisateur de l'élection."
        ),
        receipt_found=(
            "Trouvé : le bulletin de ce reçu est sur le tableau (référence {code}, entrée "
            "n° {seq}, {scrutin}, borne {kiosk})."
        ),
        receipt_not_found=(
            "Introuvable : le bulletin de ce reçu (référence {code}, {scrutin}, borne {kiosk}) "
            "n'est pas sur le tableau."
        ),
        receipt_mismatch=(
            "Attention : la référence {code} est sur le tableau (entrée n° {seq}) avec d'autres "
            "données que ce reçu."
        ),
        signature_valid="La signature de la borne {kiosk} est valide : ce reçu est authentique.",
        signature_invalid=(
            "La signature de ce reçu n'est PAS valide : il n'a pas été émis par la borne "
            "{kiosk} de cette élection."
        ),
        other_election="Ce reçu est celui d'une autre élection (empreinte {fingerprint}).",
        report_it="Signalez-le à l'organisateur de l'élection.",
        invalid_tracking_code=(
            "Ce n'est pas une référence de bulletin : il faut 32 caractères, lettres A à Z et "
            "chiffres 2 à 7."
        ),
        unsupported_file="Ce fichier n'est ni une image PNG ou JPEG, ni un PDF.",
        unreadable_file="Ce fichier ne peut pas être lu (image ou PDF abîmé, ou trop grand).",
        no_receipt=(
            "Aucun code QR de preuve de dépôt n'a été trouvé : photographiez le reçu à plat, "
            "net et en entier."
        ),
        body_too_large="Ce fichier est trop gros.",
        too_many_requests="Trop d'envois depuis votre adresse : réessayez dans une minute.",
        unavailable="Le serveur ne peut pas répondre pour l'instant : réessayez plus tard.",
        failed="Le serveur n'a pas répondu comme prévu (statut {status}).",
        details="Détail (en anglais) : {detail}",
    ),
)

ENGLISH: Final = PageTexts(
    language="en",
    other_language="fr",
    other_language_name="Français",
    language_nav="Language",
    page_title="Public bulletin board",
    intro=(
        "Every ballot cast is on this public board, encrypted, under its tracking code, with "
        "nobody's name. Find yours with the tracking code printed on your proof of deposit, or "
        "by sending a photo or the PDF of it."
    ),
    board_heading="The board",
    entries_label="Ballots on the board",
    head_label="Head hash (hash of the last entry)",
    empty_head="none (election not sealed)",
    fingerprint_label="Election fingerprint (printed on your receipt)",
    code_heading="Check a tracking code",
    code_label="Tracking code",
    code_hint=(
        "32 characters, letters A to Z and digits 2 to 7, in groups of 4. Spaces, dashes, "
        "upper or lower case: it does not matter."
    ),
    code_button="Check",
    receipt_heading="Read a proof of deposit",
    receipt_label="Photo or PDF of your proof of deposit",
    receipt_hint=(
        "PNG, JPEG or PDF, {megabytes} MB at most. The server reads and checks its QR code, "
        "then forgets the file: nothing is kept."
    ),
    receipt_button="Read and check",
    result_heading="Result",
    result_idle="Type a tracking code or choose a file.",
    noscript=(
        "This page needs JavaScript to query the board. Without it, the command "
        '"isoloir verify tracking-code" checks a tracking code on the published record.'
    ),
    audit_note=(
        "To check everything yourself: the whole board is published with the election record, "
        'and "isoloir verify record" checks all of it.'
    ),
    messages=Messages(
        searching="Searching…",
        reading="Reading the receipt…",
        empty_code="Type the tracking code printed on your proof of deposit.",
        no_file="First choose a photo or a PDF of your proof of deposit.",
        found=(
            "Found: tracking code {code} is on the board (entry {seq}, {scrutin}, kiosk {kiosk})."
        ),
        not_found="Not found: tracking code {code} is not on the board.",
        pending_note=(
            'A ballot "awaiting transmission" appears only once its kiosk is back online. '
            "Otherwise, if it is the code on your receipt, report it to the election's organizer."
        ),
        receipt_found=(
            "Found: this receipt's ballot is on the board (tracking code {code}, entry {seq}, "
            "{scrutin}, kiosk {kiosk})."
        ),
        receipt_not_found=(
            "Not found: this receipt's ballot (tracking code {code}, {scrutin}, kiosk {kiosk}) "
            "is not on the board."
        ),
        receipt_mismatch=(
            "Warning: tracking code {code} is on the board (entry {seq}) with other data than "
            "this receipt."
        ),
        signature_valid="The signature of kiosk {kiosk} is valid: this receipt is genuine.",
        signature_invalid=(
            "This receipt's signature is NOT valid: kiosk {kiosk} of this election did not "
            "issue it."
        ),
        other_election="This receipt belongs to another election (fingerprint {fingerprint}).",
        report_it="Report it to the election's organizer.",
        invalid_tracking_code=(
            "This is not a tracking code: it has 32 characters, letters A to Z and digits 2 to 7."
        ),
        unsupported_file="This file is neither a PNG or JPEG image nor a PDF.",
        unreadable_file="This file cannot be read (a damaged or too large image or PDF).",
        no_receipt=(
            "No proof-of-deposit QR code was found: photograph the receipt flat, sharp and whole."
        ),
        body_too_large="This file is too large.",
        too_many_requests="Too many uploads from your address: try again in a minute.",
        unavailable="The server cannot answer now: try again later.",
        failed="The server did not answer as expected (status {status}).",
        details="Details: {detail}",
    ),
)

TEXTS: Final[dict[Language, PageTexts]] = {"fr": FRENCH, "en": ENGLISH}


def texts_for(language: str | None) -> PageTexts:
    """The page in ``language``; French for anything else (the default)."""
    return ENGLISH if language == "en" else FRENCH
