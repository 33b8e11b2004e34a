"""Email: the durable outbox, the sender that delivers it, the message templates."""
