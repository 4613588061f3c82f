"""Excel import of a year of daily collection records (filled in by the classification work)."""


def run() -> dict:
    return {}


def table(results: dict) -> str:
    return ""
