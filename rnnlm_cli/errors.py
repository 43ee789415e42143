"""User-facing errors: each becomes one line on stderr and a non-zero exit status."""


class RnnlmError(Exception):
    """Base class of errors a user can cause; the message is the whole story."""

    exit_code = 1


class InputError(RnnlmError):
    """A text file is missing, empty, unreadable or not valid UTF-8."""


class ModelFileError(RnnlmError):
    """A model file is missing, truncated, corrupt or not ours."""


class ConfigError(RnnlmError):
    """Option values that cannot work together or are out of range."""

    exit_code = 2
