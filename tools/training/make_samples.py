"""Sample inputs and before/after pictures from the trained models in samples/models/.

  python3 tools/training/make_samples.py

- samples/images/chelsea.png, coffee.png: the held-out photographs (coffee resized to 512 px wide,
  cv2.INTER_AREA), never used in training.
- samples/images/text/*.png + lines.json: rendered text lines (raw, before CRNN preprocessing) in a
  seen font (DejaVu) and the unseen Liberation Serif, with their truth and the model's reading.
- samples/pictures/fip-<op>.png: held-out crop, input | OpenCV operator | CAN24.
- samples/pictures/vdsr-x2.png: held-out crop, bicubic x2 | VDSR x2 | original.
Models run on the whole held-out image; the crops are taken afterwards.
"""
import json
import os
import random

import cv2
import numpy as np
import torch

import common
from common import models

CROP = 150


def load_weights(model, path):
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in common.safetensors_io.load(path).items()})
    return model.eval()


def read_metadata(path):
    import struct
    with open(path, "rb") as stream:
        (length,) = struct.unpack("<Q", stream.read(8))
        return json.loads(stream.read(length)).get("__metadata__", {})


def labelled(tiles, labels):
    out = []
    for tile, label in zip(tiles, labels):
        bar = np.full((18, tile.shape[1], 3), 255, np.uint8)
        cv2.putText(bar, label, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
        out.append(np.vstack([bar, tile]))
    gap = np.full((out[0].shape[0], 4, 3), 255, np.uint8)
    row = [out[0]]
    for t in out[1:]:
        row += [gap, t]
    return np.hstack(row)


def save_rgb(path, rgb):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"{os.path.relpath(path, common.ROOT)}: {os.path.getsize(path):,} bytes")


def held_out_images():
    for name in common.HELD_OUT_IMAGES:
        image = common.load_image(name)
        if image.shape[1] > 512:
            image = cv2.resize(image, (512, round(image.shape[0] * 512 / image.shape[1])), interpolation=cv2.INTER_AREA)
        save_rgb(os.path.join(common.IMAGES_DIR, name + ".png"), image)


def fip_pictures():
    import train_fip
    for op, basename in train_fip.FILE_NAMES.items():
        path = os.path.join(common.MODELS_DIR, basename + ".safetensors")
        if not os.path.exists(path):
            continue
        model = load_weights(models.can24(), path)
        image = common.load_image("chelsea")
        target = train_fip.apply_operator(op, image)
        out = (train_fip.run_model(model, image) * 255).round().astype(np.uint8)
        i, j = 60, 110  # the cat's left eye and fur
        crop = lambda a: a[i:i + CROP, j:j + CROP]
        save_rgb(os.path.join(common.PICTURES_DIR, basename + ".png"),
                 labelled([crop(image), crop(target), crop(out)], ["input", f"OpenCV {op}", "CAN24"]))


def vdsr_picture():
    import train_vdsr
    path = os.path.join(common.MODELS_DIR, "vdsr-x2.safetensors")
    if not os.path.exists(path):
        return
    middle = int(read_metadata(path).get("middle", 18))
    model = load_weights(models.Vdsr(middle=middle), path)
    image = train_vdsr.even_crop(common.load_image("coffee"))
    h, w = image.shape[:2]
    with torch.no_grad():
        rgb = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
        low = models.bicubic(rgb, h // 2, w // 2).clamp(0, 1)
        bic = models.bicubic(low, h, w).clamp(0, 1)
        up = models.vdsr_upscale_rgb(model, low, 2)
    to8 = lambda t: (t[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    i, j = 195, 290  # the spoon and the saucer rim
    crop = lambda a: a[i:i + CROP, j:j + CROP]
    save_rgb(os.path.join(common.PICTURES_DIR, "vdsr-x2.png"),
             labelled([crop(to8(bic)), crop(to8(up)), crop(image)], ["bicubic x2", "VDSR x2", "original"]))


def text_lines():
    import train_crnn
    path = os.path.join(common.MODELS_DIR, "crnn.safetensors")
    model = load_weights(train_crnn.build_model(), path) if os.path.exists(path) else None
    folder = os.path.join(common.IMAGES_DIR, "text")
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(2024)
    entries = []
    for index in range(8):
        family = "train" if index < 4 else "LiberationSerif"
        font = rng.choice(train_crnn.font_files(family))
        text = train_crnn.random_text(rng)
        gray = train_crnn.render(text, font, rng)
        name = f"line-{index}.png"
        cv2.imwrite(os.path.join(folder, name), gray, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        entry = {"file": name, "text": text.lower(), "rendered_text": text, "font": os.path.basename(font),
                 "seen_in_training": family == "train"}
        if model is not None:
            with torch.no_grad():
                x = torch.from_numpy(train_crnn.preprocess(gray))[None, None]
                entry["crnn_reading"] = train_crnn.greedy_decode(model(x))[0]
        entries.append(entry)
    with open(os.path.join(folder, "lines.json"), "w") as stream:
        json.dump({"preprocessing": train_crnn.PREPROCESS, "lines": entries}, stream, indent=2)
        stream.write("\n")
    for e in entries:
        print(e)


def main():
    common.setup_threads(2)
    held_out_images()
    text_lines()
    fip_pictures()
    vdsr_picture()


if __name__ == "__main__":
    main()
