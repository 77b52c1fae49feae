"""Retrain a compressed FIP model as Deep Compression does: pruning masks fixed, shared values
retrained per centroid (each centroid's gradient is the sum of its weights' gradients), the tensors
stored raw (biases, norms, the 1x1 output) retrained freely.

  gpuc compress fip-detail --budget 1dB --bits 8 -o c.gpuc --decoded c.safetensors --json > c.json
  python3 tools/training/finetune_compressed.py --op detail --decoded c.safetensors --plan c.json \\
      --minutes 4 --threads 1 --out c-retrained.safetensors
  gpuc compress c-retrained.safetensors --plan c.json -o c-retrained.gpuc

The input is the compressed model decoded to dense float32 (`gpuc compress --decoded`): in each
planned tensor the zeros are the pruned weights and the distinct non-zero values the centroids, so
masks and centroid indices are read back exactly, with no k-means of its own. A structured model
(`--structured`) is decoded narrowed, and the network is built at the widths its tensors have; the
plan (its `--json` report) records the channels each narrowed layer kept, so `gpuc compress --plan`
stores the retrained model with them instead of narrowing it a second time. The output keeps
that form (every planned tensor holds only its retrained centroids and the same zeros), so
`gpuc compress --plan` with the same plan stores it again without a further loss: its magnitude
pruning drops exactly the zeros and its k-means finds exactly the centroids. Int8 tensors are not
retrained. `--minutes 0` only evaluates. Quality is the held-out task PSNR of train_fip.evaluate
(the two held-out photographs against the OpenCV operator), printed for the original model, the
compressed one and the retrained one as one JSON line. Batch-norm statistics stay as stored (the
model trains in eval mode), since the compressed model runs with them.
"""
import argparse
import json
import os
import time

import numpy as np
import torch

import common
import train_fip
from make_samples import read_metadata
from common import models, log


class SharedTensor:
    """A planned weight as a fixed index map into trainable centroids; zeros (pruned) stay zero."""

    def __init__(self, values):
        values = torch.from_numpy(values.copy())
        self.mask = values != 0
        centroids, index = torch.unique(values[self.mask], return_inverse=True)
        self.index = torch.zeros(values.shape, dtype=torch.long)
        self.index[self.mask] = index
        self.centroids = torch.nn.Parameter(centroids.clone())

    def weight(self):
        # Gathering makes autograd sum every weight's gradient into its centroid.
        return self.centroids[self.index] * self.mask


def planned_modules(model, plan):
    modules = dict(model.named_modules())
    for entry in plan["plan"]:
        if entry.get("quantization", "Shared") != "Shared":
            log(f"{entry['tensor']}: {entry['quantization']} is kept as it is (only shared values are retrained)")
            continue
        module_name, _, attribute = entry["tensor"].rpartition(".")
        if attribute != "weight":
            raise SystemExit(f"{entry['tensor']}: only .weight tensors can be planned")
        yield modules[module_name]


def install(model, decoded, plan):
    """Replaces every planned module's weight parameter by a SharedTensor; returns them."""
    shared = {}
    for module in planned_modules(model, plan):
        name = next(n for n, m in model.named_modules() if m is module) + ".weight"
        tensor = SharedTensor(decoded[name])
        del module.weight
        module.weight = tensor.weight()
        shared[name] = (module, tensor)
    return shared


def refresh(shared):
    for module, tensor in shared.values():
        module.weight = tensor.weight()


def state(model, shared):
    out = {k: v for k, v in model.state_dict().items()}
    for name, (_, tensor) in shared.items():
        out[name] = tensor.weight().detach()
    return out


def load(path):
    """The CAN24 of a decoded file at the widths its tensors have: structured pruning
    (gpuc compress --structured) narrows layers, and the file holds them narrowed."""
    decoded = common.safetensors_io.load(path)
    depth = len(models.can_dilations(9))
    if any(f"layers.{i}.conv.weight" not in decoded for i in range(depth)):
        raise SystemExit(f"{path}: no layers.0-{depth - 1}.conv.weight: is it a decoded CAN24?")
    model = models.can24(widths=[decoded[f"layers.{i}.conv.weight"].shape[0] for i in range(depth)])
    own = model.state_dict()
    missing = [k for k in own if k not in decoded and not k.endswith("num_batches_tracked")]
    if missing:
        raise SystemExit(f"{path}: no {missing[:3]}: is it a decoded CAN24?")
    for k, v in own.items():
        if k in decoded and tuple(decoded[k].shape) != tuple(v.shape):
            raise SystemExit(f"{path}: {k} has shape {list(decoded[k].shape)}, the CAN24 of its layer widths needs {list(v.shape)}")
    model.load_state_dict({k: torch.from_numpy(decoded[k].copy()) if k in decoded else v for k, v in own.items()})
    return model.eval(), decoded


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--op", choices=sorted(train_fip.FILE_NAMES), required=True)
    p.add_argument("--decoded", required=True, help="the compressed model decoded by gpuc compress --decoded")
    p.add_argument("--plan", required=True, help="the gpuc compress --json report of that model (its \"plan\")")
    p.add_argument("--original", help="the uncompressed model, evaluated for reference (default: the shipped one)")
    p.add_argument("--minutes", type=float, default=4)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch", type=int, default=3)
    p.add_argument("--crop", type=int, default=160)
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", help="the retrained model (dense with zeros, shared values), safetensors; never a shipped file")
    args = p.parse_args()
    if args.out and os.path.abspath(args.out).startswith(os.path.abspath(common.MODELS_DIR)):
        p.error("--out must not overwrite samples/models")
    common.setup_threads(args.threads)
    common.seed_everything(args.seed)
    with open(args.plan) as stream:
        plan = json.load(stream)

    original, _ = load(args.original or f"{common.MODELS_DIR}/{train_fip.FILE_NAMES[args.op]}.safetensors")
    result = {"original": train_fip.evaluate(original, args.op)[1]["psnr_db"]}
    model, decoded = load(args.decoded)
    result["compressed"] = train_fip.evaluate(model, args.op)[1]["psnr_db"]
    log(f"held-out PSNR: original {result['original']} dB, compressed {result['compressed']} dB")
    if args.minutes > 0:
        shared = install(model, decoded, plan)
        # The planned weights are no parameters any more; what is left is stored raw and trains freely.
        free = list(model.parameters())
        centroids = [t.centroids for _, t in shared.values()]
        optimizer = torch.optim.Adam([*centroids, *free], lr=args.lr)
        variants = train_fip.build_variants(args.op, [0.5, 0.75, 1.0], args.crop)
        rng = np.random.default_rng(args.seed)
        budget = common.Budget(args.minutes)
        step, start = 0, time.time()
        while not budget.done():
            common.set_lr(optimizer, common.cosine_lr(args.lr, budget.fraction()))
            refresh(shared)
            x, y = train_fip.sample_batch(variants, args.batch, args.crop, rng)
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 50 == 0:
                log(f"step {step} loss {loss.item():.6f}")
        refresh(shared)
        result.update(steps=step, train_seconds=round(time.time() - start, 1), retrained=train_fip.evaluate(model, args.op)[1]["psnr_db"])
        log(f"retrained {step} steps: held-out PSNR {result['retrained']} dB")
        if args.out:
            metadata = read_metadata(args.decoded)
            metadata["retrained"] = f"finetune_compressed.py, {step} steps, lr {args.lr}, masks and centroid indices of {args.decoded}"
            common.safetensors_io.save(args.out, state(model, shared), metadata)
            log(f"wrote {args.out}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
