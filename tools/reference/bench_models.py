"""PyTorch (and OpenCV dnn) peer for bench's model suite: whole networks on the CPU, batch 1
unless a case says otherwise.

Argument 1: a JSON list of cases; argument 2: threads. Cases:
- ["can24", H, W], ["can32", H, W]: the CAN (models.py) on a 1 x 3 x H x W image, inference
  with stored statistics. Six variants, the fastest counts: each of "eager" (the reference model
  as defined, eval mode: conv, BN, lambda*x + mu*BN(x), LeakyReLU), "folded" (models.fold_can:
  the adaptive norm folded into conv weights and bias) and "folded_traced" (the folded model
  through torch.jit.trace and torch.jit.freeze), in "nchw" and "channels_last".
- ["vdsr", H, W]: VDSR (18 middle layers) upscaling a 1 x 3 x H/2 x W/2 RGB image to H x W
  (H and W even): models.vdsr_upscale_rgb, i.e. BT.601 conversion, bicubic x2, the network on Y,
  back to RGB. Variants "nchw" and "channels_last" (the network's memory format).
- ["crnn", N, W]: CRNN (default widths) on N x 1 x 32 x W, eager, the logits then log_softmax and
  the per-step argmax (the greedy CTC path; collapsing it to strings is left out).
- ["can24_opencv", H, W]: the same CAN24 exported with torch.onnx.export and run by OpenCV's dnn
  module (its default backend, the CPU), as "onnx" (the eval-mode reference model) and
  "onnx_folded" (the folded one); the ONNX files go to a temporary directory. When export or
  loading fails the result is {"case": ..., "unavailable": "reason"} instead of figures.
- ["opencv_shipped", NAME, ONNX, N, H, W]: the shipped model samples/models/NAME.safetensors as
  export_onnx.py exported it to the file ONNX, run by OpenCV's dnn module on N x C x H x W
  (C = 3 for CAN and VDSR, whose H x W is the input's, 1 for CRNN), as "onnx". Checked first
  against the reference definition with the same weights (shipped_fixtures.rebuild) on a small
  input ("check_max_abs_diff", beside "check_max_abs", the reference output's largest magnitude);
  unavailable with the reason where OpenCV cannot import the file.

The CAN's weights are seeded random values (model_fixtures.randomize_can): the identity
initialisation makes many tensors equal, which torch.onnx.export then shares through Identity
nodes that OpenCV 4.6 cannot import. VDSR and CRNN keep PyTorch's default initialisation; the
values do not change the work.

On inputs of 256 rows or more every variant is first timed on a crop of the top H/8 rows (full
width) and extrapolated by rows; only the variants within three times the best such estimate of
processor time are then timed on the full input (see best_of), so a slow variant costs seconds,
not minutes, at 1080p. The reported "ms" is always a full measurement; a variant's figure from
its crop alone is flagged "estimated". Wall and processor time (all threads) are reported.

Prints one JSON object: {"results": [{"case": [...], "ms": best wall, "cpu_ms": its processor
time, "variant": the fastest, "variants": {name: {"ms": .., "cpu_ms": .., "estimated": bool}}}]};
"can24_opencv" results add "check_max_abs_diff", the largest difference from PyTorch's output
on a 1 x 3 x 64 x 64 image. Run by bench with OPENBLAS_CORETYPE unset,
GOMP_SPINCOUNT=0 and the thread count given.
"""
import copy
import os
import tempfile

import torch
import torch.nn.functional as F

import models
from model_fixtures import randomize_can
from peer_timing import best_ms_within, run_cases

# Timed calls of a full input, as many as bench's own side takes.
RUNS = 5
FORMATS = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}
CAN = {"can24": models.can24, "can32": models.can32}


