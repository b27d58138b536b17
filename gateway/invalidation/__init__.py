"""What is cached under which key, and when it dies: keys and tags, the store, the rules."""
