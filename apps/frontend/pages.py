"""HTML pages (small enough not to need a template engine). Everything from the
backend is escaped: item names are user input."""

from __future__ import annotations

from html import escape
from typing import Any

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }}
.price {{ text-align: right; }}
.degraded {{ background: #fff3cd; border: 1px solid #e0b000; padding: 1rem; border-radius: .5rem; }}
footer {{ margin-top: 3rem; color: #666; font-size: .9rem; }}
</style>
</head>
<body>
<h1><a href="/">{title}</a></h1>
{body}
<footer>Frontend pod <strong class="pod">{pod}</strong> &middot; version <strong class="version">{version}</strong>{backend}</footer>
</body>
</html>
"""


def _price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class Pages:
    def __init__(self, title: str, pod: str, version: str) -> None:
        self.title = title
        self.pod = pod
        self.version = version

    def _render(self, body: str, backend_pod: str = "") -> str:
        backend = f' &middot; data from backend pod <strong class="backend-pod">{escape(backend_pod)}</strong>' if backend_pod else ""
        return _LAYOUT.format(title=escape(self.title), pod=escape(self.pod), version=escape(self.version), body=body, backend=backend)

    def item_list(self, data: dict[str, Any], page: int, page_size: int) -> str:
        rows = "\n".join(
            f'<tr><td><a href="/items/{item["id"]}">{escape(item["name"])}</a></td>'
            f'<td class="price">{_price(item["price_cents"])}</td></tr>'
            for item in data["items"]
        )
        pages = max(1, -(-data["total"] // page_size))
        links = []
        if page > 1:
            links.append(f'<a rel="prev" href="/?page={page - 1}">previous</a>')
        if page < pages:
            links.append(f'<a rel="next" href="/?page={page + 1}">next</a>')
        body = (
            f'<p class="summary">{data["total"]} items &middot; page {page} of {pages}</p>\n'
            f"<table><tr><th>Item</th><th class=\"price\">Price</th></tr>\n{rows}\n</table>\n"
            f'<p class="pager">{" &middot; ".join(links)}</p>'
        )
        return self._render(body, data.get("pod", ""))

    def item_detail(self, item: dict[str, Any]) -> str:
        body = (
            f'<h2 class="name">{escape(item["name"])}</h2>\n'
            f'<p class="description">{escape(item["description"])}</p>\n'
            f'<p>Price: <span class="price">{_price(item["price_cents"])}</span></p>'
        )
        return self._render(body, item.get("pod", ""))

    def problem(self, heading: str, message: str, degraded: bool = False) -> str:
        css = ' class="degraded"' if degraded else ""
        return self._render(f"<div{css}><h2>{escape(heading)}</h2><p>{escape(message)}</p></div>")
