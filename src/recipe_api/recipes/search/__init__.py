"""Recipe search: the query and its validation, a statement builder per database, one entry point.

``service.search_answer`` (cached JSON) and ``service.search_recipes`` (the
model) are what the API route and the web page call; see
``docs/decisions/0016-word-search.md``.
"""
