"""The paper's GPU generator, `--generator hoi3dgen` (DESIGN §7 stages 1–4, then the
lifting chain of `hoiexport.sdk.generators.lift` for 5–7).

Modules, in chain order:
- `protocols`: the stages' narrow protocols (images as numpy arrays).
- `runtime`: device, precision, offload, per-stage seconds and peak memory.
- `views`: the three views (front, left / right diagonal) and the prompts.
- `sana`, `sana_convert`: stage 1, SANA 1600M with the HOI3DGen fine-tune
  (SANA-native checkpoint keys converted to diffusers').
- `depth`, `retexture`: stage 2, Depth Anything → FLUX.1-Depth re-texturing.
- `matting`: stage 3, Grounding DINO + SAM 2 cut-out on white.
- `shape`, `texture`: stage 4, Hunyuan3D-2 shape (hy3dgen) and Hunyuan3D paint
  or the projection fall-back.
- `camerahmr_net`, `regressor`: stage 6's body estimate (CameraHMR).
- `chain`: the stages as data (`Hoi3dgenChain.run`), metric scale, the
  contact-verified choice among the lifted views.
- `generate`: building the chain from the lock's weights; `generate(prompt, seed)`.
"""
