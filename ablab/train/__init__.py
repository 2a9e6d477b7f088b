"""Training one cell: the loop, building the model / optimiser / loss, devices, init, metrics."""
