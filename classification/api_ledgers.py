"""API of waste sorting: `register(router)` is called by sanitation/urls.py."""


def register(router) -> None:
    pass
