"""Accounts: signup, login with JWT bearer tokens, the current user, login throttling."""
