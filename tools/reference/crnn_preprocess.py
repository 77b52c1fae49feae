"""Reference fixture for CRNN's line preprocessing (Gpu.Tests/Fixtures/models/crnn_preprocess.safetensors).

The shipped CRNN was trained on lines prepared by OpenCV (tools/training/train_crnn.py,
`preprocess`): grayscale uint8, cv2.resize with INTER_LINEAR to height 32 keeping the aspect ratio,
narrower than 100 padded on the right by repeating the last column, wider squeezed to 100 x 32,
then x / 255 * 2 - 1. Gpu.Models.Crnn.CrnnInput does the same in float; OpenCV rounds the resized
uint8 pixels, so the two agree to about one grey level.

Tensors: "<case>/gray" (H x W uint8 as float32 in [0, 1]), "<case>/line" (32 x 100, OpenCV's
result). Cases: a wide line (squeezed), a narrow one (padded), a short one (upscaled).

Run: /usr/bin/python3 tools/reference/crnn_preprocess.py
"""
import os
import sys

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "training"))
import safetensors_io  # noqa: E402
from train_crnn import WIDTH, preprocess  # noqa: E402  (the fixture is what training did)

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Gpu.Tests", "Fixtures", "models", "crnn_preprocess.safetensors")


def main():
    rng = np.random.default_rng(20261206)
    tensors = {}
    for name, (h, w) in {"wide": (40, 173), "narrow": (48, 61), "short": (17, 29)}.items():
        # Smooth random strokes rather than white noise, so bilinear weights matter.
        gray = cv2.GaussianBlur(rng.integers(0, 256, (h, w), dtype=np.uint8), (5, 5), 1.5)
        tensors[f"{name}/gray"] = torch.from_numpy(gray.astype(np.float32) / 255)
        tensors[f"{name}/line"] = torch.from_numpy(preprocess(gray))
    safetensors_io.save(OUT, tensors, {"width": str(WIDTH), "range": "[-1,1]"})


if __name__ == "__main__":
    main()
