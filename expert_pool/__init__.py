"""Evaluation experts, conflicts of interest, the random draw and its verification.

Filled in by the expert-draw issue; declared now so the layout and the import contracts
hold from the first commit.
"""
