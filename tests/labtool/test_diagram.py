"""The architecture diagram drawn from a recorded cluster snapshot (needs Graphviz's `dot`)."""

import html
import json
import shutil

import pytest
from PIL import Image
from sample_data import cluster_state

from labtool.diagram import build_graph, render

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed (apt-get install graphviz)")


def test_graph_places_pods_on_their_nodes_and_links_what_selects_them():
    source = build_graph(cluster_state()).source
    # Pods sit inside the box of the node they run on.
    agent1 = source.split('subgraph "cluster_node_agent-1"', 1)[1].split("}", 1)[0]
    assert "quote-7d9-b" in agent1 and "quote-7d9-c" not in agent1 and "NotReady" in agent1
    # Service -> every pod its selector matches, in its own namespace only.
    assert '"svc/quote-app/quote" -> "pod/quote-app/quote-7d9-a"' in source
    assert '"svc/quote-app/quote" -> "pod/quote-db/postgres-0"' not in source
    assert '"svc/quote-db/postgres" -> "pod/quote-db/postgres-0"' in source
    assert '"ing/quote-app/quote" -> "svc/quote-app/quote"' in source
    assert 'user -> "ing/quote-app/quote"' in source
    # An empty podSelector (default-deny) covers every pod of its namespace.
    assert source.count('"netpol/quote-app/default-deny" -> ') == 4
    assert "(Pending)" in source


def test_render_writes_png_svg_and_the_state(tmp_path):
    png, svg = render(cluster_state(), tmp_path / "architecture")
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.width > 400 and image.height > 200
        colors = {color for _, color in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert (0xc8, 0xf0, 0xc8) in colors and (0xf8, 0xc8, 0xc8) in colors  # ready and not-ready pods
    text = html.unescape(svg.read_text())  # dot writes '-' as &#45;
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    for name in ("server-1", "agent-1", "quote-7d9-a", "postgres-0", "quote.192.168.56.11.sslip.io",
                 "postgres-from-quote-apps", "traefik-5f8"):
        assert name in text
    assert json.loads((tmp_path / "architecture.json").read_text()) == cluster_state()
    assert not list(tmp_path.glob("*.gv"))
