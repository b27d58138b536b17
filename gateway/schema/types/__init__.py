"""One module per GraphQL type, each mapping an upstream record to its GraphQL face."""
