"""One module per ``astria-widgets`` subcommand, each exposing ``HELP`` and ``main(argv)``."""
