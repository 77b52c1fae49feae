"""PyTorch peer for bench's pipeline suite: a video through a shipped FIP network as a PyTorch user
would write the job, the same three stages as `gpuc run` overlapped the same way.

  python3 bench_pipeline.py SOURCE OUTPUT WEIGHTS THREADS

- decode: an ffmpeg subprocess writes raw rgb24 frames to a pipe; a thread reads them into a
  queue of two frames (`-vsync passthrough`: one frame out per decoded frame, as gpuc reads).
- model: the CAN rebuilt from WEIGHTS (shipped_fixtures.rebuild), float32, eval mode, the adaptive
  norm folded (models.fold_can) and the module traced and frozen (torch.jit), in the memory format
  (NCHW or channels_last) that is faster on a crop of the first frame; frames in [0, 1], outputs
  clamped to [0, 1] and rounded to 8 bits.
- encode: a thread writes the results to a second ffmpeg that encodes them as gpuc does by default
  (libx264 at its default quality, the source's pixel format, the source's frame rate).

Prints one JSON object: {"frames", "seconds" (wall, first frame read to output closed), "fps",
"variant", "stages": [{"stage", "busy_seconds"}]}; busy time is time spent in the stage's own work
(reading a frame includes waiting on ffmpeg's decoder, as gpuc's decode stage does).
Run by bench with OPENBLAS_CORETYPE unset, GOMP_SPINCOUNT=0 and the thread count given.
"""
import json
import queue
import subprocess
import sys
import threading
import time

import numpy as np
import torch

import models
from shipped_fixtures import rebuild

FORMATS = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-print_format", "json",
                          "-show_entries", "stream=width,height,avg_frame_rate,pix_fmt", path],
                         check=True, capture_output=True, text=True).stdout
    stream = json.loads(out)["streams"][0]
    return stream["width"], stream["height"], stream["avg_frame_rate"], stream["pix_fmt"]


def fastest_variant(model, height, width):
    """The folded network traced in each memory format, timed on the top eighth of a frame."""
    folded = models.fold_can(model).float().eval()
    crop = torch.rand(1, 3, max(16, height // 8), width)
    best = None
    for name, fmt in FORMATS.items():
        x = crop.contiguous(memory_format=fmt)
        net = torch.jit.freeze(torch.jit.trace(folded.to(memory_format=fmt), x[:, :, :16, :16]))
        net(x)
        start = time.perf_counter()
        net(x)
        seconds = time.perf_counter() - start
        if best is None or seconds < best[0]:
            best = (seconds, name, net)
    return best[1], best[2]


def main():
    source, output, weights, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    torch.set_num_threads(threads)
    width, height, rate, pix_fmt = probe(source)
    _, _, model = rebuild(weights)
    with torch.no_grad():
        variant, net = fastest_variant(model, height, width)
        frame_bytes = width * height * 3
        decoder = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-i", source, "-map", "0:v:0", "-vsync", "passthrough",
                                    "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], stdout=subprocess.PIPE)
        encoder = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                                    "-s", f"{width}x{height}", "-framerate", rate, "-i", "pipe:0", "-map", "0:v:0",
                                    "-c:v", "libx264", "-pix_fmt", pix_fmt, output], stdin=subprocess.PIPE)
        decoded, encoded = queue.Queue(2), queue.Queue(2)
        busy = {"decode": 0.0, "model": 0.0, "encode": 0.0}

        def read():
            while True:
                start = time.perf_counter()
                data = bytearray(frame_bytes)
                filled = decoder.stdout.readinto(data)
                busy["decode"] += time.perf_counter() - start
                if filled < frame_bytes:
                    decoded.put(None)
                    return
                decoded.put(data)

        def write():
            while (frame := encoded.get()) is not None:
                start = time.perf_counter()
                encoder.stdin.write(frame)
                busy["encode"] += time.perf_counter() - start
            start = time.perf_counter()
            encoder.stdin.close()
            encoder.wait()
            busy["encode"] += time.perf_counter() - start

        wall = time.perf_counter()
        reader, writer = threading.Thread(target=read), threading.Thread(target=write)
        reader.start()
        writer.start()
        frames = 0
        while (data := decoded.get()) is not None:
            start = time.perf_counter()
            rgb = np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)
            x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float().div(255).contiguous(memory_format=FORMATS[variant])
            y = net(x).clamp(0, 1).mul(255).round().to(torch.uint8)[0].permute(1, 2, 0).contiguous()
            encoded.put(y.numpy().tobytes())
            busy["model"] += time.perf_counter() - start
            frames += 1
        encoded.put(None)
        reader.join()
        writer.join()
        seconds = time.perf_counter() - wall
    if decoder.wait() != 0 or encoder.returncode != 0:
        sys.exit(f"ffmpeg failed: decoder {decoder.returncode}, encoder {encoder.returncode}")
    print(json.dumps({"frames": frames, "seconds": seconds, "fps": frames / seconds, "variant": f"folded_traced/{variant}",
                      "stages": [{"stage": k, "busy_seconds": v} for k, v in busy.items()]}))


if __name__ == "__main__":
    main()
