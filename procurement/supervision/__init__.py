"""Supervision: risk alerts computed from the platform's records, and the supervisors' console."""
