"""Error types. Every error names the input at fault and how to fix it."""

from __future__ import annotations


class HOIExportError(Exception):
    """Base class of every error hoiexport raises on purpose."""


class InputError(HOIExportError, ValueError):
    """Bad user input: a prompt, a mesh, a parameter, a flag."""


class BundleError(HOIExportError):
    """A bundle on disk is missing, corrupt, unsafe or of an unknown schema.

    The message names the file and field at fault.
    """


class ModelUnavailableError(HOIExportError):
    """A body model or network's files are missing or do not match the lock."""


class GenerationError(HOIExportError):
    """A generator ran but could not produce the requested interaction (every
    attempt or view was rejected); the message says why and what to try."""


class ExportError(HOIExportError):
    """An export failed (including validation failures)."""


class ValidationFailed(ExportError):
    """An exported file failed the glTF or USD validator."""
