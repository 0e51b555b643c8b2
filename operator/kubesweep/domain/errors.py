"""The one error type of the pure core: a rule broken by a value, named by its field.

``field`` is a dotted path relative to whatever the caller validated (for example
``minValue`` for a distribution); the API layer prefixes it with the path in the SweepJob
(``spec.searchSpace.C.minValue``) before showing it to a user.
"""


class SpecError(ValueError):
    """A value breaks a rule; ``field`` names where, the message says what would be valid."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message

    def under(self, prefix: str) -> "SpecError":
        """The same error, with its field placed under ``prefix``."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        return SpecError(field, self.message)
