"""Reference fixtures for the three networks (Gpu.Tests/Fixtures/models/).

Each case is two files:
- `<case>.safetensors`: the weights as a user saves them,
  safetensors_io.save(path, model.state_dict(), models.model_metadata(model)). The state_dict is
  kept whole, so BatchNorm's int64 `num_batches_tracked` entries are there (real files have them;
  the loader must skip them). The weights are seeded random values, not the identity
  initialisation, scaled so that activations stay of order 1 through the depth (see `calibrate`).
- `<case>.io.safetensors`: inputs and expected outputs. Tensors are named "<group>/<tensor>", one
  group per input; the metadata holds the case's parameters and, under each group's name, a JSON
  object describing that group.

Expected outputs are computed in float64 from the float32 weights and inputs (so they are the
exact result of the stored values, rounded once to float32); every group's metadata also gives
"float32_max_abs_diff", how far PyTorch's own float32 forward lands from them, as a yardstick for
the tolerance of a float32 implementation.

Metadata of every io file: "case" (the case name), "weights" (the weights file name), "torch"
(version), "groups" (JSON list of the group names in order), one key per group (JSON object).

CAN cases (can24: depth 9 width 24; can32: depth 10 width 32; can_param4: depth 5 width 12 with
4 input channels, RGB plus a constant operator-parameter plane per image).
  Case metadata: "depth", "width", "in_channels", "dilations" (comma-separated, the 3x3 layers),
  "norm_eps", "slope".
  Groups "odd" (1x C x 17x23), "batch2" (2 x C x 9x11), "pixel" (1 x C x 1x1); tensors:
  - "<g>/input"          N x C x H x W, float32, RGB in [0, 1] (can_param4: channel 3 is the
                         parameter, constant over each image).
  - "<g>/output_folded"  N x 3 x H x W: model.eval(), BN with the stored running statistics.
  - "<g>/output_batch"   N x 3 x H x W: BN normalising with the statistics of its own input, mean
                         and biased variance over N*H*W per channel (PyTorch training mode);
                         running statistics neither used nor changed. For "pixel" the variance is
                         0, so every BN there outputs its beta.
  Group metadata: {"shape": [N, C, H, W], "float32_max_abs_diff": {"folded": .., "batch": ..}}.

VDSR case (vdsr_m2: 2 middle layers, so 4 convolutions, which keeps the file at 0.3 MB; the
loader reads the depth from the weights). Case metadata: "middle", "scales" (JSON list).
  - "y/input" 1x1x13x17 luminance in [16/255, 235/255], "y/output" 1x1x13x17: the network alone.
  - Groups "rgb" (1x3x7x9) and "rgb_batch2" (2x3x5x6): "<g>/input" RGB in [0, 1];
    "<g>/ycbcr_x{s}" N x 3 x sH x sW, the bicubic-upscaled YCbCr the network's Y comes from
    (for locating a difference); "<g>/output_x{s}" N x 3 x sH x sW, models.vdsr_upscale_rgb
    (network on Y, bicubic CbCr, back to RGB, clamped to [0, 1]); s = 2, 3, 4.
  Group metadata: {"shape": [N, C, H, W], "float32_max_abs_diff": {output name: ..}}.

CRNN case (crnn_small: widths 8,16,32,32,64,64,64, hidden 32, 37 classes, BN in eval mode with
the stored statistics). Case metadata: "widths" (JSON list), "hidden", "classes", "alphabet",
"blank" (0; class k >= 1 is alphabet[k-1]).
  Groups "w100" (1x1x32x100, T = 26), "w37" (1x1x32x37, T = 10), "batch2_w48" (2x1x32x48, T = 13);
  - "<g>/input"      N x 1 x 32 x W, float32 in [-1, 1] (crnn.pytorch's normalisation), random
                     blobs plus noise (see text_like).
  - "<g>/logits"     T x N x 37, the model's output.
  - "<g>/log_probs"  T x N x 37, log_softmax over the classes.
  - "<g>/best_path"  T x N int64, the argmax class per step.
  Group metadata: {"shape", "steps": T, "decoded": [one string per image: greedy CTC, collapse
  repeats then drop blanks], "min_margin": the smallest top-1 minus top-2 logit over all steps and
  images (an implementation whose logits are off by less than half of it decodes the same
  string), "blank_steps", "float32_max_abs_diff": {"logits": .., "log_probs": ..}}.

parameter_counts.json: models.parameter_count of the full-size can24, can32, vdsr (middle 18)
and crnn (defaults), learned parameters only.

Run: /usr/bin/python3 tools/reference/model_fixtures.py (a few seconds; single-threaded so the
files are identical on every run).
"""
import copy
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import models  # noqa: E402
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Gpu.Tests", "Fixtures", "models")

