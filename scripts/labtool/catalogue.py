"""The lab catalogue, playbooks/group_vars/all/lab.yml, for every Python reader: the CI
image matrix, the report and the tests. The playbooks read the same file as group
variables, so an app, an image, a Secret or a database is written down once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from jinja2.nativetypes import NativeEnvironment

from labtool import REPO

CATALOGUE = REPO / "playbooks" / "group_vars" / "all" / "lab.yml"
# What each entry needs, as roles/app_images and roles/workload_secrets read it.
IMAGE_FIELDS = ("name", "version", "dockerfile", "context", "build_args")
SECRET_FIELDS = ("name", "namespaces")
DATABASE_FIELDS = ("namespace", "admin_secret", "image")


class CatalogueError(Exception):
    """The catalogue cannot be read or misses a field: the message says what to fix."""


@cache
def load(path: Path = CATALOGUE) -> dict:
    """The whole catalogue, checked: lab_images, lab_secrets and lab_database."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read the lab catalogue {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected a mapping of lab_* variables")
    for key, fields in (("lab_images", IMAGE_FIELDS), ("lab_secrets", SECRET_FIELDS)):
        entries = data.get(key)
        if not isinstance(entries, list) or not entries:
            raise CatalogueError(f"{path}: {key} must be a non-empty list")
        for number, entry in enumerate(entries, 1):
            missing = [f for f in fields if f not in (entry if isinstance(entry, dict) else {})]
            if missing:
                name = entry.get("name", "?") if isinstance(entry, dict) else "?"
                raise CatalogueError(f"{path}: {key} entry {number} ({name}) has no {', '.join(missing)}")
    database = data.get("lab_database")
    missing = [f for f in DATABASE_FIELDS if not isinstance(database, dict) or f not in database]
    if missing:
        raise CatalogueError(f"{path}: lab_database has no {', '.join(missing)}")
    return data


def images(path: Path = CATALOGUE) -> list[dict]:
    """Every image the lab builds: name, version, dockerfile, context, build_args."""
    return load(path)["lab_images"]


def secrets(path: Path = CATALOGUE) -> list[dict]:
    """Every Secret the lab writes: name, namespaces, fixed, generated, database."""
    return load(path)["lab_secrets"]


def database(path: Path = CATALOGUE) -> dict:
    """The PostgreSQL server hosting the app databases: namespace, admin_secret, image."""
    return load(path)["lab_database"]


def role_inputs(path: Path = CATALOGUE) -> dict:
    """The role variables the catalogue sets (app_images_list, workload_secrets_*), with
    their values as Ansible templates them, for code that renders a role's template."""
    data = load(path)
    env = NativeEnvironment()
    return {key: env.from_string(value).render(data) if isinstance(value, str) else value
            for key, value in data.items() if not key.startswith("lab_")}
