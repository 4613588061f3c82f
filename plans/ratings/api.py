"""API of this registry: `register(router)` is called by sanitation/urls.py."""


def register(router) -> None:
    pass
