"""Domain exceptions: each carries a message a user can act on; the CLI prints it without a traceback."""


class MailconfError(Exception):
    """Base of every error mailconf reports to the user (exit code 1)."""


class UsageError(MailconfError):
    """The command line or its arguments are wrong."""


class ManifestError(MailconfError):
    """A manifest cannot be read at all (I/O, encoding, YAML limits)."""


class SecretError(MailconfError):
    """A secret reference cannot be resolved."""


class DriverError(MailconfError):
    """A provider driver failed to read or apply; the message comes from the driver."""


class StateError(MailconfError):
    """The state store is unusable, locked, or out of step with a saved plan."""
