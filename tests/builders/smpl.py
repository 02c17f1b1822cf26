"""A synthetic SMPL model file (the real keys, shapes and types; random values) and
the lock entry "smpl" written with it, as a user's licensed folder holds it."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import scipy.sparse

from hoiexport.sdk.core.skeleton import SMPL_PARENTS

N_VERTS, N_FACES = 6890, 13776


def synthetic_smpl(seed: int = 0) -> dict:
    """A dict with the keys, shapes and types of an SMPL model file (values random but sane)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([-0.4, -1.1, -0.1], [0.4, 0.5, 0.1], size=(24, 3))
    v_template = centres[rng.integers(0, 24, N_VERTS)] + rng.normal(0, 0.03, (N_VERTS, 3))
    dist = np.linalg.norm(v_template[:, None] - centres[None], axis=2)
    weights = np.exp(-dist / 0.05)
    weights[weights < 1e-4 * weights.max(axis=1, keepdims=True)] = 0
    weights /= weights.sum(axis=1, keepdims=True)
    rows = np.repeat(np.arange(24), 12)
    cols = np.argsort(dist, axis=0)[:12].T.reshape(-1)
    j_regressor = scipy.sparse.csc_matrix((np.full(rows.size, 1 / 12), (rows, cols)), shape=(24, N_VERTS))
    first = rng.integers(0, N_VERTS, N_FACES)
    step1 = rng.integers(1, N_VERTS // 2, N_FACES)
    step2 = step1 + rng.integers(1, N_VERTS // 2, N_FACES)
    faces = (np.stack([first, first + step1, first + step2], axis=1) % N_VERTS).astype(np.uint32)
    kintree = np.stack([SMPL_PARENTS.astype(np.int64), np.arange(24)])
    kintree[0, 0] = 4294967295  # as stored in the original files
    return {
        "v_template": v_template,
        "f": faces,
        "shapedirs": rng.normal(0, 0.01, (N_VERTS, 3, 10)),
        "posedirs": rng.normal(0, 0.002, (N_VERTS, 3, 207)),
        "J_regressor": j_regressor,
        "weights": weights,
        "kintree_table": kintree,
        "bs_style": "lbs",
        "bs_type": "lrotmin",
        "pose_training_info": {"num_subjects": 7},
    }


def write_smpl(models_dir: Path, *, seed: int = 0) -> Path:
    """Lock entry "smpl" in the layout the user supplies: `<models_dir>/smpl/SMPL_NEUTRAL.pkl`,
    a protocol-2 pickle of `synthetic_smpl(seed)` (the layout of "SMPL for Python"
    v1.1.0's neutral model, renamed as the lock's notes say).

    Returns:
        The entry's folder, `models_dir/smpl`.
    """
    folder = Path(models_dir) / "smpl"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "SMPL_NEUTRAL.pkl", "wb") as f:
        pickle.dump(synthetic_smpl(seed), f, protocol=2)
    return folder
