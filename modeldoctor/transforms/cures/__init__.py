"""One cure per module, each with its `TRANSFORM = TransformSpec(...)`: found by walking this package."""
