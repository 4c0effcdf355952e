"""labtool.images.rootfs: where the Debian mirror comes from, and how the rootfs cache is named."""

from __future__ import annotations

import pytest
from labtool.images import rootfs

DEB822 = """\
Types: deb
URIs: http://mirror.test/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.test/debian-security
Suites: bookworm-security
Components: main
"""


@pytest.fixture
def apt_dir(tmp_path, monkeypatch):
    sources_dir = tmp_path / "sources.list.d"
    sources_dir.mkdir()
    monkeypatch.setattr(rootfs, "SOURCES_DIR", sources_dir)
    monkeypatch.setattr(rootfs, "SOURCES_LIST", tmp_path / "sources.list")
    monkeypatch.delenv("DEBIAN_MIRROR", raising=False)
    return tmp_path


def test_mirror_from_deb822_sources_matches_the_suite(apt_dir):
    (apt_dir / "sources.list.d" / "debian.sources").write_text(DEB822)
    assert rootfs.find_mirror("bookworm") == "http://mirror.test/debian"
    assert rootfs.find_mirror("bookworm-security") == "http://mirror.test/debian-security"


def test_mirror_from_one_line_sources_list(apt_dir):
    (apt_dir / "sources.list").write_text(
        "# comment\ndeb-src http://src.test/debian bookworm main\n"
        "deb [arch=amd64] http://mirror.test/debian bookworm main contrib\n"
    )
    assert rootfs.find_mirror("bookworm") == "http://mirror.test/debian"


def test_env_var_wins_over_apt_sources(apt_dir, monkeypatch):
    (apt_dir / "sources.list.d" / "debian.sources").write_text(DEB822)
    monkeypatch.setenv("DEBIAN_MIRROR", "http://override.test/debian")
    assert rootfs.find_mirror("bookworm") == "http://override.test/debian"


def test_no_mirror_is_a_clear_error(apt_dir):
    (apt_dir / "sources.list").write_text("deb cdrom:[Debian]/ bookworm main\n")
    with pytest.raises(rootfs.RootfsError, match="set DEBIAN_MIRROR"):
        rootfs.find_mirror("bookworm")


def test_cache_name_follows_suite_and_packages(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_CACHE_DIR", str(tmp_path))
    bookworm = rootfs.tarball_path("bookworm")
    assert bookworm.parent == tmp_path
    assert bookworm == rootfs.tarball_path("bookworm")
    assert rootfs.tarball_path("trixie") != bookworm
    monkeypatch.setattr(rootfs, "PACKAGES", (*rootfs.PACKAGES, "vim"))
    assert rootfs.tarball_path("bookworm") != bookworm


def test_cached_tarball_is_reused_without_debootstrap(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_CACHE_DIR", str(tmp_path))
    cached = rootfs.tarball_path("bookworm")
    cached.write_bytes(b"tar")
    monkeypatch.setattr(rootfs, "run", lambda *a, **k: pytest.fail("debootstrap must not run"))
    assert rootfs.build_rootfs_tarball("bookworm") == cached
