"""The published election record: the bulletin board, its layout on disk, the tally over it.

``board`` is the public, append-only, hash-chained list of cast ballots (no voter reference);
``layout`` names the record's files; ``scan`` checks and sums a board's ballots (on every core
for a large board); ``tally`` runs the tally commands over a record; ``demo`` builds a complete
synthetic record. The format is docs/protocol.md §15; ``kiosk.verifier`` re-checks a record.
"""
