"""Award: candidates publicity, objections, the winner's confirmation, award notices, contracts.

``handover`` is the contract with the evaluation: what a signed evaluation report hands over.
"""
