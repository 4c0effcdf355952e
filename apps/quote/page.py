"""The HTML page served at / (no template engine needed for one small page)."""

from __future__ import annotations

from html import escape
from typing import Any

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quote of the moment</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; color: #222; }}
blockquote {{ font-size: 1.5rem; margin: 2rem 0; }}
.author {{ font-style: italic; }}
.message {{ background: #eef4ff; padding: .75rem 1rem; border-radius: .5rem; }}
.badge {{ display: inline-block; background: #1a7f37; color: #fff; padding: .2rem .6rem; border-radius: 1rem; font-size: .85rem; }}
footer {{ margin-top: 3rem; color: #666; font-size: .9rem; }}
</style>
</head>
<body>
{badge}<p class="message">{message}</p>
{body}
<footer>Served by pod <strong class="pod">{pod}</strong> &middot; version <strong class="version">{version}</strong></footer>
</body>
</html>
"""


def render_page(
    message: str, pod: str, version: str, quote: dict[str, Any] | None, problem: str = "", release: int = 1
) -> str:
    if quote:
        body = (
            f'<blockquote>&ldquo;{escape(quote["text"])}&rdquo;</blockquote>\n'
            f'<p class="author">&mdash; {escape(quote["author"])} (#{quote["id"]})</p>'
        )
    else:
        body = f'<p class="problem">{escape(problem or "No quotes yet.")}</p>'
    badge = ""
    if release >= 2:  # what users of the green environment see at a glance
        badge = (
            f'<p><span class="badge release-{release}">v{release} &middot; new: full-text search</span> '
            "<code>/api/quotes?search=simplicity</code></p>\n"
        )
    return _PAGE.format(message=escape(message), pod=escape(pod), version=escape(version), body=body, badge=badge)