# LeakyReLU(0.2) keeps a fraction (1 + 0.2^2)/2 of the second moment, ReLU one half: weights of
# variance gain^2/fan_in keep it constant through the depth (He et al. 2015).
LEAKY_GAIN = (2 / (1 + models.CAN_SLOPE ** 2)) ** 0.5
RELU_GAIN = 2 ** 0.5

CRNN_WIDTHS, CRNN_HIDDEN = (8, 16, 32, 32, 64, 64, 64), 32


def uniform(generator, *shape, low=-1.0, high=1.0):
    """Seeded uniform values; drawn in float64 so the stream does not depend on float32 rounding."""
    return (torch.rand(*shape, generator=generator, dtype=torch.float64) * (high - low) + low).float()


def signed(generator, *shape, low, high):
    """Magnitudes uniform in [low, high] with random signs."""
    sign = torch.where(uniform(generator, *shape) < 0, -1.0, 1.0)
    return sign * uniform(generator, *shape, low=low, high=high)


def random_weight(generator, shape, gain):
    """Uniform weights of variance gain^2 / fan_in (a uniform [-a, a] has variance a^2 / 3)."""
    fan_in = shape[1] * shape[2] * shape[3] if len(shape) == 4 else shape[1]
    return uniform(generator, *shape) * gain * (3 / fan_in) ** 0.5


def calibrate(generator, bn, z):
    """Random BN parameters with running statistics near those of z (as training would leave
    them, each mean moved by up to 0.2 standard deviations and each variance scaled by 0.6..1.6),
    so that folded and batch mode both keep z of order 1."""
    c = z.shape[1]
    mean, var = z.mean(dim=(0, 2, 3)), z.var(dim=(0, 2, 3), unbiased=False)
    bn.weight.copy_(signed(generator, c, low=0.5, high=1.5))
    bn.bias.copy_(uniform(generator, c, low=-0.5, high=0.5))
    bn.running_mean.copy_(mean + 0.2 * var.sqrt() * uniform(generator, c))
    bn.running_var.copy_(var * uniform(generator, c, low=0.6, high=1.6) + 1e-2)


def randomize_can(model, generator, calibration):
    """Random conv weights, BN parameters and statistics, and per layer lambda and mu (drawn in
    [0.3, 1.2] and of magnitude [0.3, 1.2], then scaled together), calibrated layer by layer on
    the calibration input."""
    x = calibration
    with torch.no_grad():
        for layer in model.layers:
            layer.conv.weight.copy_(random_weight(generator, layer.conv.weight.shape, LEAKY_GAIN))
            z = layer.conv(x)
            calibrate(generator, layer.norm.bn, z)
            layer.norm.lam.fill_(uniform(generator, 1, low=0.3, high=1.2).item())
            layer.norm.mu.fill_(signed(generator, 1, low=0.3, high=1.2).item())
            # Scale lambda and mu together to an output of second moment 1: z itself shrinks
            # where a dilation reaches mostly padding, and a fixed target stops that decay.
            layer.eval()
            ratio = layer.norm(z).pow(2).mean().rsqrt()
            layer.norm.lam.mul_(ratio)
            layer.norm.mu.mul_(ratio)
            x = layer(x)
        model.output.weight.copy_(random_weight(generator, model.output.weight.shape, 1.0))
        model.output.bias.copy_(uniform(generator, model.output.bias.shape[0], low=-0.5, high=0.5))
    return model.eval()


def can_batch_mode(model, x):
    """The CAN with every BN normalising by the statistics of its own input (biased variance),
    as PyTorch's training mode does, without reading or updating the running statistics. Called
    through torch.batch_norm because F.batch_norm refuses a single value per channel (the 1x1
    image), which the definition handles: the variance is 0 and BN gives beta."""
    for layer in model.layers:
        z = layer.conv(x)
        bn = layer.norm.bn
        normalised = torch.batch_norm(z, bn.weight, bn.bias, None, None, True, 0.0, bn.eps, False)
        x = F.leaky_relu(layer.norm.lam * z + layer.norm.mu * normalised, models.CAN_SLOPE)
    return model.output(x)


def max_diff(a, b):
    return float(f"{(a.double() - b.double()).abs().max().item():.1e}")


