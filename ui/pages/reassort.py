"""The réassort pages: how, the assesseur, question + NUMEN, the token, the warning, the code."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QButtonGroup, QVBoxLayout, QWidget

from kiosk.voting.flow import (
    AssesseurAuth,
    NewCodeShown,
    ReassortChoice,
    ReassortQuestion,
    ReassortTokenSent,
    RegenerateWarning,
)
from kiosk.voting.model import Channel, ChannelOption, ReassortMode
from ui.notices import notice_line, seconds_left
from ui.pages.base import Page, TouchRadioButton, describe, forget

if TYPE_CHECKING:  # QtMultimedia loads when a voter first asks for the camera: a faster start
    from PySide6.QtMultimediaWidgets import QVideoWidget

    from ui.camera import QrCameraReader

VIEWFINDER_HEIGHT: Final = 240


class ReassortChoicePage(Page):
    """Only the ways this kiosk and this voter allow are offered."""

    chosen = Signal(object)  # ReassortMode
    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._question = self.button()
        self._have_token = self.button()
        self._supervised = self.button()
        self.column.addStretch()
        self._back = self.button()
        self._question.clicked.connect(lambda: self.chosen.emit(ReassortMode.QUESTION))
        self._have_token.clicked.connect(lambda: self.chosen.emit(ReassortMode.HAVE_TOKEN))
        self._supervised.clicked.connect(lambda: self.chosen.emit(ReassortMode.SUPERVISED))
        self._back.clicked.connect(self.backRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Réassort de votre code de vote"))
        self._question.setText(self.tr("Répondre à ma question secrète"))
        describe(
            self._question,
            self.tr("Question secrète"),
            self.tr("Recevoir un jeton par courriel ou SMS après la question secrète"),
        )
        self._have_token.setText(self.tr("J'ai reçu un jeton"))
        describe(
            self._have_token,
            self.tr("J'ai reçu un jeton"),
            self.tr("Saisir le jeton reçu par courriel ou SMS"),
        )
        self._supervised.setText(self.tr("Avec un assesseur"))
        describe(
            self._supervised,
            self.tr("Avec un assesseur"),
            self.tr("Un assesseur vous accompagne pour obtenir un nouveau code"),
        )
        self._back.setText(self.tr("Retour"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir au code de vote"))

    def clear(self) -> None:
        """Which ways were offered says what the voter registered (a phone, an address)."""
        super().clear()
        for button in (self._question, self._have_token, self._supervised):
            button.setHidden(False)

    def show_state(self, state: ReassortChoice) -> None:
        self._question.setVisible(state.token_delivery)
        self._have_token.setVisible(state.token_delivery)
        self._supervised.setVisible(state.supervised)


class AssesseurAuthPage(Page):
    submitted = Signal(str)
    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._credential = self.field(secret=True)
        self._notice = self.notice()
        self.column.addStretch()
        self._submit = self.button()
        self._back = self.button()
        self._submit.clicked.connect(self._send)
        self._credential.returnPressed.connect(self._send)
        self._back.clicked.connect(self.backRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Identification de l'assesseur"))
        describe(
            self._credential,
            self.tr("Code de l'assesseur"),
            self.tr("L'assesseur saisit son code"),
        )
        self._submit.setText(self.tr("Valider"))
        describe(self._submit, self.tr("Valider"), self.tr("Vérifier le code de l'assesseur"))
        self._back.setText(self.tr("Retour"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir au choix du réassort"))

    def show_state(self, state: AssesseurAuth, now: datetime) -> None:
        self._notice.setText(notice_line(state.notice, state.retry_at, now))

    def _send(self) -> None:
        credential = self._credential.text()
        forget(self._credential)
        self.submitted.emit(credential)


class ReassortQuestionPage(Page):
    submitted = Signal(str, str, object)  # answer, NUMEN, Channel or None (supervised)
    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._question = self.text(from_state=True)
        self._answer = self.field(secret=True)
        self._numen_label = self.text()
        self._numen = self.field(secret=True)
        self._channel_label = self.text()
        self._channels = QButtonGroup(self)
        self._channel_buttons: dict[Channel, TouchRadioButton] = {}
        for channel in Channel:
            radio = TouchRadioButton(self)
            self._channels.addButton(radio)
            self._channel_buttons[channel] = radio
            self.column.addWidget(radio)
        self._notice = self.notice()
        self.column.addStretch()
        self._submit = self.button()
        self._back = self.button()
        self._options: tuple[ChannelOption, ...] = ()
        self._submit.clicked.connect(self._send)
        self._back.clicked.connect(self.backRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Question secrète"))
        describe(self._answer, self.tr("Réponse"), self.tr("La réponse à votre question secrète"))
        self._numen_label.setText(self.tr("NUMEN"))
        describe(self._numen, self.tr("NUMEN"), self.tr("Votre numéro d'identification (NUMEN)"))
        self._channel_label.setText(self.tr("Recevoir le jeton par :"))
        self._label_channels()
        self._submit.setText(self.tr("Valider"))
        describe(self._submit, self.tr("Valider"), self.tr("Vérifier les réponses"))
        self._back.setText(self.tr("Retour"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir au choix du réassort"))

    def clear(self) -> None:
        """Also the voter's channels: which ones, and their masked e-mail address and phone."""
        super().clear()
        self._options = ()
        self._channels.setExclusive(False)
        for radio in self._channel_buttons.values():
            radio.setChecked(False)
            radio.setHidden(False)
        self._channels.setExclusive(True)
        self._channel_label.setHidden(False)
        self._label_channels()

    def show_state(self, state: ReassortQuestion, now: datetime) -> None:
        self._question.setText(state.voter.secret_question)
        self._options = () if state.supervised else state.voter.channels
        offered = {option.channel for option in self._options}
        self._channel_label.setVisible(bool(offered))
        for channel, radio in self._channel_buttons.items():
            radio.setVisible(channel in offered)
        self._label_channels()
        self._notice.setText(notice_line(state.notice, state.retry_at, now))

    def _label_channels(self) -> None:
        destinations = {option.channel: option.destination for option in self._options}
        for channel, radio in self._channel_buttons.items():
            name = self.tr("Courriel") if channel is Channel.EMAIL else self.tr("SMS")
            radio.setText(f"{name} {destinations.get(channel, '')}".strip())
            describe(radio, name, self.tr("Recevoir le jeton par ce moyen"))

    def _send(self) -> None:
        channel = next((c for c, radio in self._channel_buttons.items() if radio.isChecked()), None)
        answer, numen = self._answer.text(), self._numen.text()
        forget(self._answer)
        forget(self._numen)
        self.submitted.emit(answer, numen, channel)


