"""The hostile import page of issue 19: valid JSON-LD, then 200,000 nested ``div``s (~1.9 MB).

A recipe page a parser must read (the markup is real), built to make a tree
parser spend seconds and hundreds of MB on the body around it.
"""

from __future__ import annotations

from pathlib import Path

PAGES = Path(__file__).parent / "pages"
NESTED_DIVS = 200_000


def hostile_page(depth: int = NESTED_DIVS) -> bytes:
    recipe = (PAGES / "jsonld.html").read_bytes()
    head, _, _ = recipe.partition(b"<body>")
    body = b"<body>" + b"<div>" * depth + b"deep" + b"</div>" * (depth * 3 // 4) + b"</body></html>"
    return head + body
