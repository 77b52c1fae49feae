"""Reference fixtures for the image ops (Gpu.Tests/Fixtures/image/*.safetensors).

Each file holds several cases; a case's tensors are named "<case>/<tensor>" and its geometry is a
JSON object in the metadata under the case name. Shapes are chosen to hit the edges: sizes that
are no multiple of any tile, 1x1 images, dilation larger than the image, batch > 1, channels
1/3/24/64, per-side padding, stride 2. Values are seeded, so re-running reproduces the files.

Run: /usr/bin/python3 tools/reference/image_ops.py
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Gpu.Tests", "Fixtures", "image")


def uniform(generator, *shape, scale=1.0):
    return (torch.rand(*shape, generator=generator, dtype=torch.float64) * 2 - 1).float() * scale


def activation(x, kind, slope):
    if kind == "relu":
        return F.relu(x)
    if kind == "leaky":
        return F.leaky_relu(x, slope)
    return x


def conv_cases():
    # name, n, c, h, w, o, kh, kw, stride, dilation, (top, bottom, left, right), bias, affine, activation, slope, residual
    specs = [
        ("c3_d1_batch2", 2, 3, 7, 9, 24, 3, 3, 1, 1, (1, 1, 1, 1), True, True, "leaky", 0.2, True),
        ("c24_d4", 1, 24, 11, 13, 24, 3, 3, 1, 4, (4, 4, 4, 4), False, True, "leaky", 0.2, False),
        ("c24_dilation_beyond_image", 1, 24, 5, 6, 24, 3, 3, 1, 16, (16, 16, 16, 16), False, True, "leaky", 0.2, False),
        ("c24_to3_1x1", 1, 24, 9, 7, 3, 1, 1, 1, 1, (0, 0, 0, 0), True, False, "none", 0.0, False),
        ("c64_2x2_valid", 1, 64, 3, 5, 64, 2, 2, 1, 1, (0, 0, 0, 0), True, True, "relu", 0.0, False),
        ("c1_image_1x1", 2, 1, 1, 1, 64, 3, 3, 1, 2, (2, 2, 2, 2), True, False, "relu", 0.0, False),
        ("c3_stride2_per_side", 1, 3, 10, 9, 8, 3, 3, 2, 1, (0, 1, 1, 2), True, False, "none", 0.0, False),
        ("c64_to1_residual", 1, 64, 6, 5, 1, 3, 3, 1, 1, (1, 1, 1, 1), True, False, "none", 0.0, True),
    ]
    tensors, metadata = {}, {}
    generator = torch.Generator().manual_seed(20240601)
    for name, n, c, h, w, o, kh, kw, stride, dilation, pad, bias, affine, act, slope, residual in specs:
        x = uniform(generator, n, c, h, w)
        weight = uniform(generator, o, c, kh, kw, scale=1.0 / (c * kh * kw) ** 0.5)
        b = uniform(generator, o) if bias else None
        y = F.conv2d(F.pad(x, (pad[2], pad[3], pad[0], pad[1])), weight, b, stride=stride, dilation=dilation)
        tensors[f"{name}/input"] = x
        tensors[f"{name}/weight"] = weight
        if b is not None:
            tensors[f"{name}/bias"] = b
        if affine:
            scale = uniform(generator, o) + 1.5
            shift = uniform(generator, o)
            y = y * scale.view(1, o, 1, 1) + shift.view(1, o, 1, 1)
            tensors[f"{name}/scale"] = scale
            tensors[f"{name}/shift"] = shift
        y = activation(y, act, slope)
        if residual:
            r = uniform(generator, *y.shape)
            tensors[f"{name}/residual"] = r
            y = y + r
        tensors[f"{name}/output"] = y
        metadata[name] = json.dumps({"stride": stride, "dilation": dilation, "padding": list(pad), "activation": act, "slope": slope})
    return tensors, metadata


def adaptive_norm_cases():
    tensors, metadata = {}, {}
    generator = torch.Generator().manual_seed(7)
    # Batch mode: statistics of the tensor itself (PyTorch's training-mode batch_norm, biased variance).
    for name, n, c, h, w in [("batch_c24", 2, 24, 5, 7), ("batch_c3_1x1", 3, 3, 1, 1)]:
        x = uniform(generator, n, c, h, w) * 3 + 0.5
        gamma, beta = uniform(generator, c) + 1, uniform(generator, c)
        lam, mu, eps = 0.8, 0.6, 1e-3
        bn = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
        y = F.leaky_relu(lam * x + mu * bn, 0.2)
        tensors.update({f"{name}/input": x, f"{name}/gamma": gamma, f"{name}/beta": beta, f"{name}/output": y,
                        f"{name}/mean": x.mean(dim=(0, 2, 3)), f"{name}/variance": x.var(dim=(0, 2, 3), unbiased=False)})
        metadata[name] = json.dumps({"lambda": lam, "mu": mu, "epsilon": eps, "slope": 0.2})
    # Inference mode: stored statistics, applied after a convolution (to test folding into it).
    n, c, h, w, o = 1, 3, 6, 5, 24
    x = uniform(generator, n, c, h, w)
    weight = uniform(generator, o, c, 3, 3, scale=0.3)
    bias = uniform(generator, o)
    gamma, beta = uniform(generator, o) + 1, uniform(generator, o)
    mean, var = uniform(generator, o), torch.rand(o, generator=generator) + 0.1
    lam, mu, eps = 1.1, 0.7, 1e-3
    z = F.conv2d(x, weight, bias, padding=1)
    y = F.leaky_relu(lam * z + mu * F.batch_norm(z, mean, var, gamma, beta, training=False, eps=eps), 0.2)
    tensors.update({"folded/input": x, "folded/weight": weight, "folded/bias": bias, "folded/gamma": gamma, "folded/beta": beta,
                    "folded/mean": mean, "folded/variance": var, "folded/output": y})
    metadata["folded"] = json.dumps({"lambda": lam, "mu": mu, "epsilon": eps, "slope": 0.2})
    return tensors, metadata


def max_pool_cases():
    tensors, metadata = {}, {}
    generator = torch.Generator().manual_seed(11)
    # name, n, c, h, w, (kh, kw), (sy, sx), (ph, pw)
    for name, n, c, h, w, k, s, p in [("crnn_2x2_s21_p01", 1, 3, 5, 7, (2, 2), (2, 1), (0, 1)),
                                      ("k3x2_s23_p11_batch2", 2, 2, 7, 8, (3, 2), (2, 3), (1, 1)),
                                      ("square_2x2", 1, 1, 4, 6, (2, 2), (2, 2), (0, 0))]:
        x = uniform(generator, n, c, h, w)
        tensors[f"{name}/input"] = x
        tensors[f"{name}/output"] = F.max_pool2d(x, k, s, p)
        metadata[name] = json.dumps({"kernel": list(k), "stride": list(s), "padding": list(p)})
    return tensors, metadata


def bicubic_cases():
    tensors, metadata = {}, {}
    generator = torch.Generator().manual_seed(13)
    for name, n, c, h, w, oh, ow in [("up_non_integer", 1, 3, 5, 7, 11, 16), ("down", 2, 1, 9, 10, 4, 3),
                                     ("from_1x1", 1, 2, 1, 1, 3, 2), ("up_x2", 1, 1, 6, 4, 12, 8)]:
        x = uniform(generator, n, c, h, w)
        tensors[f"{name}/input"] = x
        tensors[f"{name}/output"] = F.interpolate(x, size=(oh, ow), mode="bicubic", align_corners=False)
    return tensors, metadata


def ycbcr_cases():
    generator = torch.Generator().manual_seed(17)
    rgb = torch.rand(2, 3, 4, 5, generator=generator, dtype=torch.float64)
    # MATLAB rgb2ycbcr on double images (VDSR's preprocessing), computed in float64.
    matrix = torch.tensor([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]], dtype=torch.float64) / 255
    offset = torch.tensor([16.0, 128.0, 128.0], dtype=torch.float64) / 255
    ycbcr = torch.einsum("kc,nchw->nkhw", matrix, rgb) + offset.view(1, 3, 1, 1)
    return {"rgb": rgb.float(), "ycbcr": ycbcr.float()}, {}


def main():
    os.makedirs(OUT, exist_ok=True)
    for file, make in [("conv2d", conv_cases), ("adaptive_norm", adaptive_norm_cases), ("max_pool", max_pool_cases),
                       ("bicubic", bicubic_cases), ("ycbcr", ycbcr_cases)]:
        tensors, metadata = make()
        metadata["torch"] = torch.__version__
        safetensors_io.save(os.path.join(OUT, f"{file}.safetensors"), tensors, metadata)
        print(f"{file}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
