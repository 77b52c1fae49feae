"""PyTorch's outputs of the shipped models (samples/models) on crops of the shipped samples, for the
C# parity test of the trained files (Gpu.Tests/Fixtures/models/shipped.io.safetensors).

For every samples/models/*.safetensors the reference definition is rebuilt from the file's shapes
and metadata, the weights loaded with load_state_dict(strict=True), and run in eval mode:
- CAN (fip-*): "<name>/input" a 1x3x40x56 crop of samples/images/chelsea.png in [0, 1] and
  "<name>/output" the network's output (folded norms: eval mode uses the stored statistics).
- VDSR (vdsr-*): "<name>/input" a 1x3x24x32 crop of coffee.png, "<name>/output_x2" the RGB pipeline
  models.vdsr_upscale_rgb at x2.
- CRNN (crnn*): "<name>/input" the first samples/images/text line prepared as in training
  (1x1x32x100), "<name>/logits" T x 1 x classes; metadata "<name>/text": the greedy decoding.
Values are computed in float64 from the float32 weights. Metadata "models": JSON list of the names.

Run: /usr/bin/python3 tools/reference/shipped_fixtures.py
"""
import glob
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import models  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "Gpu.Tests", "Fixtures", "models", "shipped.io.safetensors")


def read_header(path):
    with open(path, "rb") as stream:
        length = int.from_bytes(stream.read(8), "little")
        return json.loads(stream.read(length))


def rebuild(path):
    """The reference module a shipped file's shapes and metadata describe, with its weights."""
    header = read_header(path)
    meta = header.get("__metadata__", {})
    state = {k: torch.from_numpy(np.array(v)) for k, v in safetensors_io.load(path).items()}
    kind = meta["architecture"]
    if kind == "can":
        depth = sum(1 for k in state if k.endswith(".conv.weight")) + 1
        width, channels = state["layers.0.conv.weight"].shape[:2]
        model = models.Can(depth=depth, width=width, in_channels=channels, identity_init=False)
    elif kind == "vdsr":
        model = models.Vdsr(middle=sum(1 for k in state if k.startswith("residual_layer.")))
    else:
        widths = tuple(state[f"cnn.conv{i}.weight"].shape[0] for i in range(7))
        model = models.Crnn(classes=state["rnn.1.embedding.weight"].shape[0], hidden=state["rnn.0.rnn.weight_hh_l0"].shape[1], widths=widths)
    model.load_state_dict(state, strict=True)
    return kind, meta, model.double().eval()


def image(name, top, left, height, width):
    array = np.asarray(Image.open(os.path.join(ROOT, "samples", "images", name)).convert("RGB"), dtype=np.float32) / 255
    crop = array[top:top + height, left:left + width]
    return torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)))[None]


def text_line(meta):
    import cv2
    lines = json.load(open(os.path.join(ROOT, "samples", "images", "text", "lines.json")))["lines"]
    gray = np.asarray(Image.open(os.path.join(ROOT, "samples", "images", "text", lines[0]["file"])).convert("L"))
    height, width = 32, int(meta.get("input_width", 100))
    new_w = max(1, round(gray.shape[1] * height / gray.shape[0]))
    if new_w <= width:
        resized = np.pad(cv2.resize(gray, (new_w, height), interpolation=cv2.INTER_LINEAR), ((0, 0), (0, width - new_w)), mode="edge")
    else:
        resized = cv2.resize(gray, (width, height), interpolation=cv2.INTER_LINEAR)
    return torch.from_numpy(resized.astype(np.float32) / 255 * 2 - 1)[None, None]


def main():
    tensors, metadata, names = {}, {}, []
    with torch.no_grad():
        for path in sorted(glob.glob(os.path.join(ROOT, "samples", "models", "*.safetensors"))):
            name = os.path.splitext(os.path.basename(path))[0]
            kind, meta, model = rebuild(path)
            names.append(name)
            if kind == "can":
                x = image("chelsea.png", 100, 150, 40, 56)
                tensors[f"{name}/input"], tensors[f"{name}/output"] = x, model(x.double()).float()
            elif kind == "vdsr":
                x = image("coffee.png", 60, 80, 24, 32)
                tensors[f"{name}/input"] = x
                tensors[f"{name}/output_x2"] = models.vdsr_upscale_rgb(model, x.double(), 2).float()
            else:
                x = text_line(meta)
                logits = model(x.double())
                tensors[f"{name}/input"], tensors[f"{name}/logits"] = x, logits.float()
                best = logits.argmax(2)[:, 0].tolist()
                labels = [c for i, c in enumerate(best) if c != 0 and (i == 0 or c != best[i - 1])]
                metadata[f"{name}/text"] = "".join(meta.get("alphabet", models.CRNN_ALPHABET)[c - 1] for c in labels)
    metadata["models"] = json.dumps(names)
    safetensors_io.save(OUT, tensors, metadata)
    print(f"{OUT}: {', '.join(names)}")


if __name__ == "__main__":
    main()
