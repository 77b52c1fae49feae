"""PyTorch peer for bench's image suite: the image ops other than conv, on the CPU, batch 1.

Argument 1: a JSON list of [op, channels, height, width] (the input's shape); argument 2: threads.
Ops, as a PyTorch user writes them:
- max_pool_2x2_s2, max_pool_3x3_s1_p1: F.max_pool2d.
- bicubic_up2, bicubic_down2: F.interpolate(mode="bicubic", align_corners=False) to twice or half
  the height and width.
- norm_batch: Ψ(x) = λ·x + μ·BN(x) (SPEC.md) with the image's own per-channel statistics, as
  add(F.batch_norm(x, γ·μ, β·μ, training=True), x, alpha=λ): μ folded into γ and β, so two passes
  over the image instead of four; 1.1–3× faster here than var_mean followed by the folded affine.
- norm_folded: Ψ with stored statistics, folded as SPEC.md says into α = λ + μ·γ/σ and
  β' = μ·(β − γ·mean/σ): one addcmul.
- rgb_to_ycbcr, ycbcr_to_rgb: BT.601 (MATLAB's rgb2ycbcr) as one 3×3 matrix product plus offset
  (addmm over the pixels).
- leaky_relu (slope 0.2), add (of two images), scale (by 0.5).
Layout-dependent ops run in NCHW and channels_last and the faster counts; element-wise ops are the
same in both. Results go into preallocated tensors wherever the function takes out= (all but
max_pool2d and interpolate), as ours do: a fresh result over 32 MB is a new mapping that glibc
page-faults in on every call, which here costs more than the element-wise op itself.
Prints one JSON object: {"results": [{"op": ..., "shape": [c, h, w], "ms": best wall,
"format": ..., "formats": {format: ms}}]}.
Run by bench with OPENBLAS_CORETYPE unset, GOMP_SPINCOUNT=0 and the thread count given.
"""

import torch
import torch.nn.functional as F

from peer_timing import best_ms_within, run_cases

LAMBDA, MU, EPSILON = 1.0, 0.5, 1e-3
SLOPE = 0.2
RGB_TO_YCBCR = torch.tensor([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]]) / 255
YCBCR_OFFSET = torch.tensor([16.0, 128.0, 128.0]) / 255
YCBCR_TO_RGB = torch.linalg.inv(RGB_TO_YCBCR)

FORMATS = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}


def per_channel(values):
    return values.view(1, -1, 1, 1)


def max_pool(kernel, stride, padding):
    return lambda x, memory_format: lambda: F.max_pool2d(x, kernel, stride, padding)


def bicubic(numerator, denominator):
    def make(x, memory_format):
        size = (x.shape[2] * numerator // denominator, x.shape[3] * numerator // denominator)
        return lambda: F.interpolate(x, size=size, mode="bicubic", align_corners=False)
    return make


def norm_batch(x, memory_format):
    channels = x.shape[1]
    gamma, beta, out = torch.rand(channels) + 0.5, torch.rand(channels) - 0.5, torch.empty_like(x)
    return lambda: torch.add(F.batch_norm(x, None, None, MU * gamma, MU * beta, training=True, eps=EPSILON), x, alpha=LAMBDA, out=out)


def norm_folded(x, memory_format):
    channels = x.shape[1]
    scale, shift, out = per_channel(torch.rand(channels) + 0.5), per_channel(torch.rand(channels) - 0.5), torch.empty_like(x)
    return lambda: torch.addcmul(shift, x, scale, out=out)


def colour(matrix, offset):
    """out = matrix·pixel + offset for every pixel of a batch-1 image."""
    def make(x, memory_format):
        out = torch.empty_like(x)
        if memory_format == torch.channels_last:
            # Pixels are the rows of an (H·W)×3 matrix.
            pixels, result = x.permute(0, 2, 3, 1).reshape(-1, 3), out.permute(0, 2, 3, 1).view(-1, 3)
            return lambda: torch.addmm(offset, pixels, matrix.t(), out=result)
        pixels, result = x.view(3, -1), out.view(3, -1)
        return lambda: torch.addmm(offset.view(3, 1), matrix, pixels, out=result)
    return make


def leaky_relu(x, memory_format):
    out = torch.empty_like(x)
    # The ATen function F.leaky_relu calls, which alone takes out=.
    return lambda: torch._C._nn.leaky_relu(x, SLOPE, out=out)


def add(x, memory_format):
    other, out = torch.rand_like(x), torch.empty_like(x)
    return lambda: torch.add(x, other, out=out)


def scale(x, memory_format):
    out = torch.empty_like(x)
    return lambda: torch.mul(x, 0.5, out=out)


# op: (make(x, memory_format) -> one call, formats it runs in)
OPS = {
    "max_pool_2x2_s2": (max_pool(2, 2, 0), FORMATS),
    "max_pool_3x3_s1_p1": (max_pool(3, 1, 1), FORMATS),
    "bicubic_up2": (bicubic(2, 1), FORMATS),
    "bicubic_down2": (bicubic(1, 2), FORMATS),
    "norm_batch": (norm_batch, FORMATS),
    "norm_folded": (norm_folded, FORMATS),
    "rgb_to_ycbcr": (colour(RGB_TO_YCBCR, YCBCR_OFFSET), FORMATS),
    "ycbcr_to_rgb": (colour(YCBCR_TO_RGB, -(YCBCR_TO_RGB @ YCBCR_OFFSET)), FORMATS),
    "leaky_relu": (leaky_relu, {"contiguous": torch.contiguous_format}),
    "add": (add, {"contiguous": torch.contiguous_format}),
    "scale": (scale, {"contiguous": torch.contiguous_format}),
}


def measure(op, channels, height, width):
    make, formats = OPS[op]
    x = torch.rand(1, channels, height, width) * 2 - 1
    times = {}
    for name, memory_format in formats.items():
        times[name] = best_ms_within(make(x.contiguous(memory_format=memory_format), memory_format), budget_s=1.0)[0]
    fastest = min(times, key=times.get)
    return {"op": op, "shape": [channels, height, width], "ms": times[fastest], "format": fastest, "formats": times}


if __name__ == "__main__":
    run_cases(measure)
