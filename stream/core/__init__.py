"""The pure pipeline core: validate -> normalize -> tag -> relate. Knows nothing of Kafka."""
