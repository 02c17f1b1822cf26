"""The annotation models (InternVL3 and Llama 3.1 Instruct, the real transformers
classes) with random weights, tiny (tests of `sdk.training` annotation) or full
size (their parameter counts on the meta device), and their lock entries on disk.

Tokenizers are trained here with `tokenizers` (byte-level BPE over `CORPUS`,
deterministic) and wrapped as `PreTrainedTokenizerFast` with each family's
special tokens and a chat template in its own format:

- InternVL (Qwen2 chat): `<|im_start|>role\\n...<|im_end|>`, one `<IMG_CONTEXT>`
  placeholder per image, and InternVL's named image tokens (`<img>`, `</img>`,
  `<IMG_CONTEXT>`, `<video>`) that the processor reads.
- Llama 3.1: `<|begin_of_text|><|start_header_id|>role<|end_header_id|>\\n\\n...<|eot_id|>`.

"full" sizes, public sources:

- InternVL3-8B-hf `config.json` (as stored for the -hf conversions of InternVL3;
  the 8B language model = Qwen2.5-7B): text hidden 3584, intermediate 18944, 28
  layers, 28 heads, 4 KV heads, vocab 151674, untied embeddings, rope θ 1e6 with
  dynamic scaling ×2 (7.94 B parameters in all: the "7.9B" of InternVL3's model table);
  vision InternViT-300M-448px: hidden 1024, 24 layers, 16 heads, intermediate 4096,
  448 px, patch 14, layer-scale 0.1; downsample ratio 0.5; image token id 151667.
- Llama-3.1-8B-Instruct `config.json`: hidden 4096, intermediate 14336, 32 layers,
  32 heads, 8 KV heads, vocab 128256, rope θ 5e5 with "llama3" scaling (factor 8,
  low 1, high 4, original 8192), 131072 positions, untied embeddings (8,030,261,248
  parameters).

`write_internvl3_8b_hf` / `write_llama_3_1_8b_instruct` write the two lock
entries tiny, with every file the lock lists (weights as 4 safetensors shards +
index, as both repositories ship them); `LOCK_WRITERS` maps entry names to them.

`LOCK_ENTRIES` are the two entries as they go into `third_party_models.lock`
(stage "annotation"); `annotation_lock()` is the repository lock with its pins
forgotten plus whichever of them it does not hold yet.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.models import UNRESOLVED, LockFile, ModelEntry, ModelFile
from hoiexport.sdk.training.backends.registry import ANNOTATION_STAGE

from tests.builders.sana import write_shards
from tests.builders.sizes import Size, building
from tests.builders.unpinned import unpinned_lock

if TYPE_CHECKING:
    import torch
    from transformers import InternVLForConditionalGeneration, LlamaForCausalLM, PreTrainedTokenizerFast

INTERNVL_ENTRY = "internvl3-8b-hf"
LLAMA_ENTRY = "llama-3-1-8b-instruct"

CORPUS: tuple[str, ...] = (
    "A person in a red top and blue trousers holding a brown suitcase in their right hand.",
    "A man carrying a wooden chair with both hands, kicking a ball with his left foot.",
    "Is this carry physically plausible? Answer yes or no.",
    '{"top": "red", "bottom": "navy blue", "hair": "black", "shoes": "white"}',
    '{"object_color": "grey", "object_material": "plastic"}',
    "What is the person doing with the box? Answer with the verb only.",
    "stand sit lean carry lift hold drag push pull kick lie yes no",
    "Write one short sentence that describes a picture for an image caption.",
)
"""Sentences the tiny tokenizers are trained on."""

QWEN_SPECIALS: tuple[str, ...] = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>",
                                  "<IMG_CONTEXT>", "<video>")
INTERNVL_IMAGE_TOKENS: dict[str, str] = {
    "start_image_token": "<img>",
    "end_image_token": "</img>",
    "context_image_token": "<IMG_CONTEXT>",
    "video_token": "<video>",
}
"""InternVL's named tokens, as the -hf tokenizer_config.json names them."""

INTERNVL_CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for content in message['content'] %}{% if content['type'] == 'image' %}{{ '<IMG_CONTEXT>\\n' }}"
    "{% elif content['type'] == 'video' %}{{ '<video>\\n' }}"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}"
    "{{'<|im_end|>\\n'}}{% endfor %}{% if add_generation_prompt %}{{'<|im_start|>assistant\\n' }}{% endif %}"
)
"""InternVL3-hf's processor chat template (Qwen2 turns, one `<IMG_CONTEXT>` line per image)."""

