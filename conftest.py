pytest_plugins = ["ablab.plugin"]
