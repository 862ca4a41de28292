"""Password hashing with Argon2id (``cryptography``), stored as PHC strings.

The PHC string carries its own cost parameters, so raising the cost later leaves existing
hashes verifiable; ``needs_rehash`` lets login upgrade them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

MIN_LENGTH = 10
MAX_LENGTH = 128


@dataclass(frozen=True)
class PasswordHasher:
    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def _kdf(self, salt: bytes) -> Argon2id:
        return Argon2id(salt=salt, length=32, iterations=self.iterations, lanes=self.lanes, memory_cost=self.memory_kib)

    def hash(self, password: str) -> str:
        return self._kdf(os.urandom(16)).derive_phc_encoded(password.encode())

    def verify(self, password: str, encoded: str) -> bool:
        try:
            Argon2id.verify_phc_encoded(password.encode(), encoded)
        except (InvalidKey, ValueError):
            return False
        return True

    def needs_rehash(self, encoded: str) -> bool:
        return f"m={self.memory_kib},t={self.iterations},p={self.lanes}" not in encoded


@dataclass(frozen=True)
class PasswordProblem:
    template: str
    params: dict[str, object]


def password_problem(password: str, username: str = "") -> PasswordProblem | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return PasswordProblem("must be at least %(n)s characters", {"n": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        return PasswordProblem("must be at most %(n)s characters", {"n": MAX_LENGTH})
    if username and username.lower() in password.lower():
        return PasswordProblem("must not contain the user name", {})
    classes = sum(
        (any(c.islower() for c in password), any(c.isupper() for c in password), any(c.isdigit() for c in password),
         any(not c.isalnum() for c in password))
    )
    if classes < 2:
        return PasswordProblem("must mix at least two of: lower-case letters, upper-case letters, digits, symbols", {})
    return None
