"""Fidelity: extract text from an archived page, align a stored text with it, find text damage,
and repair lost links from the original.

The stage's public face: ``extract`` (``extract``), ``check_fidelity`` (``compare``),
``scan_text`` (``damage``), ``plan_source_repairs`` and ``apply_repairs`` (``repair``), and the
per-source checks against the archived originals (``originals``).
"""

from archiver.fidelity.compare import FidelityResult, check_fidelity
from archiver.fidelity.damage import scan_text
from archiver.fidelity.extract import Extraction, extract
from archiver.fidelity.repair import RepairPlan, apply_repairs, plan_source_repairs

__all__ = ["Extraction", "FidelityResult", "RepairPlan", "apply_repairs", "check_fidelity",
           "extract", "plan_source_repairs", "scan_text"]
