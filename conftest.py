"""The repository's root conftest. The ablab plugin itself loads through its pytest11 entry point
(pyproject.toml), as in any project that installs ablab."""
