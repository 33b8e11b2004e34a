"""Imports of many recipes at once: another app's export, JSON-LD files, the cook's own box.

``formats.read_upload`` turns the uploaded bytes into recipes and problems (a
reader per format, pure functions, zip limits in ``unpack``); ``service``
records the job; ``runner`` creates its recipes in the background, a batch per
transaction, so a worker that stops mid-way leaves the job to be picked up
where it was. See ``docs/decisions/0020-imports-from-other-apps.md``.
"""
