"""Contact analysis (DESIGN §6): touching parts, contact records, the 8
contact configurations, and human–object penetration."""

from hoiexport.sdk.contacts.analysis import (
    PART_JOINTS,
    ContactOptions,
    ContactReport,
    analyze_asset,
    analyze_contacts,
    vertex_areas,
)
from hoiexport.sdk.contacts.classify import classify_contacts
from hoiexport.sdk.contacts.penetration import (
    PenetrationOptions,
    measure_penetration,
    penetration_between,
)

__all__ = [
    "PART_JOINTS",
    "ContactOptions",
    "ContactReport",
    "PenetrationOptions",
    "analyze_asset",
    "analyze_contacts",
    "classify_contacts",
    "measure_penetration",
    "penetration_between",
    "vertex_areas",
]