def can_case(name, model, generator):
    c = model.layers[0].conv.in_channels
    calibration = uniform(generator, 2, c, 24, 24, low=0.0, high=1.0)
    randomize_can(model, generator, calibration)
    weights = copy.deepcopy(model.state_dict())
    double = copy.deepcopy(model).double()
    tensors, meta = {}, {}
    for group, (n, h, w) in {"odd": (1, 17, 23), "batch2": (2, 9, 11), "pixel": (1, 1, 1)}.items():
        x = uniform(generator, n, c, h, w, low=0.0, high=1.0)
        if c == 4:
            x[:, 3] = uniform(generator, n, low=0.0, high=1.0).view(n, 1, 1)
        folded = double(x.double())
        batch = can_batch_mode(double, x.double())
        if h * w > 1:
            # The functional batch mode is PyTorch's training mode (checked on a throwaway copy).
            training = copy.deepcopy(double).train()(x.double())
            assert torch.allclose(training, batch, rtol=0, atol=1e-12), name
        assert torch.allclose(models.fold_can(double)(x.double()), folded, rtol=0, atol=1e-10), name
        tensors.update({f"{group}/input": x, f"{group}/output_folded": folded.float(), f"{group}/output_batch": batch.float()})
        meta[group] = json.dumps({"shape": [n, c, h, w], "float32_max_abs_diff": {
            "folded": max_diff(model(x), folded), "batch": max_diff(can_batch_mode(model, x), batch)}})
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items()), "running statistics changed"
    layer = model.layers[0].norm.bn
    meta.update({"groups": json.dumps(list(meta.keys())), "depth": len(model.dilations) + 1,
                 "width": model.layers[0].conv.out_channels, "in_channels": c,
                 "dilations": ",".join(map(str, model.dilations)), "norm_eps": layer.eps, "slope": models.CAN_SLOPE})
    return weights, tensors, meta


def randomize_vdsr(model, generator, calibration):
    """He-scaled random convolutions; the last one scaled down so the residual (about 0.1) adds
    detail to the bicubic luminance rather than drowning it, which keeps the final clamp to
    [0, 1] from flattening the expected RGB."""
    with torch.no_grad():
        for conv in [model.input, *(block.conv for block in model.residual_layer)]:
            conv.weight.copy_(random_weight(generator, conv.weight.shape, RELU_GAIN))
        model.output.weight.copy_(random_weight(generator, model.output.weight.shape, 1.0))
        residual = model(calibration) - calibration
        model.output.weight.mul_(0.1 / residual.pow(2).mean().sqrt())
    return model.eval()


def vdsr_case(name, model, generator):
    calibration = uniform(generator, 1, 1, 24, 24, low=16 / 255, high=235 / 255)
    randomize_vdsr(model, generator, calibration)
    double = copy.deepcopy(model).double()
    tensors, meta = {}, {}
    y = uniform(generator, 1, 1, 13, 17, low=16 / 255, high=235 / 255)
    expected = double(y.double())
    tensors.update({"y/input": y, "y/output": expected.float()})
    meta["y"] = json.dumps({"shape": list(y.shape), "float32_max_abs_diff": {"output": max_diff(model(y), expected)}})
    for group, (n, h, w) in {"rgb": (1, 7, 9), "rgb_batch2": (2, 5, 6)}.items():
        rgb = uniform(generator, n, 3, h, w, low=0.0, high=1.0)
        tensors[f"{group}/input"] = rgb
        diffs = {}
        for s in (2, 3, 4):
            ycbcr = models.bicubic(models.rgb_to_ycbcr(rgb.double()), h * s, w * s)
            expected = models.vdsr_upscale_rgb(double, rgb.double(), s)
            tensors[f"{group}/ycbcr_x{s}"] = ycbcr.float()
            tensors[f"{group}/output_x{s}"] = expected.float()
            diffs[f"output_x{s}"] = max_diff(models.vdsr_upscale_rgb(model, rgb, s), expected)
        meta[group] = json.dumps({"shape": [n, 3, h, w], "float32_max_abs_diff": diffs})
    meta.update({"groups": json.dumps(["y", "rgb", "rgb_batch2"]), "middle": len(model.residual_layer),
                 "scales": json.dumps([2, 3, 4])})
    return copy.deepcopy(model.state_dict()), tensors, meta


def randomize_crnn(model, generator, calibration):
    """Random convolutions (He-scaled, small biases) with BN calibrated on the calibration input,
    random LSTM and Linear weights of variance 1/fan_in (embeddings 2/fan_in so the second
    LSTM's gates are not all near 0.5), the last Linear scaled to logits of standard deviation 3
    and the blank's bias set so that the blank wins about a third of the steps: the decoded
    strings then have blanks to drop and repeats to collapse."""
    with torch.no_grad():
        x = calibration
        for module in model.cnn:
            if isinstance(module, torch.nn.Conv2d):
                module.weight.copy_(random_weight(generator, module.weight.shape, RELU_GAIN))
                module.bias.copy_(uniform(generator, module.bias.shape[0], low=-0.1, high=0.1))
            elif isinstance(module, torch.nn.BatchNorm2d):
                calibrate(generator, module, x)
                module.eval()
            x = module(x)
        for block in model.rnn:
            for weight_name, weight in block.rnn.named_parameters():
                fan_in = weight.shape[1] if weight.dim() == 2 else block.rnn.hidden_size
                weight.copy_(uniform(generator, *weight.shape) * (3 / fan_in) ** 0.5)
            linear = block.embedding
            linear.weight.copy_(uniform(generator, *linear.weight.shape) * (6 / linear.in_features) ** 0.5)
            linear.bias.copy_(uniform(generator, linear.out_features, low=-0.1, high=0.1))
        logits = model(calibration)
        model.rnn[1].embedding.weight.mul_(3 / logits.std())
        model.rnn[1].embedding.bias.mul_(3 / logits.std())
        logits = model(calibration)
        others = logits[..., 1:].max(dim=-1).values - logits[..., 0]
        model.rnn[1].embedding.bias[0] += torch.quantile(others.flatten(), 1 / 3)
    return model.eval()


