"""UsdPreviewSurface materials for the USD writer.

One Material per mesh: UsdPreviewSurface with diffuseColor from a UsdUVTexture
(sRGB, repeat wrap) read through a UsdPrimvarReader_float2 of `st`; bound to the
mesh with MaterialBindingAPI.

Without PBR maps: metallic 0 and an explicit roughness. With them (`ExportMesh.pbr`):
one more UsdUVTexture reads the ORM PNG raw (linear): roughness ← g, metallic ← b,
occlusion ← r (only when it holds baked occlusion); another reads the tangent-space
normal map raw with scale (2, 2, 2, 1) and bias (−1, −1, −1, 0), so rgb ∈ [0, 1]
becomes n ∈ [−1, 1], into `normal`. The PNGs sit beside the base colour
(`texture_path(..., kind)`); .usdz packs them all.
"""

from __future__ import annotations

from typing import Literal

from pxr import Gf, Sdf, Usd, UsdShade

from hoiexport.exporters.scene import ExportMesh
from hoiexport.sdk.core.errors import ExportError

ST_PRIMVAR = "st"
"""Name of the texture-coordinate primvar the materials read."""


TextureKind = Literal["basecolor", "orm", "normal"]
"""A mesh's images: sRGB base colour, linear ORM, tangent-space normal map."""


def texture_path(basename: str, mesh_name: str, kind: TextureKind = "basecolor") -> str:
    """Relative asset path of one of a mesh's PNGs, e.g. "textures/chair_human_basecolor.png"."""
    return f"textures/{basename}_{mesh_name}_{kind}.png"


def mesh_textures(basename: str, mesh_name: str, mesh: ExportMesh) -> dict[str, bytes]:
    """{relative path: PNG bytes} of a mesh's images: the base colour, and the ORM
    and normal maps when it has them (`mesh_name` as its prim is named)."""
    files = {texture_path(basename, mesh_name): mesh.png()}
    if mesh.pbr is not None:
        files[texture_path(basename, mesh_name, "orm")] = mesh.pbr.orm_png()
        files[texture_path(basename, mesh_name, "normal")] = mesh.pbr.normal_png()
    return files


def _sibling(texture_asset: str, kind: TextureKind) -> str:
    """The asset path of the `kind` PNG beside the base colour `texture_asset`."""
    stem = texture_asset.removesuffix(".png").removesuffix("_basecolor")
    return f"{stem}_{kind}.png"


def _uv_texture(
    stage: Usd.Stage, path: Sdf.Path, asset: str, st: UsdShade.Output, color_space: str
) -> UsdShade.Shader:
    """A UsdUVTexture reading `asset` at `st`, repeat wrap, in `color_space` ("sRGB" / "raw")."""
    tex = UsdShade.Shader.Define(stage, path)
    tex.CreateIdAttr("UsdUVTexture")
    tex.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(asset))
    tex.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(st)
    tex.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set("repeat")
    tex.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set("repeat")
    tex.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set(color_space)
    return tex


def define_material(
    stage: Usd.Stage, path: Sdf.Path, mesh: ExportMesh, texture_asset: str
) -> UsdShade.Material:
    """Author a UsdPreviewSurface material reading `texture_asset` through `st`.

    Args:
        stage: stage to author on.
        path: the Material prim path.
        mesh: the mesh whose roughness the material takes (metallic 0), or whose
            PBR maps it reads (`mesh.pbr`).
        texture_asset: anchored relative asset path of the base-colour PNG
            ("./textures/..."; without "./" USD treats it as a search path and
            usdz packaging moves the file); the ORM and normal PNGs are read from
            beside it ("..._orm.png", "..._normal.png", `texture_path`).

    Raises:
        ExportError: roughness outside [0, 1].
    """
    roughness = float(mesh.roughness)
    if not 0.0 <= roughness <= 1.0:
        raise ExportError(f"mesh {mesh.name!r} roughness {roughness} is outside [0, 1]")
    material = UsdShade.Material.Define(stage, path)

    reader = UsdShade.Shader.Define(stage, path.AppendChild("stReader"))
    reader.CreateIdAttr("UsdPrimvarReader_float2")
    reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set(ST_PRIMVAR)
    st = reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)

    tex = _uv_texture(stage, path.AppendChild("diffuseTexture"), texture_asset, st, "sRGB")
    rgb = tex.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)

    surface = UsdShade.Shader.Define(stage, path.AppendChild("PreviewSurface"))
    surface.CreateIdAttr("UsdPreviewSurface")
    surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(rgb)
    if mesh.pbr is None:
        surface.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(0.0)
        surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(roughness)
    else:
        orm = _uv_texture(stage, path.AppendChild("ormTexture"), _sibling(texture_asset, "orm"), st, "raw")
        surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).ConnectToSource(
            orm.CreateOutput("g", Sdf.ValueTypeNames.Float)
        )
        surface.CreateInput("metallic", Sdf.ValueTypeNames.Float).ConnectToSource(
            orm.CreateOutput("b", Sdf.ValueTypeNames.Float)
        )
        if mesh.pbr.occlusion:
            surface.CreateInput("occlusion", Sdf.ValueTypeNames.Float).ConnectToSource(
                orm.CreateOutput("r", Sdf.ValueTypeNames.Float)
            )
        normal = _uv_texture(stage, path.AppendChild("normalTexture"), _sibling(texture_asset, "normal"), st, "raw")
        normal.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(2.0, 2.0, 2.0, 1.0))
        normal.CreateInput("bias", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(-1.0, -1.0, -1.0, 0.0))
        surface.CreateInput("normal", Sdf.ValueTypeNames.Normal3f).ConnectToSource(
            normal.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
        )
    surface.CreateInput("useSpecularWorkflow", Sdf.ValueTypeNames.Int).Set(0)
    material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
    return material


def bind_material(prim: Usd.Prim, material: UsdShade.Material) -> None:
    """Bind `material` to `prim` through an applied MaterialBindingAPI."""
    UsdShade.MaterialBindingAPI.Apply(prim).Bind(material)
