"""TODO"""


def register(router) -> None:
    pass
