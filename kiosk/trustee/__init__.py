"""The trustees' side: key ceremony, passphrase-protected state, partial decryption.

``ceremony`` runs the dealer-free key generation over a shared folder of signed messages
(``messages``), ``state`` keeps each trustee's file with its secrets sealed under a passphrase
(``vault``), ``transport`` encrypts shares to their recipient, and ``decryption`` turns a tally
aggregate into a trustee's partial decryptions and combines any k of them (docs/trustee.md,
docs/protocol.md §13-14). The math lives in ``kiosk.crypto.threshold``.
"""
