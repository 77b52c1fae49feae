"""Exports the shipped models (samples/models/*.safetensors) to ONNX for bench's ONNX Runtime and
OpenCV dnn peers: each file's reference definition is rebuilt from its shapes and metadata
(shipped_fixtures.rebuild), kept in float32 and eval mode, and exported with torch.onnx.export
(the TorchScript exporter of Debian's torch; opset 13):
- CAN (fip-*): "input" N x 3 x H x W in [0, 1] -> "output" N x 3 x H x W, H and W dynamic.
- VDSR (vdsr-*): the RGB pipeline models.vdsr_upscale_rgb at the file's scale, "input"
  N x 3 x H x W -> "output" N x 3 x sH x sW, H and W dynamic.
- CRNN (crnn*): "input" N x 1 x 32 x W in [-1, 1] -> "logits" T x N x classes, N and W dynamic.

Argument 1: the output directory (created). Writes <name>.onnx for every model and
manifest.json: {"torch": version, "opset": 13, "models": {name: {"kind", "file", "input",
"output", "scale"?}}, "failed": {name: reason}}; a model that fails to export is listed under
"failed" rather than stopping the others. The files are megabytes (VDSR, CRNN) and are not
committed: bench exports them into a cache folder at bench time.

Run: /usr/bin/python3 tools/reference/export_onnx.py DIR
"""
import json
import os
import sys
import glob

import torch

sys.path.insert(0, os.path.dirname(__file__))
import models  # noqa: E402
from shipped_fixtures import ROOT, rebuild  # noqa: E402

OPSET = 13


class VdsrPipeline(torch.nn.Module):
    """The whole VDSR upscaling as one graph, so the peer does the work our Upscale does."""

    def __init__(self, network, scale):
        super().__init__()
        self.network, self.scale = network, scale

    def forward(self, rgb):
        return models.vdsr_upscale_rgb(self.network, rgb, self.scale)


def export(name, kind, meta, model, directory):
    path = os.path.join(directory, f"{name}.onnx")
    if kind == "can":
        module, example, output = model, torch.rand(1, 3, 32, 48), "output"
        axes = {"input": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch", 2: "height", 3: "width"}}
        entry = {}
    elif kind == "vdsr":
        scale = int(meta.get("scale", 2))
        module, example, output = VdsrPipeline(model, scale), torch.rand(1, 3, 24, 32), "output"
        axes = {"input": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch", 2: "height", 3: "width"}}
        entry = {"scale": scale}
    else:
        module, example, output = model, torch.rand(1, 1, 32, 100) * 2 - 1, "logits"
        axes = {"input": {0: "batch", 3: "width"}, "logits": {0: "steps", 1: "batch"}}
        entry = {}
    torch.onnx.export(module, example, path, input_names=["input"], output_names=[output], opset_version=OPSET,
                      dynamic_axes=axes, do_constant_folding=True)
    return {"kind": kind, "file": os.path.basename(path), "input": "input", "output": output, **entry}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export_onnx.py OUTPUT_DIRECTORY")
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    manifest = {"torch": torch.__version__, "opset": OPSET, "models": {}, "failed": {}}
    with torch.no_grad():
        for path in sorted(glob.glob(os.path.join(ROOT, "samples", "models", "*.safetensors"))):
            name = os.path.splitext(os.path.basename(path))[0]
            kind, meta, model = rebuild(path)
            try:
                manifest["models"][name] = export(name, kind, meta, model.float().eval(), directory)
            except Exception as error:  # noqa: BLE001 - one model's failure is reported, the others still export
                manifest["failed"][name] = f"{type(error).__name__}: {str(error).strip()[:300]}"
    # Written last and atomically: its presence means the exports beside it are complete.
    temporary = os.path.join(directory, "manifest.json.tmp")
    with open(temporary, "w") as stream:
        json.dump(manifest, stream, indent=1)
    os.replace(temporary, os.path.join(directory, "manifest.json"))
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
