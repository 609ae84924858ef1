"""The `onewindow` command line."""
