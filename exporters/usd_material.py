"""UsdPreviewSurface materials for the USD writer.

One Material per mesh: UsdPreviewSurface with diffuseColor from a UsdUVTexture
(sRGB, repeat wrap) read through a UsdPrimvarReader_float2 of `st`, metallic 0 and
an explicit roughness; bound to the mesh with MaterialBindingAPI.
"""

from __future__ import annotations


from pxr import Sdf, Usd, UsdShade

from hoiexport.exporters.scene import ExportMesh
from hoiexport.sdk.core.errors import ExportError

ST_PRIMVAR = "st"
"""Name of the texture-coordinate primvar the materials read."""


def texture_path(basename: str, mesh_name: str) -> str:
    """Relative asset path of a mesh's base-colour PNG, e.g. "textures/chair_human_basecolor.png"."""
    return f"textures/{basename}_{mesh_name}_basecolor.png"


def define_material(
    stage: Usd.Stage, path: Sdf.Path, mesh: ExportMesh, texture_asset: str
) -> UsdShade.Material:
    """Author a UsdPreviewSurface material reading `texture_asset` through `st`.

    Args:
        stage: stage to author on.
        path: the Material prim path.
        mesh: the mesh whose roughness the material takes (metallic is 0).
        texture_asset: anchored relative asset path of the base-colour PNG
            ("./textures/..."; without "./" USD treats it as a search path and
            usdz packaging moves the file).

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

    tex = UsdShade.Shader.Define(stage, path.AppendChild("diffuseTexture"))
    tex.CreateIdAttr("UsdUVTexture")
    tex.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(texture_asset))
    tex.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(st)
    tex.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set("repeat")
    tex.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set("repeat")
    tex.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
    rgb = tex.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)

    surface = UsdShade.Shader.Define(stage, path.AppendChild("PreviewSurface"))
    surface.CreateIdAttr("UsdPreviewSurface")
    surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(rgb)
    surface.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(0.0)
    surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(roughness)
    surface.CreateInput("useSpecularWorkflow", Sdf.ValueTypeNames.Int).Set(0)
    material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
    return material


def bind_material(prim: Usd.Prim, material: UsdShade.Material) -> None:
    """Bind `material` to `prim` through an applied MaterialBindingAPI."""
    UsdShade.MaterialBindingAPI.Apply(prim).Bind(material)
