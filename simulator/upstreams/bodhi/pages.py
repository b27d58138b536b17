"""The HTML pages a browser gets: lists of updates, releases and overrides, one update."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "html_link",
    "html_page",
    "html_table",
    "overrides_page",
    "releases_page",
    "update_page",
    "updates_page",
]


def html_page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - Fedora Updates System</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def html_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def updates_page(base: str, updates: list[dict[str, Any]], body: dict[str, Any]) -> str:
    rows = [
        (
            html_link(f"{base}updates/{u['alias']}", u["alias"]),
            html.escape(u["title"]),
            html.escape(u["release"]["name"]),
            html.escape(u["status"]),
            html.escape(u["date_submitted"] or ""),
        )
        for u in updates
    ]
    summary = f"<p>{body['total']} updates, page {body['page']} of {body['pages']}</p>"
    return html_page(
        "Updates",
        summary + html_table(("Update", "Builds", "Release", "Status", "Submitted"), rows),
    )


def update_page(update: dict[str, Any]) -> str:
    fields = (
        "title",
        "status",
        "request",
        "type",
        "severity",
        "karma",
        "date_submitted",
        "date_pushed",
    )
    details = "".join(
        f"<dt>{name}</dt><dd>{html.escape(str(update[name]))}</dd>" for name in fields
    )
    notes = f"<pre>{html.escape(update['notes'])}</pre>"
    return html_page(update["alias"], f"<dl>{details}</dl>{notes}")


def releases_page(releases: list[dict[str, Any]]) -> str:
    rows = [
        (
            html.escape(r["name"]),
            html.escape(r["long_name"]),
            html.escape(r["state"]),
            html.escape(r["branch"]),
        )
        for r in releases
    ]
    return html_page("Releases", html_table(("Name", "Long name", "State", "Branch"), rows))


def overrides_page(overrides: list[dict[str, Any]]) -> str:
    rows = [
        (
            html.escape(o["nvr"]),
            html.escape(o["submitter"]["name"]),
            html.escape(o["expiration_date"] or ""),
            html.escape(o["expired_date"] or ""),
        )
        for o in overrides
    ]
    return html_page(
        "Buildroot overrides", html_table(("Build", "Submitter", "Expires", "Expired"), rows)
    )
