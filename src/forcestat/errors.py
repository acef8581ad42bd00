"""Exceptions raised by forcestat's core.

The CLI turns them into exit codes (2 for bad input), the web API into 4xx JSON::

    ForcestatError
     +-- InputError                 bad input from the user: exit code 2
     |    +-- SchemaError           a file lacks required columns, or its kind is unknown
     |    +-- PeriodError           a period string that cannot be parsed
     |    +-- UnknownMeasureError   a measure key not in the catalogue
     |    +-- TargetsError          a synth targets file with unknown or impossible figures
     |    +-- ParameterError        a demand-model parameter out of range
     |    +-- AccessError           a role that may not read special category data
     +-- StoreError                 the store cannot be opened or written
          +-- StoreNotFoundError    no store at the path a command was given: exit code 2
          +-- StoreVersionError     the store was written by a newer forcestat: exit code 2
          +-- StoreOpenError        the file is not a store DuckDB can open: exit code 2
          +-- StoreBusyError        another process held the store for longer than --wait
"""

from __future__ import annotations


class ForcestatError(Exception):
    """Base of every error forcestat raises on purpose."""

    exit_code = 1


class InputError(ForcestatError):
    """The user gave something forcestat cannot use; nothing was changed."""

    exit_code = 2


class SchemaError(InputError):
    """A file does not match any record kind, or lacks required columns."""


class PeriodError(InputError):
    """A period string could not be parsed."""


class UnknownMeasureError(InputError):
    """A measure key is not in the catalogue."""


class TargetsError(InputError):
    """A synth targets file names an unknown measure or an impossible value."""


class ParameterError(InputError):
    """A model parameter is out of range (negative rate, target above 100%, ...)."""


class StoreError(ForcestatError):
    """The store could not be opened or written."""


class StoreNotFoundError(StoreError):
    """No store where one was named (a mistyped ``--db``): the same exit code from every command."""

    exit_code = 2


class StoreVersionError(StoreError):
    """The store's format is newer than this forcestat reads: nothing is changed."""

    exit_code = 2


class StoreOpenError(StoreError):
    """The file named as the store is not a database DuckDB can open (or it is locked)."""

    exit_code = 2


class StoreBusyError(StoreError):
    """Another process held the store for longer than the command would wait; nothing was
    changed. Exit code 2, as for bad input: running the command again later succeeds."""

    exit_code = 2


class AccessError(InputError):
    """The role asked for may not read this (children's details need ``safeguarding``)."""
