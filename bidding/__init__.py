"""Sealed-bid envelopes, submission and receipts, opening, evaluation and award.

Filled in by the sealed-bid and evaluation issues; declared now so the layout and the
import contracts hold from the first commit.
"""
