"""Minimal safetensors writer and reader for the reference fixtures.

The `safetensors` Python package is not available from Debian's archive, and the format is small:
an 8-byte little-endian header length, a JSON header, then the raw little-endian tensor bytes.
"""
import json
import os
import struct

import numpy as np
import torch

_DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int8: "I8", torch.uint8: "U8", torch.int16: "I16", torch.int32: "I32", torch.int64: "I64",
    torch.bool: "BOOL",
}
_NUMPY = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I8": np.int8, "U8": np.uint8,
          "I16": np.int16, "I32": np.int32, "I64": np.int64, "BOOL": np.bool_}


def save(path, tensors, metadata=None):
    """Write a dict of name -> torch.Tensor atomically (temporary file, then rename)."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous().cpu()
        if tensor.dtype == torch.bfloat16:
            blob = tensor.view(torch.int16).numpy().tobytes()
        else:
            blob = tensor.numpy().astype(tensor.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _DTYPES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as stream:
        stream.write(struct.pack("<Q", len(encoded)))
        stream.write(encoded)
        for blob in blobs:
            stream.write(blob)
    os.replace(temporary, path)


def load(path):
    """Read a file written by `save` (or any safetensors file without BF16) into numpy arrays."""
    with open(path, "rb") as stream:
        (length,) = struct.unpack("<Q", stream.read(8))
        header = json.loads(stream.read(length))
        data = stream.read()
    header.pop("__metadata__", None)
    return {name: np.frombuffer(data[begin:end], dtype=_NUMPY[info["dtype"]]).reshape(info["shape"])
            for name, info in header.items() for begin, end in [info["data_offsets"]]}
