"""The voter's journey at the kiosk (docs/voter-flow.md).

``flow`` is the pure state machine (states, events, effects, ``transition``); ``session`` runs
its commands against the store and the crypto; ``lockout``, ``captcha`` and ``reassort`` hold
the rules of the credential steps. Qt-free: the kiosk window only renders ``session.state``.
"""

from kiosk.voting.session import KioskElection, SessionStep, VotingSession

__all__ = ["KioskElection", "SessionStep", "VotingSession"]
