"""The association's rating programmes (chapter 六 of its key work): facility ratings
(设施等级评价, starting with 生活垃圾焚烧厂无害化等级评价) and enterprise credit ratings
(企业信用评价), on one machinery."""

from .rating import (
    ApplicationStatus,
    Criterion,
    ExpertScore,
    GradeThreshold,
    RatingApplication,
    RatingRound,
    RatingScheme,
    RoundStatus,
    points_text,
)
from .registry import Business, Enterprise, Facility, FacilityKind, Programme

__all__ = [
    "ApplicationStatus",
    "Business",
    "Criterion",
    "Enterprise",
    "ExpertScore",
    "Facility",
    "FacilityKind",
    "GradeThreshold",
    "Programme",
    "RatingApplication",
    "RatingRound",
    "RatingScheme",
    "RoundStatus",
    "points_text",
]