LLAMA_SPECIALS: tuple[str, ...] = ("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                   "<|end_header_id|>", "<|eot_id|>")
LLAMA_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
    " + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
"""Llama 3.1's turn format (without the release template's system date header)."""

TINY_IMAGE_SIZE = 56
"""Tiny InternVL's patch edge, pixels: 4 × 4 ViT patches of 14 px → 2 × 2 = 4 tokens per image."""


def train_bpe(specials: tuple[str, ...], vocab_size: int = 320) -> Any:
    """A byte-level BPE `tokenizers.Tokenizer` trained on `CORPUS` (deterministic),
    `specials` first in its vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(specials), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    return tok


def internvl_tokenizer() -> PreTrainedTokenizerFast:
    """InternVL's (Qwen2) tokenizer, tiny: trained BPE, its special and image tokens, chat template."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=train_bpe(QWEN_SPECIALS), eos_token="<|im_end|>", pad_token="<|endoftext|>",
        extra_special_tokens=dict(INTERNVL_IMAGE_TOKENS), chat_template=INTERNVL_CHAT_TEMPLATE,
        model_max_length=8192)


def llama_tokenizer() -> PreTrainedTokenizerFast:
    """Llama 3.1's tokenizer, tiny: trained BPE, its special tokens, chat template."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=train_bpe(LLAMA_SPECIALS), bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
        chat_template=LLAMA_CHAT_TEMPLATE, model_max_length=131072)


@dataclass(frozen=True)
class ChatSize:
    """Configuration of the two annotation models at one size.

    Attributes:
        internvl_text: Qwen2 text-config keyword arguments.
        internvl_vision: `InternVLVisionConfig` keyword arguments.
        internvl: `InternVLConfig` keyword arguments besides the two sub-configs.
        llama: `LlamaConfig` keyword arguments.
    """

    internvl_text: Mapping[str, Any]
    internvl_vision: Mapping[str, Any]
    internvl: Mapping[str, Any]
    llama: Mapping[str, Any]


SIZES: dict[Size, ChatSize] = {
    "tiny": ChatSize(
        internvl_text=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           num_key_value_heads=1, max_position_embeddings=512, rope_theta=1e6),
        internvl_vision=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                             image_size=[TINY_IMAGE_SIZE, TINY_IMAGE_SIZE], patch_size=[14, 14],
                             attention_bias=True),
        internvl=dict(image_seq_length=4, downsample_ratio=0.5, projector_hidden_act="gelu"),
        llama=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                   num_key_value_heads=1, max_position_embeddings=512, tie_word_embeddings=False),
    ),
    "full": ChatSize(
        internvl_text=dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                           num_key_value_heads=4, max_position_embeddings=32768, vocab_size=151674,
                           rope_theta=1e6, rope_scaling={"rope_type": "dynamic", "factor": 2.0},
                           rms_norm_eps=1e-6, bos_token_id=151643, eos_token_id=151645,
                           tie_word_embeddings=False),
        internvl_vision=dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                             image_size=[448, 448], patch_size=[14, 14], attention_bias=True,
                             layer_scale_init_value=0.1, norm_type="layer_norm"),
        internvl=dict(image_seq_length=256, downsample_ratio=0.5, projector_hidden_act="gelu",
                      image_token_id=151667, tie_word_embeddings=False),
        llama=dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                   num_key_value_heads=8, vocab_size=128256, max_position_embeddings=131072, rms_norm_eps=1e-5,
                   rope_theta=500000.0, tie_word_embeddings=False, bos_token_id=128000,
                   eos_token_id=[128001, 128008, 128009],
                   rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
    ),
}
"""The two annotation models at each size (full: see the module docstring)."""


def internvl_model(size: Size, *, seed: int = 0, device: str | torch.device = "cpu",
                   tokenizer: PreTrainedTokenizerFast | None = None) -> InternVLForConditionalGeneration:
    """`InternVLForConditionalGeneration` of `size`, float32 weights seeded by `seed`,
    created on `device` ("meta" allocates nothing), in eval mode. Tiny: vocabulary and
    image token id from `tokenizer` (default `internvl_tokenizer()`)."""
    import torch
    from transformers import InternVLConfig, InternVLForConditionalGeneration, InternVLVisionConfig, Qwen2Config

    spec = SIZES[size]
    text = dict(spec.internvl_text)
    extra = dict(spec.internvl)
    if size == "tiny":
        tok = tokenizer or internvl_tokenizer()
        text.update(vocab_size=len(tok), eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        extra["image_token_id"] = tok.convert_tokens_to_ids(INTERNVL_IMAGE_TOKENS["context_image_token"])
    config = InternVLConfig(text_config=Qwen2Config(**text).to_dict(),
                            vision_config=InternVLVisionConfig(**spec.internvl_vision).to_dict(), **extra)
    torch.manual_seed(seed)
    with building(device):
        return InternVLForConditionalGeneration(config).eval()


def llama_model(size: Size, *, seed: int = 0, device: str | torch.device = "cpu",
                tokenizer: PreTrainedTokenizerFast | None = None) -> LlamaForCausalLM:
    """`LlamaForCausalLM` of `size`, float32 weights seeded by `seed`, created on
    `device`, in eval mode. Tiny: vocabulary and special ids from `tokenizer`
    (default `llama_tokenizer()`)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    kwargs = dict(SIZES[size].llama)
    if size == "tiny":
        tok = tokenizer or llama_tokenizer()
        kwargs.update(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    torch.manual_seed(seed)
    with building(device):
        return LlamaForCausalLM(LlamaConfig(**kwargs)).eval()


def annotator_components(size: Size, *, device: str | torch.device = "cpu") -> dict[str, Any]:
    """Both annotation networks at `size` ("internvl", "llama")."""
    return {"internvl": internvl_model(size, device=device), "llama": llama_model(size, device=device)}


tiny_internvl = partial(internvl_model, "tiny")
tiny_llama = partial(llama_model, "tiny")


# ----------------------------------------------------------------------------- lock entries on disk

INTERNVL_PREPROCESSOR: Mapping[str, Any] = {
    "crop_to_patches": False,
    "do_convert_rgb": True,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.485, 0.456, 0.406],
    "image_processor_type": "GotOcr2ImageProcessor",
    "image_std": [0.229, 0.224, 0.225],
    "max_patches": 12,
    "min_patches": 1,
    "processor_class": "InternVLProcessor",
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {"height": 448, "width": 448},
}
"""InternVL3-hf's `preprocessor_config.json` keys (GotOcr2 image processor, 448 px
tiles up to 12, ImageNet mean / std); the tiny writer sets the tile size to 56."""


