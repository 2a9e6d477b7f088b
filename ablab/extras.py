"""Optional dependencies: which extra provides a module, and the one-line error when it is not
installed (`pip install 'ablab[postgres]'`), instead of an ImportError traceback."""

from __future__ import annotations

# module a feature imports -> (the feature, the extra in pyproject.toml that installs it)
EXTRAS = {
    "psycopg": ("a PostgreSQL database", "postgres"),
    "pyarrow": ("Parquet tables", "parquet"),
}


def missing_extra(error: ImportError) -> str | None:
    """The message for an ImportError of a module an extra provides, else None."""
    text = f"{error.name or ''} {error}"
    for module, (feature, extra) in EXTRAS.items():
        if module in text:
            return (f"{feature} needs the {module} package, which is not installed; "
                    f"pip install 'ablab[{extra}]'")
    return None
