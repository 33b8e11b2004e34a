"""Imported by a search process before it says it is ready: a start that takes a minute."""

import time

time.sleep(60)
