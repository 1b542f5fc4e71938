"""The exception hierarchy: one root, each subclass also a matching builtin.

Not `KeyError`: its `str()` quotes the message. The warning category for
plugins left out lives here too.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Root of every error this project raises on purpose."""


class UnknownModelError(RegistryError, LookupError):
    """No registered model has the requested name or alias (nor weights the requested tag)."""


class DuplicateModelError(RegistryError, LookupError):
    """A model name or alias is claimed by more than one plugin."""


class PluginError(RegistryError, RuntimeError):
    """A plugin could not be loaded or registered something invalid."""


class InvalidSpecError(RegistryError, ValueError):
    """A `ModelSpec` or `WeightFile` is malformed."""


class InvalidArgumentError(RegistryError, ValueError):
    """A builder argument is outside what the model accepts."""


class InputShapeError(InvalidArgumentError):
    """An input shape or input tensor the model cannot take."""


class WeightsError(RegistryError, OSError):
    """Weights could not be obtained."""


class DownloadError(WeightsError):
    """Every source for a weight file failed."""


class ChecksumMismatchError(WeightsError):
    """A file's hash differs from the one it must have."""


class OfflineError(WeightsError):
    """A weight file is needed but `REGISTRY_OFFLINE=1` forbids fetching it."""


class UnsafeSourceError(WeightsError, ValueError):
    """A file name or URL the store refuses to use (path traversal, odd scheme)."""


class WeightsMismatchError(RegistryError, ValueError):
    """A weight file does not fit the model it is loaded into."""


class PluginLoadWarning(UserWarning):
    """A plugin, or a model it registered, was left out; the registry keeps working without it."""
