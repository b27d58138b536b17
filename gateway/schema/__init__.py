"""The GraphQL schema: types, the root Query, and the extensions around execution."""
