"""Scraping `/metrics` in tests: parsed with `prometheus_client.parser`, never by hand."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

#: sample name -> labels (sorted (name, value) pairs) -> value
Scrape = dict[str, dict[tuple[tuple[str, str], ...], float]]


def parse(text: str) -> Scrape:
    found: Scrape = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            found.setdefault(sample.name, {})[labels] = sample.value
    return found


async def scrape(client: httpx.AsyncClient, token: str | None = None) -> Scrape:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def by(scraped: Scrape, name: str, *keys: str) -> dict[tuple[str, ...], float]:
    """The samples of `name` keyed by the values of the labels `keys` (others summed)."""
    out: dict[tuple[str, ...], float] = {}
    for labels, value in scraped.get(name, {}).items():
        named = dict(labels)
        key = tuple(named[k] for k in keys)
        out[key] = out.get(key, 0.0) + value
    return out