def text_like(generator, n, width):
    """CRNN inputs in [-1, 1]: coarse random blobs (8 rows, one column per 4 pixels) upscaled,
    plus fine noise. Plain noise averages out in the conv stack and leaves the decode mostly
    blank; blobs give features that vary along the width, as strokes do."""
    coarse = uniform(generator, n, 1, 8, (width + 3) // 4)
    strokes = F.interpolate(coarse, size=(32, width), mode="bilinear", align_corners=False)
    return (strokes + 0.3 * uniform(generator, n, 1, 32, width)).clamp(-1, 1)


def greedy_decode(best_path):
    """CTC greedy decoding of one T-step path: collapse repeats, drop blanks (class 0)."""
    labels, previous = [], 0
    for k in best_path.tolist():
        if k != previous and k != 0:
            labels.append(models.CRNN_ALPHABET[k - 1])
        previous = k
    return "".join(labels)


def crnn_case(name, model, generator):
    calibration = text_like(generator, 2, 100)
    randomize_crnn(model, generator, calibration)
    double = copy.deepcopy(model).double()
    tensors, meta = {}, {}
    for group, (n, w) in {"w100": (1, 100), "w37": (1, 37), "batch2_w48": (2, 48)}.items():
        x = text_like(generator, n, w)
        logits = double(x.double())
        log_probs = F.log_softmax(logits, dim=-1)
        best_path = logits.argmax(dim=-1)
        top2 = logits.topk(2, dim=-1).values
        tensors.update({f"{group}/input": x, f"{group}/logits": logits.float(), f"{group}/log_probs": log_probs.float(),
                        f"{group}/best_path": best_path})
        single = model(x)
        meta[group] = json.dumps({
            "shape": [n, 1, 32, w], "steps": logits.shape[0],
            "decoded": [greedy_decode(best_path[:, i]) for i in range(n)],
            "min_margin": round((top2[..., 0] - top2[..., 1]).min().item(), 6),
            "blank_steps": int((best_path == 0).sum().item()),
            "float32_max_abs_diff": {"logits": max_diff(single, logits),
                                     "log_probs": max_diff(F.log_softmax(single, dim=-1), log_probs)}})
    meta.update({"groups": json.dumps(["w100", "w37", "batch2_w48"]), "widths": json.dumps(list(CRNN_WIDTHS)),
                 "hidden": CRNN_HIDDEN, "classes": model.rnn[1].embedding.out_features,
                 "alphabet": models.CRNN_ALPHABET, "blank": 0})
    return copy.deepcopy(model.state_dict()), tensors, meta


CASES = [
    ("can24", can_case, lambda: models.can24(identity_init=False), 101),
    ("can32", can_case, lambda: models.can32(identity_init=False), 102),
    ("can_param4", can_case, lambda: models.Can(depth=5, width=12, in_channels=4, identity_init=False), 103),
    ("vdsr_m2", vdsr_case, lambda: models.Vdsr(middle=2), 104),
    ("crnn_small", crnn_case, lambda: models.Crnn(classes=37, hidden=CRNN_HIDDEN, widths=CRNN_WIDTHS), 105),
]


def main():
    # One thread: the float64 sums then run in one order, so every run writes the same bytes.
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for name, make_case, make_model, seed in CASES:
        generator = torch.Generator().manual_seed(seed)
        model = make_model()
        with torch.no_grad():
            weights, tensors, meta = make_case(name, model, generator)
        safetensors_io.save(os.path.join(OUT, f"{name}.safetensors"), weights, models.model_metadata(model))
        meta.update({"case": name, "weights": f"{name}.safetensors", "torch": torch.__version__})
        safetensors_io.save(os.path.join(OUT, f"{name}.io.safetensors"), tensors, meta)
        print(f"{name}: {len(weights)} weight tensors, {len(tensors)} io tensors")
    counts = {name: models.parameter_count(make()) for name, make in
              [("can24", models.can24), ("can32", models.can32), ("vdsr", models.Vdsr), ("crnn", models.Crnn)]}
    with open(os.path.join(OUT, "parameter_counts.json"), "w") as stream:
        json.dump(counts, stream, indent=2)
        stream.write("\n")


if __name__ == "__main__":
    main()
