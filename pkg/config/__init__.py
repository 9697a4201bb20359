"""Environment configuration: the pydantic models, the YAML loader, the JSON Schema and the secret scan."""
