"""The two ways a command fails: the user asked for something impossible, or the run itself failed."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2  # argparse's own status for a bad command line


class CLIError(Exception):
    """A command failed while running (an API error, a failed subprocess): exit status 1."""

    exit_code = EXIT_FAILURE


class UsageError(CLIError):
    """The command line asks for something that cannot be done as written: exit status 2.

    An unknown API method, a parameter that is not one of the method's or does not parse as its
    type, a missing token.
    """

    exit_code = EXIT_USAGE


__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "CLIError", "UsageError"]
