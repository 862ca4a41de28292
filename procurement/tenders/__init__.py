"""Tenders: from draft to result, with the legal time limits enforced."""
