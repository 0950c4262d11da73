"""Moved to ladderline.job (the domain reads jobs; the pipeline only carries them).

Kept as an alias so code written against the old path keeps importing until it is updated.
"""

from ladderline.job import SCHEMA_VERSION, Job, JobError, JobKind

__all__ = ["SCHEMA_VERSION", "Job", "JobError", "JobKind"]
