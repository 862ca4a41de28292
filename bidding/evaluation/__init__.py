"""Evaluation (评标): the committee's scoring of opened bids, its report, and the hand-over to the award.

``scoring`` is the pure library (schemes, the price formula, totals, ranking; docs/evaluation.md);
``service``, ``report``, ``controllers`` and ``pages`` run it on the platform.
"""
