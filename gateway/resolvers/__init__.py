"""Dataloaders and the batched upstream reads behind every GraphQL field."""
