"""What the timeline groups and names: families of event types, and the milestones it labels.

Kept apart from the drawing so that a new event type or milestone is a one-line change here
(the tests check that every event type of the schema has a family).
"""

from __future__ import annotations

from aesdata.figures.common import PALETTE

#: Event types grouped into the families the timeline has one lane each for (top to bottom).
FAMILIES: dict[str, tuple[str, ...]] = {
    family: tuple(kinds.split())
    for family, kinds in {
        "Coups & leadership": "coup coup_attempt appointment presidency_assumed election referendum",
        "Diplomacy & meetings": "summit ministerial_meeting statement threat diplomatic_rupture "
        "diplomatic_incident",
        "Withdrawals & sanctions": "withdrawal_announced withdrawal_effective membership_suspended "
        "membership_restored sanction_imposed sanction_lifted ultimatum",
        "Institutions & instruments": "agreement_signed treaty_ratified institution_created "
        "instrument_adopted instrument_launched organisation_dissolved decision",
        "Military & forces": "force_announced force_launched force_deployed military_withdrawal "
        "base_handover mission_ended",
        "Violence": "attack armed_clash blockade",
    }.items()
}
OTHER = "Other"
FAMILY_OF = {kind: family for family, kinds in FAMILIES.items() for kind in kinds}
COLOURS = dict(zip([*FAMILIES, OTHER], PALETTE, strict=True))

#: Milestones labelled on the timeline; an id missing from the data is skipped, not an error.
MILESTONES: dict[str, str] = {
    "2020-08-18-mali-coup": "Mali coup",
    "2022-09-30-burkina-faso-coup": "Burkina Faso coup",
    "2023-07-26-niger-coup": "Niger coup",
    "2023-09-16-liptako-gourma-charter-signed": "Liptako-Gourma Charter (AES)",
    "2024-01-28-aes-states-announce-ecowas-withdrawal": "ECOWAS exit announced",
    "2024-07-06-aes-confederation-treaty-adopted": "Confederation treaty",
    "2025-01-29-aes-withdrawal-from-ecowas-takes-effect": "ECOWAS exit effective",
    "2025-12-20-fu-aes-officially-launched-bamako": "Unified force launched",
}


def family_of(event_type: str) -> str:
    """The timeline family of an event type; unknown types get their own "Other" lane."""
    return FAMILY_OF.get(event_type, OTHER)
