"""Shared helpers of the training scripts: offline images from skimage.data, the fixed held-out split,
seeding, wall-clock budgets, checkpoints, metrics and model-card writing.

Every input ships in Debian packages (python3-skimage's bundled images, fonts-dejavu,
fonts-liberation); nothing is downloaded.
"""
import json
import os
import random
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))

import models  # noqa: E402
import safetensors_io  # noqa: E402

MODELS_DIR = os.path.join(ROOT, "samples", "models")
IMAGES_DIR = os.path.join(ROOT, "samples", "images")
PICTURES_DIR = os.path.join(ROOT, "samples", "pictures")
CHECKPOINTS_DIR = os.environ.get("GPUC_CHECKPOINTS", os.path.join(HERE, "checkpoints"))

# Colour natural photographs that python3-skimage ships inside the package (they load offline).
# skimage.data.cat is the same photograph as chelsea, so it is not used at all; colorwheel and logo
# are synthetic and left out; stereo_motorcycle gives its left and right views (one scene).
TRAIN_IMAGES = ["astronaut", "rocket", "immunohistochemistry", "hubble_deep_field", "retina",
                "motorcycle_left", "motorcycle_right"]
HELD_OUT_IMAGES = ["chelsea", "coffee"]


def load_image(name):
    """RGB uint8 H x W x 3."""
    from skimage import data
    if name.startswith("motorcycle_"):
        left, right, _ = data.stereo_motorcycle()
        return np.ascontiguousarray(left if name.endswith("left") else right)
    return np.ascontiguousarray(getattr(data, name)()[..., :3])


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def setup_threads(threads=2):
    torch.set_num_threads(threads)
    try:
        import cv2
        cv2.setNumThreads(threads)
    except ImportError:
        pass


class Budget:
    """Training-loop wall-clock budget, carried across resumes (elapsed is stored in checkpoints)."""

    def __init__(self, minutes, elapsed=0.0):
        self.limit = minutes * 60.0
        self.before = elapsed
        self.start = time.time()

    @property
    def elapsed(self):
        return self.before + time.time() - self.start

    def fraction(self):
        return min(1.0, self.elapsed / self.limit) if self.limit > 0 else 1.0

    def done(self):
        return self.elapsed >= self.limit


def cosine_lr(base, fraction, floor=0.02):
    """Cosine decay over the wall-clock budget from base to floor*base."""
    import math
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * fraction)))


def checkpoint_path(name):
    os.makedirs(CHECKPOINTS_DIR, exist_ok=True)
    return os.path.join(CHECKPOINTS_DIR, f"{name}.pt")


def save_checkpoint(name, model, optimizer, step, elapsed, extra=None):
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
             "elapsed": elapsed, "rng_torch": torch.get_rng_state(), "rng_numpy": np.random.get_state(),
             "rng_python": random.getstate(), "extra": extra or {}}
    path = checkpoint_path(name)
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def load_checkpoint(name, model, optimizer):
    """Returns (step, elapsed, extra) or None when there is no checkpoint."""
    path = checkpoint_path(name)
    if not os.path.exists(path):
        return None
    state = torch.load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng_torch"])
    np.random.set_state(state["rng_numpy"])
    random.setstate(state["rng_python"])
    return state["step"], state["elapsed"], state["extra"]


def recalibrate_bn(model, batches):
    """Recompute every BatchNorm's running statistics as the plain average over `batches` (an
    iterable of inputs), in train mode without gradients; the short runs' momentum would otherwise
    leave them near their initial values."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    saved = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    with torch.no_grad():
        for x in batches:
            model(x)
    for bn, m in zip(bns, saved):
        bn.momentum = m
    model.eval()


def psnr(a, b, data_range=1.0):
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(data_range ** 2 / mse)


def save_model(path, model, **extra):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    safetensors_io.save(path, model.state_dict(), models.model_metadata(model, **extra))


def write_card(basename, card, markdown):
    """samples/models/<basename>.json and .md."""
    os.makedirs(MODELS_DIR, exist_ok=True)
    with open(os.path.join(MODELS_DIR, basename + ".json"), "w") as stream:
        json.dump(card, stream, indent=2)
        stream.write("\n")
    with open(os.path.join(MODELS_DIR, basename + ".md"), "w") as stream:
        stream.write(markdown)


def machine_line():
    import platform
    return f"{os.cpu_count()} logical CPU(s), {platform.machine()}, torch {torch.__version__}, threads {torch.get_num_threads()}"


def set_lr(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)
