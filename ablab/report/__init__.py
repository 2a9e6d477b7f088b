"""Reports: Markdown tables per study, figures, search sections (`python -m ablab report`)."""
