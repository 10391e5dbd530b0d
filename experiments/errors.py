"""Named errors of the domain core. Messages say how to fix the problem."""


class KnockError(Exception):
    """Base class: an error a researcher can act on (shown without a traceback)."""


class NotFound(KnockError):
    """No such experiment or contact."""


class InvalidExperiment(KnockError):
    """The definition has problems; ``problems`` lists them, one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PreregisteredChange(KnockError):
    """An armed experiment's pre-registered parts cannot change."""


class TransitionRefused(KnockError):
    """The requested status change is not allowed from the current status."""


class ImportRefused(KnockError):
    """A CSV import failed; nothing was written. ``problems`` lists what and where."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
