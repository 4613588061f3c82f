"""TODO"""


def seed() -> dict:
    return {}