def _legacy_tokenizer_files(folder: Path, tok: Any, specials: tuple[str, ...],
                            special_map: Mapping[str, str], bpe_files: bool) -> None:
    """`special_tokens_map.json` and, for Qwen2-style repositories, `added_tokens.json`,
    `vocab.json` and `merges.txt`, as the real repositories carry them."""
    (folder / "special_tokens_map.json").write_text(json.dumps(dict(special_map), indent=2))
    if bpe_files:
        tok.model.save(str(folder))  # vocab.json + merges.txt
        (folder / "added_tokens.json").write_text(
            json.dumps({s: tok.token_to_id(s) for s in specials}, indent=2))


def write_internvl3_8b_hf(models_dir: Path) -> Path:
    """Lock entry `internvl3-8b-hf` (OpenGVLab/InternVL3-8B-hf), tiny: weights
    `internvl_model("tiny", seed=11)` in 4 shards + index, the trained tokenizer,
    its chat template (also as `chat_template.jinja`), `preprocessor_config.json`
    (56 px tiles), `processor_config.json` and `generation_config.json`.

    Returns:
        The entry's folder, `models_dir/internvl3-8b-hf`.
    """
    folder = Path(models_dir) / INTERNVL_ENTRY
    tokenizer = internvl_tokenizer()
    internvl_model("tiny", seed=11, tokenizer=tokenizer).save_pretrained(folder, safe_serialization=True)
    write_shards(folder, "model.safetensors", "model", "model.safetensors.index.json", 4)
    tokenizer.save_pretrained(folder, save_jinja_files=False)
    (folder / "chat_template.jinja").write_text(INTERNVL_CHAT_TEMPLATE)
    pre = {**INTERNVL_PREPROCESSOR, "size": {"height": TINY_IMAGE_SIZE, "width": TINY_IMAGE_SIZE}}
    (folder / "preprocessor_config.json").write_text(json.dumps(pre, indent=2))
    image_seq = SIZES["tiny"].internvl["image_seq_length"]
    (folder / "processor_config.json").write_text(
        json.dumps({"image_seq_length": image_seq, "processor_class": "InternVLProcessor"}, indent=2))
    _legacy_tokenizer_files(folder, train_bpe(QWEN_SPECIALS), QWEN_SPECIALS,
                            {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", **INTERNVL_IMAGE_TOKENS},
                            bpe_files=True)
    return folder


def write_llama_3_1_8b_instruct(models_dir: Path) -> Path:
    """Lock entry `llama-3-1-8b-instruct` (meta-llama/Llama-3.1-8B-Instruct), tiny:
    weights `llama_model("tiny", seed=12)` in 4 shards + index, the trained tokenizer
    with its chat template in `tokenizer_config.json`, `special_tokens_map.json`,
    `generation_config.json`.

    Returns:
        The entry's folder, `models_dir/llama-3-1-8b-instruct`.
    """
    folder = Path(models_dir) / LLAMA_ENTRY
    tokenizer = llama_tokenizer()
    llama_model("tiny", seed=12, tokenizer=tokenizer).save_pretrained(folder, safe_serialization=True)
    write_shards(folder, "model.safetensors", "model", "model.safetensors.index.json", 4)
    tokenizer.save_pretrained(folder, save_jinja_files=False)
    _legacy_tokenizer_files(folder, None, LLAMA_SPECIALS,
                            {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}, bpe_files=False)
    return folder


LOCK_WRITERS: dict[str, Callable[[Path], Path]] = {
    INTERNVL_ENTRY: write_internvl3_8b_hf,
    LLAMA_ENTRY: write_llama_3_1_8b_instruct,
}
"""Lock entry → the function that writes it tiny under a models dir."""


def _files(*paths: str) -> tuple[ModelFile, ...]:
    return tuple(ModelFile(p) for p in sorted(paths))


_SHARDS = tuple(f"model-0000{i}-of-00004.safetensors" for i in range(1, 5))

LOCK_ENTRIES: tuple[ModelEntry, ...] = (
    ModelEntry(
        name=INTERNVL_ENTRY,
        stage=ANNOTATION_STAGE,
        source="OpenGVLab/InternVL3-8B-hf",
        distribution="huggingface",
        revision=UNRESOLVED,
        resolved=False,
        licence="Qwen License Agreement (unverified: the -hf model card names licence 'qwen' and links "
                "Qwen2.5-72B-Instruct's LICENSE; the original OpenGVLab/InternVL3-8B card says Apache-2.0)",
        licence_url="https://huggingface.co/Qwen/Qwen2.5-72B-Instruct/blob/main/LICENSE",
        restrictions="Unverified: read the Qwen License Agreement linked from the model card before use; it "
                     "allows commercial use but requires a separate licence from Alibaba Cloud above 100 million "
                     "monthly active users, and attribution.",
        notes="InternVL3-8B in transformers' native format (InternVLForConditionalGeneration: InternViT-300M-448px "
              "+ Qwen2.5-7B; AutoTokenizer + GotOcr2 AutoImageProcessor; inputs assembled as InternVLProcessor "
              "does, see sdk/training/backends/internvl.py). The MLLM of the decomposed annotation (appearance "
              "JSON, constrained action choice, plausibility). Verified from stored copies of the repository's "
              "tree page: the repository, the 4 weight shards + model.safetensors.index.json, config.json, "
              "generation_config.json, chat_template.jinja, added_tokens.json, merges.txt, "
              "preprocessor_config.json, the head commit's short id 259a3b6 ('Update processor (#2)'). Seen in "
              "the sibling InternVL3-1B-hf / 2B-hf trees, not verified here: processor_config.json, "
              "special_tokens_map.json, tokenizer.json, tokenizer_config.json, vocab.json. Not verified (no Hub "
              "access): the full revision, sha256, sizes; run `hoiexport models fetch internvl3-8b-hf "
              "--update-lock` to pin them.",
        files=_files("added_tokens.json", "chat_template.jinja", "config.json", "generation_config.json",
                     "merges.txt", *_SHARDS, "model.safetensors.index.json", "preprocessor_config.json",
                     "processor_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
                     "vocab.json"),
    ),
    ModelEntry(
        name=LLAMA_ENTRY,
        stage=ANNOTATION_STAGE,
        source="meta-llama/Llama-3.1-8B-Instruct",
        distribution="huggingface",
        revision="0e9e39f249a16976918f6564b8830bc894c89659",
        resolved=True,
        licence="Llama 3.1 Community License Agreement",
        licence_url="https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/blob/main/LICENSE",
        restrictions="Gated: accept the licence on the model page and log in before fetching. Use must follow "
                     "Meta's Acceptable Use Policy; products built with it display 'Built with Llama'; services "
                     "above 700 million monthly active users need a licence from Meta.",
        notes="Llama 3.1 8B Instruct in transformers format (LlamaForCausalLM + the tokenizer with its chat "
              "template in tokenizer_config.json); composes the annotation captions. The revision is the "
              "repository commit that Hugging Face cache snapshots of meta-llama/Llama-3.1-8B-Instruct are "
              "named by in many public scripts; the files are the transformers-format ones (the original/ "
              "consolidated checkpoint is not fetched). Not verified (no Hub access): sha256 and sizes; run "
              "`hoiexport models fetch llama-3-1-8b-instruct --update-lock` to pin them.",
        files=_files("config.json", "generation_config.json", *_SHARDS, "model.safetensors.index.json",
                     "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"),
    ),
)
"""The two annotation models' `third_party_models.lock` entries."""


def annotation_lock() -> LockFile:
    """The repository lock, every pin forgotten (`unpinned_lock`), with the
    `LOCK_ENTRIES` it does not list yet appended."""
    from dataclasses import replace

    lock = unpinned_lock()
    missing = tuple(e for e in LOCK_ENTRIES if e.name not in lock.names)
    return replace(lock, models=lock.models + missing)
