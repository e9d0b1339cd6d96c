"""galaxy.yml names no placeholder address, and its documentation, homepage
and issues links point inside the repository."""

import pathlib
import re
from urllib.parse import urlparse

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
URL_FIELDS = ("repository", "documentation", "homepage", "issues")
# RFC 2606 / RFC 6761 names that never lead anywhere.
PLACEHOLDER = re.compile(r"(^|\.)(example|invalid|test|localhost)$|(^|\.)example\.(com|net|org)$")


def placeholder_urls(galaxy):
    found = []
    for field in URL_FIELDS:
        value = galaxy.get(field)
        if value:
            host = (urlparse(value).hostname or "").lower()
            if not host or PLACEHOLDER.search(host):
                found.append((field, value))
    return found


def links_outside_repository(galaxy):
    repository = (galaxy.get("repository") or "").rstrip("/")
    return [(field, galaxy[field]) for field in ("documentation", "homepage", "issues")
            if galaxy.get(field) and not (repository and galaxy[field].startswith(repository + "/"))]


def test_galaxy_yml_has_no_placeholder_or_outside_links():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert placeholder_urls(galaxy) == []
    assert links_outside_repository(galaxy) == []


@pytest.mark.parametrize("galaxy, bad", [
    ({"repository": "https://example.invalid/scst.iscsi"}, "placeholder"),
    ({"repository": "https://www.example.com/x"}, "placeholder"),
    ({"repository": "not a url"}, "placeholder"),
    ({"repository": "https://git.host.org/scst/iscsi", "issues": "https://elsewhere.org/issues"}, "outside"),
    ({"documentation": "https://git.host.org/scst/iscsi/docs"}, "outside"),
])
def test_the_checks_catch_bad_metadata(galaxy, bad):
    assert (placeholder_urls(galaxy) if bad == "placeholder" else links_outside_repository(galaxy))
