def seed() -> dict:
    return {}
