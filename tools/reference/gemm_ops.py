"""Reference fixtures for the GEMM family (Gpu.Tests/Fixtures/gemm/*.safetensors).

Each file holds several cases; a case's tensors are named "<case>/<tensor>" and its parameters are
a JSON object in the metadata under the case name. Shapes are odd on purpose (no multiple of any
register block or tile), and values are seeded, so re-running reproduces the files.

- dense.safetensors: C = act(alpha * op(A) @ op(B) + beta * C0 + bias) with torch.addmm semantics,
  every transpose combination, alpha/beta, every activation. Computed in float64, stored as float32.
- linear.safetensors: torch.nn.functional.linear(x, weight, bias) followed by an activation, the
  weight magnitude-pruned by a stored mask (so the same case checks dense, CSR and block-sparse
  paths) and a codebook case whose weight is centroids[indices].
- quantized.safetensors: int8 weights x uint8 (zero point) or int8 activations, int32 accumulators
  computed exactly in int64 by the script, and the dequantised output.

Run: /usr/bin/python3 tools/reference/gemm_ops.py
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Gpu.Tests", "Fixtures", "gemm")


def uniform(generator, *shape, scale=1.0):
    return (torch.rand(*shape, generator=generator, dtype=torch.float64) * 2 - 1) * scale


def activate(x, kind, slope):
    if kind == "relu":
        return F.relu(x)
    if kind == "leaky":
        return F.leaky_relu(x, slope)
    if kind == "sigmoid":
        return torch.sigmoid(x)
    if kind == "tanh":
        return torch.tanh(x)
    return x


def dense_cases():
    # name, m, n, k, transpose a, transpose b, alpha, beta, bias, activation, slope
    specs = [
        ("m7_n13_k5", 7, 13, 5, False, False, 1.0, 0.0, False, "none", 0.0),
        ("m33_n17_k65_tb", 33, 17, 65, False, True, 1.0, 0.0, False, "none", 0.0),
        ("m17_n33_k9_ta", 17, 33, 9, True, False, 1.0, 0.0, False, "none", 0.0),
        ("m5_n70_k31_ta_tb", 5, 70, 31, True, True, 1.0, 0.0, False, "none", 0.0),
        ("m1_n1_k1", 1, 1, 1, False, False, 1.0, 0.0, False, "none", 0.0),
        ("m2_n37_k19_few_rows", 2, 37, 19, False, False, 1.0, 0.0, True, "none", 0.0),
        ("m3_n29_k23_few_rows_tb", 3, 29, 23, False, True, 1.0, 0.0, True, "relu", 0.0),
        ("m19_n23_k11_alpha_beta_bias_leaky", 19, 23, 11, False, True, 0.75, -0.5, True, "leaky", 0.2),
        ("m21_n66_k40_alpha_beta_relu", 21, 66, 40, False, False, -1.25, 0.5, True, "relu", 0.0),
        ("m13_n7_k70_ta_sigmoid", 13, 7, 70, True, False, 0.5, 1.0, True, "sigmoid", 0.0),
        ("m70_n65_k33_tanh", 70, 65, 33, False, False, 1.0, 0.25, True, "tanh", 0.0),
    ]
    tensors, metadata = {}, {}
    generator = torch.Generator().manual_seed(20240611)
    for name, m, n, k, ta, tb, alpha, beta, bias, act, slope in specs:
        a = uniform(generator, k, m) if ta else uniform(generator, m, k)
        b = uniform(generator, n, k) if tb else uniform(generator, k, n)
        c0 = uniform(generator, m, n)
        bias_values = uniform(generator, n) if bias else torch.zeros(n, dtype=torch.float64)
        a32, b32, c32 = a.float().double(), b.float().double(), c0.float().double()
        product = torch.addmm(c32, a32.t() if ta else a32, b32.t() if tb else b32, beta=beta, alpha=alpha)
        expected = activate(product + bias_values.float().double(), act, slope)
        tensors[f"{name}/a"] = a.float()
        tensors[f"{name}/b"] = b.float()
        tensors[f"{name}/c"] = c0.float()
        if bias:
            tensors[f"{name}/bias"] = bias_values.float()
        tensors[f"{name}/expected"] = expected.float()
        metadata[name] = json.dumps({"m": m, "n": n, "k": k, "transpose_a": ta, "transpose_b": tb, "alpha": alpha,
                                     "beta": beta, "activation": act, "slope": slope})
    return tensors, metadata


def linear_cases():
    # name, batch, in features, out features, kept fraction, bias, activation, slope, codebook bits (0: none)
    specs = [
        ("batch1_in37_out29_sparse", 1, 37, 29, 0.3, True, "none", 0.0, 0),
        ("batch3_in64_out19_sparse_relu", 3, 64, 19, 0.1, True, "relu", 0.0, 0),
        ("batch16_in45_out33_dense_leaky", 16, 45, 33, 1.0, True, "leaky", 0.2, 0),
        ("batch5_in70_out13_sparse_no_bias", 5, 70, 13, 0.5, False, "none", 0.0, 0),
        ("batch4_in33_out11_codebook4_tanh", 4, 33, 11, 1.0, True, "tanh", 0.0, 4),
        ("batch1_in19_out7_codebook8", 1, 19, 7, 1.0, False, "none", 0.0, 8),
    ]
    tensors, metadata = {}, {}
    generator = torch.Generator().manual_seed(20240612)
    for name, batch, fan_in, fan_out, kept, bias, act, slope, bits in specs:
        x = uniform(generator, batch, fan_in).float()
        if bits:
            centroids = uniform(generator, 1 << bits, scale=fan_in ** -0.5).float()
            indices = torch.randint(0, 1 << bits, (fan_out, fan_in), generator=generator, dtype=torch.int64)
            weight = centroids[indices]
            tensors[f"{name}/centroids"] = centroids
            tensors[f"{name}/indices"] = indices.to(torch.uint8)
        else:
            weight = uniform(generator, fan_out, fan_in, scale=fan_in ** -0.5).float()
            # Keep the largest magnitudes, as magnitude pruning would; the mask is stored so the
            # C# side builds its sparse formats from exactly the kept set.
            count = max(1, int(round(kept * weight.numel())))
            threshold = weight.abs().flatten().kthvalue(weight.numel() - count + 1).values
            mask = weight.abs() >= threshold
            weight = weight * mask
            tensors[f"{name}/mask"] = mask.to(torch.uint8)
        bias_values = uniform(generator, fan_out).float() if bias else None
        y = activate(F.linear(x.double(), weight.double(), None if bias_values is None else bias_values.double()), act, slope)
        tensors[f"{name}/x"] = x
        tensors[f"{name}/weight"] = weight
        if bias_values is not None:
            tensors[f"{name}/bias"] = bias_values
        tensors[f"{name}/y"] = y.float()
        metadata[name] = json.dumps({"batch": batch, "in": fan_in, "out": fan_out, "activation": act, "slope": slope, "bits": bits})
    return tensors, metadata


def quantized_cases():
    # name, rows (out), columns (K), n (batch), signed activations, zero point, bias, activation
    specs = [
        ("m7_k37_n1_uint8_zp131", 7, 37, 1, False, 131, True, "none"),
        ("m13_k70_n5_uint8_zp0", 13, 70, 5, False, 0, False, "relu"),
        ("m9_k64_n4_int8", 9, 64, 4, True, 0, True, "none"),
        ("m5_k33_n17_uint8_zp255_relu", 5, 33, 17, False, 255, True, "relu"),
        ("m33_k129_n3_int8", 33, 129, 3, True, 0, False, "none"),
        # Enough rows that each core's row range holds pairs, and batches past four: the CPU's
        # two-row, four-column kernel and its leftovers.
        ("m40_k50_n9_uint8_zp77", 40, 50, 9, False, 77, True, "none"),
        ("m37_k47_n6_int8_relu", 37, 47, 6, True, 0, True, "relu"),
        # Activations within 7 bits (0-127, PyTorch's reduce_range): the CPU's vpmaddubsw path,
        # odd rows and a batch that leaves a short column group.
        ("m39_k75_n7_uint7_zp40", 39, 75, 7, False, 40, True, "none"),
        ("m6_k33_n2_uint7_zp127_relu", 6, 33, 2, False, 127, False, "relu"),
    ]
    tensors, metadata = {}, {}
    generator = torch.Generator().manual_seed(20240613)
    for name, m, k, n, signed, zero_point, bias, act in specs:
        weights = torch.randint(-127, 128, (m, k), generator=generator, dtype=torch.int64)
        if signed:
            activations = torch.randint(-128, 128, (n, k), generator=generator, dtype=torch.int64)
        else:
            highest = 127 if "uint7" in name else 255
            activations = torch.randint(0, highest + 1, (n, k), generator=generator, dtype=torch.int64)
        # Exact: int64 products and sums, far from any overflow at these sizes.
        accumulators = weights @ (activations - zero_point).t()
        weight_scales = (torch.rand(m, generator=generator, dtype=torch.float64) * 0.02 + 0.001).float()
        activation_scale = 0.03
        bias_values = uniform(generator, m).float() if bias else torch.zeros(m)
        y = activate(weight_scales.double()[:, None] * activation_scale * accumulators.double() + bias_values.double()[:, None], act, 0.0)
        tensors[f"{name}/weights"] = weights.to(torch.int8)
        tensors[f"{name}/activations"] = activations.to(torch.int8 if signed else torch.uint8)
        tensors[f"{name}/accumulators"] = accumulators.to(torch.int32)
        tensors[f"{name}/weight_scales"] = weight_scales
        if bias:
            tensors[f"{name}/bias"] = bias_values
        tensors[f"{name}/y"] = y.float()
        metadata[name] = json.dumps({"m": m, "k": k, "n": n, "signed": signed, "zero_point": zero_point,
                                     "activation_scale": activation_scale, "activation": act})
    return tensors, metadata


def main():
    os.makedirs(OUT, exist_ok=True)
    for file, build in [("dense", dense_cases), ("linear", linear_cases), ("quantized", quantized_cases)]:
        tensors, metadata = build()
        safetensors_io.save(os.path.join(OUT, file + ".safetensors"), tensors, metadata)
        print(f"{file}: {len(metadata)} cases")


if __name__ == "__main__":
    main()