def crop_estimate(run, x):
    """(wall ms, processor ms) of run(x) extrapolated by rows from a crop of H/8 rows at full
    width, or None below 256 rows, where full calls are cheap and a crop's timing mostly noise."""
    height = x.shape[2]
    if height < 256:
        return None
    rows = height // 8
    # clone keeps a channels_last crop channels_last (it is dense) and makes an NCHW one dense.
    crop = x[:, :, :rows].clone()
    wall, cpu = best_ms_within(lambda: run(crop), budget_s=1.0, runs=3)
    return wall * height / rows, cpu * height / rows


def best_of(case, variants):
    """variants: (name, run, x). Every variant is screened on a crop; those within three times
    the best estimate of processor time (all of them on inputs under 256 rows) are then timed on
    the full input, and the fastest full measurement wins. Processor time ranks better than wall
    time on a shared machine, where a short crop run's wall time mostly measures the neighbours.
    Crops only rank: the full input's estimates ran low here (up to ten times at 1080 x 512, its
    activations of 50 MB leaving the caches and being allocated afresh each call), so a reported
    winner is always measured."""
    estimates = {name: crop_estimate(run, x) for name, run, x in variants}
    known = [estimate[1] for estimate in estimates.values() if estimate is not None]
    cutoff = 3 * min(known) if known else float("inf")
    timings = {}
    for name, run, x in variants:
        estimate = estimates[name]
        if estimate is None or estimate[1] <= cutoff:
            # Several timed calls even when one takes seconds: the first calls of a shape carry
            # one-time costs (oneDNN primitive creation, the JIT's profiling run).
            wall, cpu = best_ms_within(lambda: run(x), budget_s=10.0, runs=RUNS)
            timings[name] = {"ms": wall, "cpu_ms": cpu, "estimated": False}
        else:
            timings[name] = {"ms": estimate[0], "cpu_ms": estimate[1], "estimated": True}
    measured = [name for name in timings if not timings[name]["estimated"]]
    winner = min(measured, key=lambda name: timings[name]["ms"])
    return {"case": case, "ms": timings[winner]["ms"], "cpu_ms": timings[winner]["cpu_ms"], "variant": winner,
            "variants": timings}


def random_can(name):
    model = CAN[name](identity_init=False)
    generator = torch.Generator().manual_seed(1)
    return randomize_can(model, generator, torch.rand(1, 3, 32, 32, generator=generator))


def can_variants(model, x):
    """The six CAN variants: (name, run, input in the variant's memory format)."""
    folded = models.fold_can(model)
    variants = []
    for kind in ["folded_traced", "folded", "eager"]:
        for fmt in ["channels_last", "nchw"]:
            xf = x.contiguous(memory_format=FORMATS[fmt])
            # Module.to converts in place, so each format gets its own copy.
            net = copy.deepcopy(model if kind == "eager" else folded).to(memory_format=FORMATS[fmt])
            if kind == "folded_traced":
                # Traced on a small input: the graph has no shape-dependent code, and the frozen
                # module's first call on each new shape is the warm-up best_ms_within discards.
                net = torch.jit.freeze(torch.jit.trace(net, xf[:, :, :16, :16]))
            variants.append((f"{kind}/{fmt}", net, xf))
    return variants


def measure_can(name, height, width):
    model = random_can(name)
    x = torch.rand(1, 3, height, width)
    return best_of([name, height, width], can_variants(model, x))


