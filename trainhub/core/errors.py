"""The error a service raises when a request cannot be carried out, listing every reason."""


class Problems(ValueError):
    """Every reason an action was refused; reasons may be lazy strings, translated when shown."""

    def __init__(self, problems: list):
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(str(problem) for problem in self.problems)
