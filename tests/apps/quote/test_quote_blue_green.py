"""Blue-green: release 1 and release 2 of the quote app on ONE database at the same time.

Release 2 (APP_RELEASE=2) adds full-text search through an additive migration (a
generated tsvector column + GIN index). Release 1 must keep reading and writing on
the migrated schema (and start on it, for a rollback), and release 2's search must
find rows release 1 wrote after the migration.
"""

import httpx
import pytest
from labtool.appprocess import AppProcess
from quote_testing import applied_migrations, quote_env

from quote.seeds import SEED_QUOTES


@pytest.fixture(scope="module")
def blue_green(module_db):
    """Blue (release 1) migrates a fresh database first; green (release 2) starts next to it."""
    with AppProcess("quote.main:app", quote_env(module_db, APP_VERSION="1.0.0", POD_NAME="blue")) as blue:
        blue.wait_for("/readyz")
        with AppProcess(
            "quote.main:app", quote_env(module_db, APP_VERSION="2.0.0", APP_RELEASE="2", POD_NAME="green")
        ) as green:
            green.wait_for("/readyz")
            yield blue, green


def test_green_applied_its_additive_migration_once(blue_green, module_db):
    assert applied_migrations(module_db) == [1, 2, 3]
    with module_db.connect() as conn:
        index = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'quotes_search_idx'").fetchone()
    assert index and "USING gin (search)" in index[0]


def test_blue_reads_and_writes_on_the_migrated_schema_and_green_finds_its_rows(blue_green, module_db):
    blue, green = blue_green
    created = httpx.post(blue.base_url + "/api/quotes", json={"author": "Blue Writer", "text": "Zebras gallop across migrated schemas"})
    assert created.status_code == 201
    quote = created.json()
    assert quote["pod"] == "blue" and set(quote) == {"id", "author", "text", "created_at", "pod", "version"}
    assert httpx.get(f"{blue.base_url}/api/quotes/{quote['id']}").json()["text"] == quote["text"]
    assert httpx.get(blue.base_url + "/api/quotes", params={"limit": 100}).status_code == 200
    assert httpx.get(blue.base_url + "/api/quotes/random").status_code == 200

    found = httpx.get(green.base_url + "/api/quotes", params={"search": "zebra galloping"}).json()
    assert found["search"] == "zebra galloping" and found["pod"] == "green"
    assert [q["id"] for q in found["quotes"]] == [quote["id"]]  # stemmed: zebra~zebras, galloping~gallop
    with module_db.connect() as conn:
        assert conn.execute("SELECT search IS NOT NULL FROM quotes WHERE id = %s", (quote["id"],)).fetchone() == (True,)


def test_green_writes_are_visible_to_blue(blue_green):
    blue, green = blue_green
    created = httpx.post(green.base_url + "/api/quotes", json={"author": "Green Writer", "text": "Written by release two"}).json()
    assert httpx.get(f"{blue.base_url}/api/quotes/{created['id']}").json()["author"] == "Green Writer"


def test_search_ranks_matches_and_understands_web_syntax(blue_green):
    blue, green = blue_green
    for text in ("Kestrels hover over hills", "Kestrels hover, kestrels dive, kestrels hunt", "Hills and valleys"):
        assert httpx.post(blue.base_url + "/api/quotes", json={"author": "Birder", "text": text}).status_code == 201

    def texts(query):
        response = httpx.get(green.base_url + "/api/quotes", params={"search": query})
        assert response.status_code == 200
        return [q["text"] for q in response.json()["quotes"]]

    assert texts("kestrel") == ["Kestrels hover, kestrels dive, kestrels hunt", "Kestrels hover over hills"]
    assert texts("kestrel -hills") == ["Kestrels hover, kestrels dive, kestrels hunt"]
    assert texts('"hills and valleys"') == ["Hills and valleys"]
    assert texts("simplicity") == ["Simplicity is prerequisite for reliability."]  # a seeded quote
    assert texts("the") == []  # only a stop word: nothing to match, not an error
    assert len(texts("kestrel or valleys")) == 3


def test_blue_ignores_search_it_does_not_know(blue_green):
    blue, green = blue_green
    unfiltered = httpx.get(blue.base_url + "/api/quotes", params={"limit": 5}).json()["quotes"]
    with_param = httpx.get(blue.base_url + "/api/quotes", params={"limit": 5, "search": "kestrel"}).json()
    assert with_param["quotes"] == unfiltered and "search" not in with_param


def test_only_green_shows_the_release_badge(blue_green):
    blue, green = blue_green
    green_page = httpx.get(green.base_url + "/").text
    assert '<span class="badge release-2">v2 &middot; new: full-text search</span>' in green_page
    assert '<strong class="version">2.0.0</strong>' in green_page
    blue_page = httpx.get(blue.base_url + "/").text
    assert 'class="badge' not in blue_page and '<strong class="version">1.0.0</strong>' in blue_page


@pytest.mark.parametrize("query", ["", "x" * 201, "nul\x00byte"])
def test_bad_search_is_422(blue_green, query):
    response = httpx.get(blue_green[1].base_url + "/api/quotes", params={"search": query})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "search"]


def test_rollback_blue_starts_on_a_schema_green_migrated(blue_green, module_db, run_app):
    # Rollback = new blue pods on the v2 schema: they must become ready and undo nothing.
    rolled_back = run_app("quote.main:app", quote_env(module_db, APP_VERSION="1.0.0", POD_NAME="blue-rollback"))
    rolled_back.wait_for("/readyz")
    created = httpx.post(rolled_back.base_url + "/api/quotes", json={"author": "After rollback", "text": "Ospreys still searchable"})
    assert created.status_code == 201
    assert applied_migrations(module_db) == [1, 2, 3]
    found = httpx.get(blue_green[1].base_url + "/api/quotes", params={"search": "osprey"}).json()["quotes"]
    assert [q["id"] for q in found] == [created.json()["id"]]


def test_blue_and_green_starting_together_migrate_exactly_once(pg_database, run_app):
    env = quote_env(pg_database)
    apps = [run_app("quote.main:app", {**env, "APP_RELEASE": release, "POD_NAME": f"r{release}-{n}"})
            for n in range(2) for release in ("1", "2")]
    for app in apps:
        app.wait_for("/readyz", timeout=30)
    assert applied_migrations(pg_database) == [1, 2, 3]
    with pg_database.connect() as conn:
        assert conn.execute("SELECT count(*) FROM quotes").fetchone()[0] == len(SEED_QUOTES)  # seeded once

