"""Small helpers shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from hoiexport import COMPRESSIONS, MAX_LODS, REST_POSES, SKELETON_PRESETS, TARGETS

TARGET_CHOICES: tuple[str, ...] = TARGETS
"""`--target` choices: the exporters' engine presets."""


def echo_timings(timings_s: dict[str, float]) -> None:
    """Print 'stage 0.12s' pairs on one line."""
    click.echo("timings: " + "  ".join(f"{k} {v:.2f}s" for k, v in timings_s.items()))


def device_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--device` and `--precision` of a command that loads models (`what` names them in the help)."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option("--precision", default="bf16", show_default=True, type=click.Choice(["bf16", "fp16", "fp32"]),
                         help=f"Dtype of the {what} on CUDA (CPU runs fp32).")(f)
        return click.option("--device", default="auto", show_default=True,
                            help=f"Where the {what} run: auto, cpu, cuda or cuda:N.")(f)

    return decorate


def rig_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--rest-pose`, `--skeleton` and `--approach/--no-approach`, passed on as one
    `rig` keyword argument holding a `RigOptions`."""
    import functools

    @functools.wraps(f)
    def wrapper(*args: Any, rest_pose: str, skeleton: str, approach: bool, **kwargs: Any) -> Any:
        from hoiexport import RigOptions

        return f(*args, rig=RigOptions(rest_pose=rest_pose, skeleton=skeleton, approach=approach), **kwargs)

    wrapper = click.option("--approach/--no-approach", default=True, show_default=True,
                           help="Add the 'approach' clip (rest pose -> interaction, then held).")(wrapper)
    wrapper = click.option("--skeleton", default="auto", show_default=True,
                           type=click.Choice(["auto", *SKELETON_PRESETS]),
                           help="Joint names: auto = ue5 for unreal, unity-humanoid for unity, else smpl.")(wrapper)
    return click.option("--rest-pose", default="a", show_default=True, type=click.Choice(list(REST_POSES)),
                        help="Bind pose: A pose, T pose, or the generated pose (interaction).")(wrapper)


def lod_compress_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--lods N` and `--compress auto|none|draco|meshopt`, passed on as the keyword
    arguments `lods` and `compress` (the `ExportOptions` fields of the same names)."""
    f = click.option("--compress", default="none", show_default=True, type=click.Choice(list(COMPRESSIONS)),
                     help="glb compression (glTF-Transform, node): auto = draco for unreal, meshopt for unity, "
                          "none for omniverse / blender. USD and .gltf are never compressed.")(f)
    return click.option("--lods", default=1, show_default=True, type=click.IntRange(1, MAX_LODS),
                        help="Levels of detail per mesh (LOD0 included), each ~half the faces of the one before: "
                             "glTF MSFT_lod, USD variant set 'LOD' (Unreal's convention).")(f)
