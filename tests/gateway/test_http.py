"""What browsers and CDNs need from /graphql: GET, revalidation, CORS, compression."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer

QUERY = "{ releases { name } }"


def test_a_query_over_get_revalidates_with_an_etag(gateway_server: LiveServer) -> None:
    with httpx.Client(base_url=gateway_server.url) as http:
        first = http.get("/graphql", params={"query": QUERY})
        assert first.status_code == 200
        assert first.json()["data"]["releases"]
        tag = first.headers["etag"]
        assert first.headers["cache-control"] == "no-cache"
        again = http.get("/graphql", params={"query": QUERY}, headers={"if-none-match": tag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == tag
        other = http.get(
            "/graphql",
            params={"query": "{ releases { name branch } }"},
            headers={"if-none-match": tag},
        )
        assert other.status_code == 200
        assert other.headers["etag"] != tag


def test_post_answers_are_not_stored(gateway_server: LiveServer) -> None:
    response = httpx.post(f"{gateway_server.url}/graphql", json={"query": QUERY})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


def test_a_page_on_another_origin_may_query(gateway_server: LiveServer) -> None:
    origin = "https://dashboard.example.org"
    preflight = httpx.options(
        f"{gateway_server.url}/graphql",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in (origin, "*")
    assert "POST" in preflight.headers["access-control-allow-methods"]
    response = httpx.post(
        f"{gateway_server.url}/graphql", json={"query": QUERY}, headers={"origin": origin}
    )
    assert response.headers["access-control-allow-origin"] in (origin, "*")
    assert "etag" in response.headers["access-control-expose-headers"].lower()


def test_large_answers_are_compressed(gateway_server: LiveServer) -> None:
    query = '{ search(query: "p", first: 100) { nodes { name package { name } } } }'
    response = httpx.post(
        f"{gateway_server.url}/graphql", json={"query": query}, headers={"accept-encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["data"]["search"]["nodes"]


def test_graphiql_is_served_to_browsers(gateway_server: LiveServer) -> None:
    page = httpx.get(f"{gateway_server.url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert "unpkg.com" not in page.text  # the assets are the gateway's own


def test_health(gateway_server: LiveServer) -> None:
    health = httpx.get(f"{gateway_server.url}/healthz").json()
    assert health["status"] == "ok"
    assert health["live"] == {
        "connections": 0,
        "subscriptions": 0,
        "operations": 0,
        "results": 0,
        "dropped": 0,
    }