def measure_vdsr(height, width):
    if height % 2 or width % 2:
        raise ValueError(f"vdsr: the output size must be even (x2 of a half-size input), not {height}x{width}")
    model = models.Vdsr().eval()
    rgb = torch.rand(1, 3, height // 2, width // 2)
    variants = []
    for fmt in ["channels_last", "nchw"]:
        net = copy.deepcopy(model).to(memory_format=FORMATS[fmt])
        variants.append((fmt, lambda x, net=net: models.vdsr_upscale_rgb(net, x, 2), rgb))
    return best_of(["vdsr", height, width], variants)


def measure_crnn(batch, width):
    model = models.Crnn().eval()
    x = torch.rand(batch, 1, 32, width) * 2 - 1

    def run(images):
        return F.log_softmax(model(images), dim=-1).argmax(dim=-1)
    wall, cpu = best_ms_within(lambda: run(x), runs=10)
    return {"case": ["crnn", batch, width], "ms": wall, "cpu_ms": cpu, "variant": "eager",
            "variants": {"eager": {"ms": wall, "cpu_ms": cpu, "estimated": False}}}


def measure_can_opencv(height, width):
    case = ["can24_opencv", height, width]
    try:
        import cv2
    except ImportError as error:
        return {"case": case, "unavailable": f"cv2 cannot be imported: {error}"}
    cv2.setNumThreads(torch.get_num_threads())
    model = random_can("can24")
    x = torch.rand(1, 3, height, width)
    check = torch.rand(1, 3, 64, 64)
    variants, worst = [], 0.0
    with tempfile.TemporaryDirectory() as directory:
        for name, net in [("onnx_folded", models.fold_can(model)), ("onnx", model)]:
            path = os.path.join(directory, f"{name}.onnx")
            try:
                torch.onnx.export(net, check, path, input_names=["input"], output_names=["output"], opset_version=13,
                                  dynamic_axes={"input": {2: "height", 3: "width"}, "output": {2: "height", 3: "width"}})
                dnn = cv2.dnn.readNetFromONNX(path)
                worst = max(worst, float((torch.from_numpy(opencv_forward(dnn, check)) - model(check)).abs().max()))
            except Exception as error:  # noqa: BLE001 - any export or import failure means "unavailable"
                return {"case": case, "unavailable": f"{name}: {type(error).__name__}: {str(error).strip()[:300]}"}
            variants.append((name, lambda image, dnn=dnn: opencv_forward(dnn, image), x))
        result = best_of(case, variants)
    result["check_max_abs_diff"] = worst
    return result


def measure_opencv_shipped(name, onnx_path, batch, height, width):
    case = ["opencv_shipped", name, onnx_path, batch, height, width]
    try:
        import cv2
        from shipped_fixtures import ROOT, rebuild
    except ImportError as error:
        return {"case": case, "unavailable": f"cv2 cannot be imported: {error}"}
    cv2.setNumThreads(torch.get_num_threads())
    kind, _, model = rebuild(os.path.join(ROOT, "samples", "models", f"{name}.safetensors"))
    channels = 1 if kind == "crnn" else 3
    check = torch.rand(1, channels, 32, 100) * 2 - 1 if kind == "crnn" else torch.rand(1, channels, 24, 32)
    reference = model.float()(check) if kind != "vdsr" else models.vdsr_upscale_rgb(model.float(), check, 2)
    try:
        dnn = cv2.dnn.readNetFromONNX(onnx_path)
        worst = float((torch.from_numpy(opencv_forward(dnn, check)).reshape(reference.shape) - reference).abs().max())
    except Exception as error:  # noqa: BLE001 - any import or run failure means "unavailable"
        return {"case": case, "unavailable": f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"}
    x = torch.rand(batch, channels, height, width)
    result = best_of(case, [("onnx", lambda image: opencv_forward(dnn, image), x)])
    result["check_max_abs_diff"], result["check_max_abs"] = worst, float(reference.abs().max())
    return result


def opencv_forward(dnn, image):
    dnn.setInput(image.numpy())
    return dnn.forward()


def measure(name, *args):
    if name in CAN:
        return measure_can(name, *args)
    if name == "can24_opencv":
        return measure_can_opencv(*args)
    if name == "opencv_shipped":
        return measure_opencv_shipped(*args)
    if name == "vdsr":
        return measure_vdsr(*args)
    if name == "crnn":
        return measure_crnn(*args)
    raise ValueError(f"unknown case {name}")


if __name__ == "__main__":
    run_cases(measure)
