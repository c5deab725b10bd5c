"""The class's answers: class sessions with a short code, students' predictions and results
pooled in one database (SQLite by default, any SQLAlchemy URL such as PostgreSQL).

>>> normalise_code("k7q-2mx")
'K7Q2MX'
"""

from __future__ import annotations

from core.classroom.db import (
    CODE_LEN,
    ClassDB,
    ClassError,
    ClassSession,
    Entry,
    Summary,
    class_db,
    clean_nickname,
    normalise_code,
    student_id,
)

__all__ = [
    "CODE_LEN",
    "ClassDB",
    "ClassError",
    "ClassSession",
    "Entry",
    "Summary",
    "class_db",
    "clean_nickname",
    "normalise_code",
    "student_id",
]
