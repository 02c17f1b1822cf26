"""`hoiexport contacts`: contact analysis of a bundle (DESIGN §6)."""

from __future__ import annotations

import json

import click


@click.command("contacts")
@click.argument("bundle", type=click.Path(exists=True, file_okay=False))
@click.option("--threshold-cm", default=4.0, show_default=True, type=float,
              help="A part touches when its vertices lie within this distance of the object.")
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
def contacts(bundle: str, threshold_cm: float, as_json: bool) -> None:
    """Measure which body parts of BUNDLE touch its object, and the penetration.

    The analysis is measured on the bundle's meshes, not read from its metadata.
    """
    from hoiexport import load_bundle
    from hoiexport import ContactOptions
    from hoiexport import analyze_contacts as analyze_asset
    from hoiexport import InputError

    if not threshold_cm > 0:
        raise InputError(f"--threshold-cm must be > 0, got {threshold_cm}")
    asset = load_bundle(bundle)
    report = analyze_asset(asset.body, asset.human, asset.object, ContactOptions(threshold_m=threshold_cm / 100))
    pen = report.penetration
    data = {
        "bundle": bundle,
        "contact_config": report.contact_config.value,
        "contacts": [
            {
                "part": c.part,
                "joint": c.joint,
                "distance_m": round(float(c.distance_m), 5),
                "point_human": [round(float(x), 5) for x in c.point_human],
                "point_object": [round(float(x), 5) for x in c.point_object],
                "normal": [round(float(x), 5) for x in c.normal],
                "area_m2": round(float(c.area_m2), 6),
            }
            for c in report.contacts
        ],
        "penetration": {
            "human_in_object": {"depth_cm": pen.human_in_object_depth_cm, "volume_cm3": pen.human_in_object_volume_cm3},
            "object_in_human": {"depth_cm": pen.object_in_human_depth_cm, "volume_cm3": pen.object_in_human_volume_cm3},
        } if pen else None,
        "part_distance_m": {k: (None if v == float("inf") else round(v, 5)) for k, v in report.part_distance_m.items()},
        "stored_contact_config": asset.contact_config.value,
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"contact config: {data['contact_config']}")
    for c in data["contacts"]:
        click.echo(f"  {c['part']:<12} joint {c['joint']:<15} distance {c['distance_m'] * 100:.2f} cm  area {c['area_m2'] * 1e4:.1f} cm²")
    if pen:
        click.echo(
            f"penetration: human in object {pen.human_in_object_depth_cm:.2f} cm / {pen.human_in_object_volume_cm3:.1f} cm³;"
            f" object in human {pen.object_in_human_depth_cm:.2f} cm / {pen.object_in_human_volume_cm3:.1f} cm³"
        )
