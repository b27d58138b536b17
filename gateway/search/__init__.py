"""Package search: one port, an Elasticsearch adapter and an embedded default."""