class _Camera(Enum):
    OFF = "off"
    READING = "reading"
    UNAVAILABLE = "unavailable"


class ReassortTokenPage(Page):
    """The token field, and the camera reading the message's QR code (docs/voter-flow.md).

    The camera starts only when the voter asks ("Scanner le QR code"), stops when the page is
    left or hidden; a token read fills the field and is submitted like a typed one. With no
    camera the page says so and the field stays. ``camera`` is injectable; by default one is
    made the first time the voter asks for it.
    """

    submitted = Signal(str)
    backRequested = Signal()

    def __init__(self, camera: QrCameraReader | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._sent = self.text(from_state=True)
        self._token = self.field()
        self._scan = self.button()
        self._camera_line = self.text()
        self._viewfinder_slot = QVBoxLayout()  # the viewfinder goes here when first needed
        self.column.addLayout(self._viewfinder_slot)
        self._viewfinder: QVideoWidget | None = None
        self._notice = self.notice()
        self.column.addStretch()
        self._submit = self.button()
        self._back = self.button()
        self._camera: QrCameraReader | None = None
        self._camera_state = _Camera.OFF
        if camera is not None:
            self._adopt(camera)
        self._submit.clicked.connect(self._send)
        self._token.returnPressed.connect(self._send)
        self._scan.clicked.connect(self._toggle_camera)
        self._back.clicked.connect(self.backRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Jeton de réassort"))
        describe(self._token, self.tr("Jeton"), self.tr("Le jeton reçu, par exemple ABCD-EFGH"))
        if self._camera_state is _Camera.READING:
            self._scan.setText(self.tr("Arrêter la caméra"))
            describe(
                self._scan, self.tr("Arrêter la caméra"), self.tr("Arrêter la lecture du QR code")
            )
            self._camera_line.setText(self.tr("Présentez le QR code du message à la caméra."))
        else:
            self._scan.setText(self.tr("Scanner le QR code"))
            describe(
                self._scan,
                self.tr("Scanner le QR code"),
                self.tr("Lire avec la caméra le QR code du message reçu"),
            )
            self._camera_line.setText(
                self.tr("Pas de caméra : saisissez le jeton")
                if self._camera_state is _Camera.UNAVAILABLE
                else ""
            )
        if self._viewfinder is not None:
            describe(
                self._viewfinder,
                self.tr("Caméra"),
                self.tr("Ce que voit la caméra : placez le QR code au centre"),
            )
        self._submit.setText(self.tr("Valider"))
        describe(self._submit, self.tr("Valider"), self.tr("Vérifier le jeton"))
        self._back.setText(self.tr("Retour"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir au code de vote"))

    def clear(self) -> None:
        super().clear()
        self._stop_camera()

    def hideEvent(self, event: QHideEvent) -> None:
        self._stop_camera()  # the window left this page, or is closing
        super().hideEvent(event)

    def show_state(self, state: ReassortTokenSent, now: datetime) -> None:
        if state.sent is None:
            self._sent.setText(self.tr("Saisissez le jeton que vous avez reçu."))
        else:
            self._sent.setText(
                self.tr("Un message vient de vous être envoyé à %1.").replace(
                    "%1", state.sent.destination
                )
            )
        self._notice.setText(notice_line(state.notice, state.retry_at, now))

    @property
    def camera(self) -> QrCameraReader | None:
        """The camera reader, once there is one."""
        return self._camera

    def _send(self) -> None:
        text = self._token.text()
        forget(self._token)
        self.submitted.emit(text)

    # ---- the camera -----------------------------------------------------------------------

    def _adopt(self, camera: QrCameraReader) -> None:
        self._camera = camera
        camera.tokenRead.connect(self._token_read)
        camera.unavailable.connect(self._camera_unavailable)

    def _toggle_camera(self) -> None:
        if self._camera_state is _Camera.READING:
            self._stop_camera()
            return
        if self._camera is None:
            from ui.camera import QrCameraReader

            self._adopt(QrCameraReader(self))
        assert self._camera is not None
        if not self._camera.start():
            return  # ``unavailable`` has said so
        viewfinder = self._ensure_viewfinder()
        self._camera.set_preview(viewfinder.videoSink())
        viewfinder.show()
        self._set_camera_state(_Camera.READING)

    def _stop_camera(self) -> None:
        if self._camera is not None:
            self._camera.stop()
            self._camera.set_preview(None)
        if self._viewfinder is not None:
            self._viewfinder.hide()
        self._set_camera_state(_Camera.OFF)

    def _token_read(self, token: str) -> None:
        self._token.setText(token)
        self._send()

    def _camera_unavailable(self) -> None:
        if self._viewfinder is not None:
            self._viewfinder.hide()
        self._set_camera_state(_Camera.UNAVAILABLE)
        self._token.setFocus()

    def _set_camera_state(self, state: _Camera) -> None:
        self._camera_state = state
        self._scan.setEnabled(state is not _Camera.UNAVAILABLE)
        self.retranslate()

    def _ensure_viewfinder(self) -> QVideoWidget:
        if self._viewfinder is None:
            from PySide6.QtMultimediaWidgets import QVideoWidget  # after ui.camera: quiet

            self._viewfinder = QVideoWidget(self)
            self._viewfinder.setMinimumHeight(VIEWFINDER_HEIGHT)
            self._viewfinder_slot.addWidget(self._viewfinder)
            self.retranslate()
        return self._viewfinder


class RegenerateWarningPage(Page):
    regenerateRequested = Signal()
    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._warning = self.text()
        self.column.addStretch()
        self._regenerate = self.button()
        self._back = self.button()
        self._regenerate.clicked.connect(self.regenerateRequested)
        self._back.clicked.connect(self.backRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Nouveau code de vote"))
        self._warning.setText(
            self.tr(
                "Munissez-vous d'un stylo ou d'un téléphone : le nouveau code restera affiché "
                "120 secondes, puis disparaîtra définitivement. L'ancien code ne sera plus valable."
            )
        )
        self._regenerate.setText(self.tr("RÉGÉNÉRER MON CODE DE VOTE"))
        describe(
            self._regenerate,
            self.tr("Régénérer mon code de vote"),
            self.tr("Créer un nouveau code de vote ; l'ancien devient invalide"),
        )
        self._back.setText(self.tr("Retour"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir au code de vote"))

    def show_state(self, state: RegenerateWarning) -> None:
        pass  # the page says the same to every voter


class NewCodePage(Page):
    """The new code and its countdown; the label is emptied as soon as the page is left."""

    continueRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._code = self.text("code", from_state=True)
        self._countdown = self.text(from_state=True)
        self.column.addStretch()
        self._noted = self.button()
        self._noted.clicked.connect(self.continueRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Votre nouveau code de vote"))
        self._noted.setText(self.tr("J'ai noté mon code"))
        describe(
            self._noted,
            self.tr("J'ai noté mon code"),
            self.tr("Masquer le code et revenir à la saisie du code de vote"),
        )

    def show_state(self, state: NewCodeShown, now: datetime) -> None:
        self._code.setText(state.code)
        left = seconds_left(state.hide_at, now)
        self._countdown.setText(self.tr("Ce code disparaîtra dans %n seconde(s).", "", left))

    @property
    def countdown_text(self) -> str:
        return self._countdown.text()
