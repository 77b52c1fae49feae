"""Calibration text lines for `gpuc compress crnn`: rendered lines and their truths.

  python3 tools/training/make_crnn_calibration.py --out DIR [--count 200] [--seed 3001]

Writes DIR/line-<i>.png (raw grayscale renderings, before CRNN preprocessing, in the training
fonts) and DIR/lines.json ({"lines": [{"file", "text", "font"}]}, the layout of
samples/images/text), from train_crnn's generator under a seed that neither training (13) nor the
held-out evaluation (1001-1004) uses, so the lines are new to the model.
"""
import argparse
import json
import os
import random

import cv2

import train_crnn


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="folder to write (created; existing line files are replaced)")
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--seed", type=int, default=3001)
    args = p.parse_args()
    if args.seed in (13, 1001, 1002, 1003, 1004):
        p.error(f"seed {args.seed} is one training or evaluation uses")
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    fonts = train_crnn.font_files("train")
    entries = []
    for index in range(args.count):
        font = rng.choice(fonts)
        text = train_crnn.random_text(rng)
        name = f"line-{index}.png"
        cv2.imwrite(os.path.join(args.out, name), train_crnn.render(text, font, rng), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        entries.append({"file": name, "text": text.lower(), "font": os.path.basename(font)})
    temporary = os.path.join(args.out, ".lines.json.tmp")
    with open(temporary, "w") as stream:
        json.dump({"preprocessing": train_crnn.PREPROCESS, "seed": args.seed, "lines": entries}, stream, indent=2)
        stream.write("\n")
    os.replace(temporary, os.path.join(args.out, "lines.json"))
    print(f"wrote {args.count} lines to {args.out}")


if __name__ == "__main__":
    main()
