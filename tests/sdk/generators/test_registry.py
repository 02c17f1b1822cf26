"""The generator seam: registry names, `auto`, one instance per name, release."""

from __future__ import annotations

import pytest
import torch

import hoiexport
from hoiexport.sdk.core.errors import GenerationError, HOIExportError, InputError
from hoiexport.sdk.core.types import Prompt
from hoiexport.sdk.generators import registry
from hoiexport.sdk.generators.base import GenerationOptions, Generator
from hoiexport.sdk.generators.hoi3dgen.generate import ChainCache, Hoi3dgenGenerator


class _Recorder:
    """A generator that records what the application floor hands it."""

    name = "recorder"

    def __init__(self) -> None:
        self.calls: list[tuple[Prompt, int, GenerationOptions]] = []
        self.closed = False

    def unavailable(self) -> str | None:
        return None

    def close(self) -> None:
        self.closed = True

    def __call__(self, prompt, seed, options):
        self.calls.append((prompt, seed, options))
        raise GenerationError("recorded")


@pytest.fixture
def recorder(monkeypatch):
    rec = _Recorder()
    monkeypatch.setitem(registry.GENERATORS, "recorder",
                        registry.GeneratorEntry(__name__, "_Recorder", "test double"))
    monkeypatch.setitem(registry._instances, "recorder", rec)
    return rec


def test_names_and_choices():
    assert set(registry.GENERATORS) == {"compose", "hoi3dgen"}
    assert registry.GENERATOR_CHOICES == ("auto", "compose", "hoi3dgen")
    assert hoiexport.GENERATOR_CHOICES == registry.GENERATOR_CHOICES
    for name in registry.GENERATORS:
        generator = registry.get_generator(name)
        assert isinstance(generator, Generator) and generator.name == name
        assert registry.get_generator(name) is generator


def test_unknown_name_is_one_clear_error():
    with pytest.raises(InputError, match=r"unknown generator 'magic'; use one of: auto, compose, hoi3dgen"):
        registry.resolve_name("magic")


@pytest.mark.skipif(torch.cuda.is_available(), reason="auto picks hoi3dgen where CUDA and its weights are present")
def test_auto_falls_back_to_compose_without_cuda():
    assert registry.get_generator("hoi3dgen").unavailable() == "no CUDA GPU"
    assert registry.get_generator("compose").unavailable() is None
    assert registry.resolve_name("auto") == "compose"


def test_floor_resolves_the_prompt_once_and_passes_options(recorder):
    with pytest.raises(GenerationError, match="recorded"):
        hoiexport.generate("A man sitting on a bench", generator="recorder", seed=3, body={"height": 0.7},
                           options="settings", weight=0.2)
    (prompt, seed, options), = recorder.calls
    assert isinstance(prompt, Prompt) and prompt.object == "bench" and prompt.action == "sit"
    assert prompt.requested_config.value == "other"  # the support-contact rule, for every generator
    assert seed == 3 and dict(options.body) == {"height": 0.7, "weight": 0.2} and options.settings == "settings"


def test_release_closes_every_instance(recorder):
    registry.release()
    assert recorder.closed and "recorder" not in registry._instances
    assert registry.get_generator("compose").name == "compose"  # built again on demand


def test_chain_cache_is_bounded_and_closable():
    with pytest.raises(InputError, match="max_chains"):
        ChainCache(0)
    cache = ChainCache(2)
    cache.close()
    assert len(cache) == 0 and cache.max_chains == 2
    generator = Hoi3dgenGenerator(max_chains=1)
    assert generator.cache.max_chains == 1
    with pytest.raises(InputError, match="ChainOptions"):
        generator(Prompt(text="x"), 0, GenerationOptions(settings=object()))


def test_generation_error_is_public():
    assert hoiexport.GenerationError is GenerationError and issubclass(GenerationError, HOIExportError)


def test_make_settings_builds_each_preset_and_applies_overrides():
    from hoiexport.sdk.generators.compose.generate import ComposeOptions
    from hoiexport.sdk.generators.hoi3dgen.chain import ChainOptions
    from hoiexport.sdk.generators.registry import GENERATORS, make_settings

    assert make_settings("compose") == ComposeOptions()
    assert make_settings("compose", overrides={"max_attempts": "2"}).max_attempts == 2
    assert GENERATORS["hoi3dgen"].presets[0] == "best"
    best = make_settings("hoi3dgen")
    paper = make_settings("hoi3dgen", "paper", {"lift.orbit.views": "4"})
    assert isinstance(best, ChainOptions) and best.preset == "best"
    assert paper.preset == "paper" and paper.lift.orbit.views == 4 and paper.lift.orbit.pitch_deg == 0.0
    assert make_settings("hoi3dgen", "paper").lift.orbit.views == 8  # a fresh object per call


def test_hoi3dgen_paper_preset_is_the_release_setting_by_setting():
    """Each stage's release setting (docs/fidelity.md), against the best preset."""
    from hoiexport.sdk.generators.registry import make_settings

    paper, best = make_settings("hoi3dgen", "paper"), make_settings("hoi3dgen", "best")
    # stage 1: SANA 1.5 components, flow DPM-Solver shift 3, one generator seeded 0
    assert paper.sana.base == best.sana.base == "sana-1.5" and paper.sana.flow_shift == 3.0
    assert (paper.t2i_seed, paper.sana.seed_policy) == (0, "sequential") and best.t2i_seed is None
    # stage 2: Depth Anything V1-Large as an 8-bit PNG, FLUX seeded 42 for every view
    assert paper.depth.model == best.depth.model == "v1-large" and paper.depth.quantize_8bit
    assert paper.retexture_seed_policy == "fixed" and best.retexture_seed_policy == "per_view"
    # stage 5: orbit 8 yaws, pitch 0, FOV 40, 512 px, cameras at 2x the scene's extent
    o = paper.lift.orbit
    assert (o.views, o.pitch_deg, o.fov_deg, o.resolution, o.extent_distance) == (8, 0.0, 40.0, 512, 2.0)
    assert best.lift.orbit.pitch_deg == 15.0 and best.lift.orbit.extent_distance is None
    # masks tracked with SAM 2 video and eroded twice (once: the point cloud takes them as they are)
    assert (paper.segment.masks, paper.segment.erode_iterations, paper.lift.cloud_erode_iterations) == ("track", 2, 0)
    assert (best.segment.masks, best.segment.erode_iterations) == ("per_frame", 0)
    # stage 6: CameraHMR refaced among the 8 orbit views, no point-cloud fallback; registration as released
    assert (paper.regressor.refacing_views, paper.regressor.fallback) == (8, False)
    r = paper.lift.register
    assert (r.method, r.adam_lr, r.adam_iterations, r.target_points, r.chamfer_samples) == ("paper", 1e-2, 50, 5000, 5000)
    assert best.lift.register.method == "refine"


@pytest.mark.parametrize(("name", "preset", "words"), [
    ("compose", "paper", ["no preset 'paper'", "default"]),
    ("hoi3dgen", "fast", ["no preset 'fast'", "best", "paper"]),
    ("auto", None, ["unknown generator"]),
])
def test_make_settings_rejects_unknown_names(name, preset, words):
    from hoiexport.sdk.generators.registry import make_settings

    with pytest.raises(InputError) as exc:
        make_settings(name, preset)
    assert all(w in str(exc.value) for w in words)
