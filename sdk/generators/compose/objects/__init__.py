"""The procedural object library of the compose generator (DESIGN §7).

`make_object(category, rng, color=..., material=..., variant=..., action=...)`
builds a parametric, watertight object mesh from closed primitives unioned with
manifold3d, textured from a 256² procedural atlas through per-vertex uv.

Frame: internal (+Y up, metres), resting on y = 0, bounding box centred on
x = z = 0; furniture faces +Z (its user faces +Z), "left" means +X.

Anchors (`ProceduralObject.anchors`, object frame). "Axis" anchors are points
inside a bar or handle, on its axis: their depth below the surface is the bar's
radius (the planner reads it as the grip radius); every other anchor lies on
the surface (within 1 cm).

| name             | categories                                  | point / normal / axis                       |
|------------------|---------------------------------------------|---------------------------------------------|
| handle           | suitcase, briefcase, backpack, bag, mug, bin (lidded), bucket (bail grip), toolbox, shield (bar on its back), scooter (bar beside the stem) | centre of the grasped bar (axis) / outward side the hand comes from (+Y: hooked from above) / bar direction |
| trolley_handle   | suitcase                                    | grip bar centre (extended for drag/pull/push) / +Y / +X |
| grip, neck       | bottle, mug, sword, axe, umbrella, broom, lamp (pole / vase), guitar (neck by the body; neck mid), cup, phone, book, mat (rolled) | point on the handle's axis (cup: on its wall) / the side the palm comes from (phone, book: the back, -Y, leaning 3° to +Z) / the handle's direction (+Y for upright props; phone, book: +Z) |
| grip_low         | axe, broom                                  | a second hold lower on the handle (axis)    |
| palm             | phone, book                                 | bottom centre: where it rests on an open palm / -Y / +Z |
| seat             | chair (all variants), stool, bench          | top of the seat, centre / +Y / +Z (forward) |
| backrest         | chair, bench                                | front face of the backrest, mid height / its normal (forward, tilted up) / +X |
| backrest_top     | chair, bench                                | top edge centre (folding chair: its top bar's axis) / +Y / +X |
| armrest_left/right | armchair, office chair with arms, bench with arms | top of the armrest / +Y / +Z          |
| top              | table, box, bin, bottle, ball, barrel, crate, container, skateboard (deck), scooter (deck), mat | top surface centre (where one sits or stands) / +Y / +Z (mat, skateboard: +X) |
| edge_front/back/left/right | table                             | top edge midpoints / outward / along the edge |
| side_left/right  | box, stool, ball, bin, bucket, barrel, crate, toolbox, container, keyboard, monitor, shield, guitar (lower bout), lamp, phone, book, skateboard (nose / tail), mat | where two hands hold or push it / ±X / tangent |
| front, back      | box, barrel, crate, toolbox, container, keyboard (front), monitor (back), shield, guitar (back), mat (front), ball (back) | face centre / ±Z / tangent |
| center, bottom   | ball; skateboard (bottom)                   | centre, floor contact / underside           |
| rim, pedal       | mug, cup, bucket / bin                      | rim point, pedal top                        |
| strap_left/right, back_panel | backpack                        | on the back (-Z) side / -Z / +Y             |
| handlebar_left/right | scooter                                 | the rubber grips (axis) / +Y / +X           |
| tip, pommel, edge | sword / axe (edge)                         | blade tip, pommel bottom / the bit's edge   |
| crook            | umbrella                                    | apex of the J handle                        |
| spine, cover     | book                                        | spine axis / front cover centre             |
| screen, keys, lid, shade, body, head, top_edge | phone & monitor, keyboard, toolbox, lamp, guitar, broom, monitor | the named surface's centre / outward |
"""

from hoiexport.sdk.generators.compose.objects.base import Anchor, ObjectKind, ProceduralObject
from hoiexport.sdk.generators.compose.objects.library import (
    DIM_RANGES,
    OBJECT_CATEGORIES,
    VARIANTS,
    make_object,
)
from hoiexport.sdk.generators.compose.objects.materials import Material

__all__ = [
    "DIM_RANGES",
    "OBJECT_CATEGORIES",
    "VARIANTS",
    "Anchor",
    "Material",
    "ObjectKind",
    "ProceduralObject",
    "make_object",
]
