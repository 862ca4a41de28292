"""The notification outbox: messages written in the transaction that causes them, delivered later."""
