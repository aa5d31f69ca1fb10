"""The event ontology: the types `events.py` may emit, and how each maps onto ACLED's coding scheme.

Names follow PLOVER/ACLED vocabulary so that users who know those schemes read our events without a
glossary; `docs/ontology.md` is the prose version of this table. The ACLED mapping is what lets
`storyline eval events` score our types against ACLED's `event_type` / `sub_event_type` columns.
"""

from __future__ import annotations

from dataclasses import dataclass

BATTLES = "Battles"
EXPLOSIONS = "Explosions/Remote violence"
VIOLENCE_AGAINST_CIVILIANS = "Violence against civilians"
PROTESTS = "Protests"
RIOTS = "Riots"
STRATEGIC = "Strategic developments"


@dataclass(frozen=True, slots=True)
class EventType:
    """One ontology type; `acled` gives the (event_type, sub_event_type) per subtype, None = no subtype."""

    name: str
    description: str
    subtypes: tuple[str, ...]
    acled: dict[str | None, tuple[str, str]]

    @property
    def key(self) -> str:
        """The identifier used in claim signatures: stable, no spaces."""
        return self.name.replace(" ", "_").replace("/", "_")


_CLASH = (BATTLES, "Armed clash")
_SHELLING = (EXPLOSIONS, "Shelling/artillery/missile attack")
_AIR = (EXPLOSIONS, "Air/drone strike")
_CIVILIAN_ATTACK = (VIOLENCE_AGAINST_CIVILIANS, "Attack")

TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType(
            "attack",
            "Use of force against people or places (PLOVER ASSAULT/COERCE; ACLED battles and remote violence).",
            ("missile strike", "drone strike", "air strike", "shelling", "shooting", "bombing", "grenade",
             "suicide bombing", "armed clash", "mob violence"),
            {
                None: _CLASH,
                "missile strike": _SHELLING,
                "shelling": _SHELLING,
                "drone strike": _AIR,
                "air strike": _AIR,
                "bombing": (EXPLOSIONS, "Remote explosive/landmine/IED"),
                "grenade": (EXPLOSIONS, "Grenade"),
                "suicide bombing": (EXPLOSIONS, "Suicide bomb"),
                "shooting": _CLASH,
                "armed clash": _CLASH,
                "mob violence": (RIOTS, "Mob violence"),
            },
        ),
        EventType("abduct", "Kidnapping or forced disappearance.", (),
                  {None: (VIOLENCE_AGAINST_CIVILIANS, "Abduction/forced disappearance")}),
        EventType("sexual violence", "Rape and other sexual violence.", (),
                  {None: (VIOLENCE_AGAINST_CIVILIANS, "Sexual violence")}),
        EventType("loot or destroy property", "Looting, arson, vandalism, demolition.", (),
                  {None: (STRATEGIC, "Looting/property destruction")}),
        EventType("disrupt weapons", "Weapons seized, bombs defused, drones shot down.", (),
                  {None: (STRATEGIC, "Disrupted weapons use")}),
        EventType("seize territory", "An armed group takes control of a place.", (),
                  {None: (BATTLES, "Government regains territory")}),
        EventType("deploy troops", "Forces sent to, stationed in or reinforcing a place or ally (PLOVER MOBILIZE).",
                  (), {None: (STRATEGIC, "Change to group/activity")}),
        EventType("establish base", "A base, headquarters or post is set up.", (),
                  {None: (STRATEGIC, "Headquarters or base established")}),
        EventType("aid", "Economic, military or humanitarian aid; loans (PLOVER AID).", ("loans",),
                  {None: (STRATEGIC, "Other"), "loans": (STRATEGIC, "Other")}),
        EventType("sanctions", "Sanctions or embargoes imposed or threatened (PLOVER SANCTION).", (),
                  {None: (STRATEGIC, "Other")}),
        EventType("demand", "A demand, call or ultimatum addressed to someone (PLOVER DEMAND).", (),
                  {None: (STRATEGIC, "Other")}),
        EventType("express concern", "Concern, warning or condemnation (PLOVER DISAPPROVE).",
                  ("concern", "condemn", "warning"),
                  {None: (STRATEGIC, "Other"), "concern": (STRATEGIC, "Other"),
                   "condemn": (STRATEGIC, "Other"), "warning": (STRATEGIC, "Other")}),
        EventType("confirm", "An actor confirms or admits a proposition.", (), {None: (STRATEGIC, "Other")}),
        EventType("deny", "An actor denies or rejects a proposition.", (), {None: (STRATEGIC, "Other")}),
        EventType("sign or ratify agreement", "Agreements, treaties, ceasefires, prisoner exchanges (PLOVER AGREE).",
                  (), {None: (STRATEGIC, "Agreement")}),
        EventType("meet", "Meetings, talks, negotiation, mediation (PLOVER CONSULT).", (),
                  {None: (STRATEGIC, "Other")}),
        EventType("protest", "Demonstrations, rallies, sit-ins, strikes (PLOVER PROTEST).",
                  ("with intervention", "excessive force"),
                  {None: (PROTESTS, "Peaceful protest"),
                   "with intervention": (PROTESTS, "Protest with intervention"),
                   "excessive force": (PROTESTS, "Excessive force against protesters")}),
        EventType("riot", "Violent demonstrations and mob violence (ACLED Riots).", ("mob violence",),
                  {None: (RIOTS, "Violent demonstration"), "mob violence": (RIOTS, "Mob violence")}),
        EventType("arrest", "Arrests and detentions (ACLED Strategic developments: Arrests).", (),
                  {None: (STRATEGIC, "Arrests")}),
    )
}


def key(type_name: str) -> str:
    """Signature key of a type name (raises KeyError for a name outside the ontology)."""
    return TYPES[type_name].key


def to_acled(type_name: str, subtype: str | None = None, *, civilian_target: bool = False) -> tuple[str, str]:
    """ACLED (event_type, sub_event_type) for one of our events.

    ACLED separates one-sided violence from fighting by who is hit, not by the weapon, so a shooting or
    untyped attack on civilians is "Violence against civilians: Attack" while the same against armed
    forces is "Battles: Armed clash"; remote weapons keep their own sub-types whoever is hit.
    """
    kind = TYPES[type_name]
    if type_name == "attack" and civilian_target and subtype in (None, "shooting"):
        return _CIVILIAN_ATTACK
    return kind.acled.get(subtype, kind.acled[None])
