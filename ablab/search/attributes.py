"""What a search writes on its Optuna study, so that reports can find it (no optuna import)."""

METRIC = "val_accuracy"  # what every search maximises: validation accuracy of the kept model
SEARCH_ATTR = "ablab_search"  # study user attribute naming the search (reports look for it)
COMMAND_ATTR = "ablab_command"  # study user attribute: the command that started it
