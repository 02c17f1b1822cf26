"""The procedural object library of the compose generator (DESIGN §7).

`make_object(category, rng, color=..., material=..., variant=..., action=...)`
builds a parametric, watertight object mesh from closed primitives unioned with
manifold3d, textured from a 256² procedural atlas through per-vertex uv.

Frame: internal (+Y up, metres), resting on y = 0, bounding box centred on
x = z = 0; furniture faces +Z (its user faces +Z), "left" means +X.

Anchors (`ProceduralObject.anchors`, object frame):

| name             | categories                                  | point / normal / axis                       |
|------------------|---------------------------------------------|---------------------------------------------|
| handle           | suitcase, briefcase, backpack, bag, mug, bin (lidded) | centre of the grasped bar / outward side the hand comes from / bar direction |
| trolley_handle   | suitcase                                    | grip bar centre (extended for drag/pull/push) / +Y / +X |
| grip, neck       | bottle, mug (grip)                          | point on the axis / +Z / +Y (the axis)      |
| seat             | chair, stool, bench                         | top of the seat, centre / +Y / +Z (forward) |
| backrest         | chair, bench                                | front face of the backrest, mid height / its normal (forward, tilted up) / +X |
| backrest_top     | chair, bench                                | top edge centre / +Y / +X                   |
| armrest_left/right | armchair, bench with arms                 | top of the armrest / +Y / +Z                |
| top              | table, box, bin, bottle, ball               | top surface centre / +Y / +Z                |
| edge_front/back/left/right | table                             | top edge midpoints / outward / along the edge |
| side_left/right  | box, stool, ball, bin                       | where two hands hold it / ±X / tangent      |
| front, back      | box (front/back), ball (back)               | face centre / ±Z / tangent                  |
| center, bottom   | ball                                        | centre, floor contact                       |
| rim, pedal       | mug / bin                                   | rim point, pedal top                        |
| strap_left/right, back_panel | backpack                        | on the back (-Z) side / -Z / +Y             |
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
