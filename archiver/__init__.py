"""archiver: prove, years later, that each stored source text is faithful to what was published."""

__version__ = "0.1.0"
