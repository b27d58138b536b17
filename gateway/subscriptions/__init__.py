"""GraphQL subscriptions over WebSocket, each distinct operation executed once per change."""
