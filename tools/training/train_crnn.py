"""Train a reduced CRNN (Shi, Bai and Yao 2015) with CTC on text lines rendered by PIL.

  nice -n 19 python3 tools/training/train_crnn.py --minutes 30

Text: random lowercase/uppercase/capitalised pseudo-words (syllables), digit strings and mixed
alphanumeric strings of 1 to 10 characters; the label is the lowercase text over
models.CRNN_ALPHABET (blank = class 0, character k of the alphabet = class k + 1).
Fonts: the DejaVu Sans, Serif and Mono families (fonts-dejavu) for training; Liberation Serif
(fonts-liberation) is never used in training and is the unseen-font test set (Liberation Sans and
Mono are reported too).
Rendering: font size 18..40 px, optional extra letter spacing, dark-on-light (or, 20 %, light-on-dark)
grey levels, random margins, rotation up to 3 degrees, Gaussian blur (sigma up to 1.2) and Gaussian
noise (sigma up to 8 grey levels). Preprocessing (see `preprocess`, also stored in the metadata):
grayscale uint8 -> height 32 keeping aspect (cv2.INTER_LINEAR); narrower than 100: padded on the right
to 100 by repeating the last column; wider: resized to exactly 100 x 32; then x / 255 * 2 - 1 (so
[-1, 1]).
"""
import argparse
import glob
import os
import random
import statistics
import time

import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont

import common
from common import models, log

HEIGHT, WIDTH = 32, 100
WIDTHS = (32, 64, 128, 128, 256, 256, 256)
FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation"]
PREPROCESS = ("grayscale uint8 line image; resize to height 32 keeping the aspect ratio (width round(w*32/h), "
              "cv2.INTER_LINEAR, i.e. bilinear with half-pixel centres, no antialiasing); if the width is below 100, "
              "pad on the right to 100 by repeating the last column; if above 100, resize the original to exactly 100x32 "
              "(cv2.INTER_LINEAR) instead; then x/255*2-1 (values in [-1,1]); tensor 1x1x32x100")


def font_files(family):
    """family 'train' = every DejaVu Sans/Serif/Mono face (not the math font); otherwise a prefix."""
    if family == "train":
        files = sorted(glob.glob(os.path.join(FONT_DIRS[0], "DejaVu*.ttf")))
        return [f for f in files if "Math" not in f]
    return sorted(glob.glob(os.path.join(FONT_DIRS[1], family + "*.ttf")))


CONSONANTS, VOWELS = "bcdfghjklmnprstvwyzqx", "aeiou"


def random_text(rng):
    kind = rng.random()
    if kind < 0.55:  # pseudo-word from syllables
        n = rng.randint(1, 4)
        text = "".join(rng.choice(CONSONANTS[:19] if rng.random() < 0.9 else CONSONANTS) + rng.choice(VOWELS)
                       + (rng.choice(CONSONANTS) if rng.random() < 0.35 else "") for _ in range(n))
        text = text[:10]
    elif kind < 0.8:  # digits
        text = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 10)))
    else:  # mixed alphanumeric
        text = "".join(rng.choice(models.CRNN_ALPHABET) for _ in range(rng.randint(1, 10)))
    case = rng.random()
    if case < 0.15:
        text = text.upper()
    elif case < 0.3:
        text = text.capitalize()
    return text


def render(text, font_path, rng):
    """A grayscale uint8 line image of `text` (natural size, before preprocessing)."""
    size = rng.randint(18, 40)
    font = ImageFont.truetype(font_path, size)
    spacing = rng.choice([0, 0, 0, 1, 2, 3, 5]) * size / 24
    widths = [font.getlength(ch) for ch in text]
    total = sum(widths) + spacing * (len(text) - 1) if spacing else font.getlength(text)
    ascent, descent = font.getmetrics()
    margin_x, margin_top, margin_bottom = [int(rng.uniform(0.05, 0.5) * size) for _ in range(3)]
    w, h = int(total) + 2 * margin_x + 2, ascent + descent + margin_top + margin_bottom
    light, dark = rng.randint(150, 255), rng.randint(0, 110)
    background, ink = (dark, light) if rng.random() < 0.2 else (light, dark)
    image = Image.new("L", (w, h), background)
    draw = ImageDraw.Draw(image)
    if spacing:
        x = margin_x
        for ch, cw in zip(text, widths):
            draw.text((x, margin_top), ch, fill=ink, font=font)
            x += cw + spacing
    else:
        draw.text((margin_x, margin_top), text, fill=ink, font=font)
    angle = rng.uniform(-3, 3)
    if abs(angle) > 0.3:
        image = image.rotate(angle, resample=Image.BILINEAR, expand=False, fillcolor=background)
    sigma = rng.choice([0, 0, rng.uniform(0.3, 1.2)])
    if sigma:
        image = image.filter(ImageFilter.GaussianBlur(sigma))
    array = np.asarray(image, dtype=np.float32)
    noise = rng.choice([0, rng.uniform(1, 8)])
    if noise:
        array = array + np.random.default_rng(rng.getrandbits(32)).normal(0, noise, array.shape)
    return np.clip(array, 0, 255).round().astype(np.uint8)


def preprocess(gray):
    """uint8 H x W -> float32 32 x 100 in [-1, 1] (PREPROCESS)."""
    h, w = gray.shape
    new_w = max(1, round(w * HEIGHT / h))
    if new_w <= WIDTH:
        resized = cv2.resize(gray, (new_w, HEIGHT), interpolation=cv2.INTER_LINEAR)
        resized = np.pad(resized, ((0, 0), (0, WIDTH - new_w)), mode="edge")
    else:
        resized = cv2.resize(gray, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
    return resized.astype(np.float32) / 255 * 2 - 1


def encode(text):
    return [models.CRNN_ALPHABET.index(c) + 1 for c in text.lower()]


def greedy_decode(logits):
    """T x N x C -> list of strings (argmax, collapse repeats, drop blanks)."""
    best = logits.argmax(2).t().tolist()
    out = []
    for seq in best:
        chars, previous = [], 0
        for k in seq:
            if k != previous and k != 0:
                chars.append(models.CRNN_ALPHABET[k - 1])
            previous = k
        out.append("".join(chars))
    return out


def make_batch(rng, fonts, n):
    texts = [random_text(rng) for _ in range(n)]
    images = [preprocess(render(t, rng.choice(fonts), rng)) for t in texts]
    return torch.from_numpy(np.stack(images))[:, None], [t.lower() for t in texts]


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[len(b)]


def evaluate(model, fonts, n, seed):
    rng = random.Random(seed)
    model.eval()
    correct, errors, chars = 0, 0, 0
    with torch.no_grad():
        for start in range(0, n, 100):
            x, texts = make_batch(rng, fonts, min(100, n - start))
            for predicted, truth in zip(greedy_decode(model(x)), texts):
                correct += predicted == truth
                errors += edit_distance(predicted, truth)
                chars += len(truth)
    return {"samples": n, "word_accuracy": round(correct / n, 4), "cer": round(errors / chars, 4)}


def build_model():
    return models.Crnn(classes=len(models.CRNN_ALPHABET) + 1, hidden=128, widths=WIDTHS)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=60, help="training-loop wall-clock budget (full schedule: 60)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--eval-samples", type=int, default=1000)
    p.add_argument("--fresh", action="store_true")
    p.add_argument("--note", default="", help="free text for the model card (e.g. how a resumed run was scheduled)")
    p.add_argument("--checkpoint-seconds", type=float, default=120)
    args = p.parse_args()

    common.setup_threads(args.threads)
    common.seed_everything(args.seed)
    basename = "crnn"
    wall_start = time.time()
    train_fonts = font_files("train")
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    step, elapsed, extra = 0, 0.0, {}
    resumed = None if args.fresh else common.load_checkpoint(basename, model, optimizer)
    if resumed:
        step, elapsed, extra = resumed
        log(f"resumed at step {step}, {elapsed:.0f} s trained")
    rng = random.Random(args.seed * 1000003 + step)
    budget = common.Budget(args.minutes, elapsed)
    last_checkpoint, running = time.time(), []
    model.train()
    while not budget.done():
        lr = common.cosine_lr(args.lr, budget.fraction())
        common.set_lr(optimizer, lr)
        x, texts = make_batch(rng, train_fonts, args.batch)
        targets = torch.tensor([k for t in texts for k in encode(t)], dtype=torch.long)
        target_lengths = torch.tensor([len(t) for t in texts], dtype=torch.long)
        log_probs = model(x).log_softmax(2)
        input_lengths = torch.full((len(texts),), log_probs.size(0), dtype=torch.long)
        loss = ctc(log_probs, targets, input_lengths, target_lengths)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step += 1
        running.append(loss.item())
        if step % 25 == 0:
            accuracy = statistics.mean(a == b for a, b in zip(greedy_decode(log_probs.detach()), texts))
            log(f"step {step} ctc {statistics.mean(running):.3f} batch acc {accuracy:.2f} lr {lr:.2e} trained {budget.elapsed:.0f} s")
            running = []
        if time.time() - last_checkpoint > args.checkpoint_seconds:
            common.save_checkpoint(basename, model, optimizer, step, budget.elapsed)
            last_checkpoint = time.time()
    train_seconds = budget.elapsed
    common.save_checkpoint(basename, model, optimizer, step, train_seconds)
    log(f"training done: {step} steps, {train_seconds:.0f} s")

    calib = random.Random(4321)
    common.recalibrate_bn(model, (make_batch(calib, train_fonts, 64)[0] for _ in range(10)))
    results = {"seen_fonts_dejavu": evaluate(model, train_fonts, args.eval_samples, 1001),
               "unseen_font_liberation_serif": evaluate(model, font_files("LiberationSerif"), args.eval_samples, 1002),
               "unseen_font_liberation_sans": evaluate(model, font_files("LiberationSans-"), args.eval_samples // 2, 1003),
               "unseen_font_liberation_mono": evaluate(model, font_files("LiberationMono"), args.eval_samples // 2, 1004)}
    log(f"evaluation: {results}")

    path = os.path.join(common.MODELS_DIR, basename + ".safetensors")
    common.save_model(path, model, input_height=HEIGHT, input_width=WIDTH, input_range="[-1,1] (x/255*2-1)",
                      preprocess=PREPROCESS, blank=0, case="lowercase", training_steps=step)
    card = {
        "name": basename, "file": basename + ".safetensors", "bytes": os.path.getsize(path),
        "architecture": f"CRNN (tools/reference/models.py Crnn(classes=37, hidden=128, widths={WIDTHS})), reduced from the paper's widths (64,128,256,256,512,512,512) and hidden 256",
        "parameters": models.parameter_count(model), "alphabet": models.CRNN_ALPHABET, "blank": 0,
        "input": {"height": HEIGHT, "width": WIDTH, "time_steps": WIDTH // 4 + 1, "preprocessing": PREPROCESS},
        "data": {"train_fonts": [os.path.basename(f) for f in train_fonts],
                 "unseen_fonts": {k: [os.path.basename(f) for f in font_files(k)] for k in ("LiberationSerif", "LiberationSans-", "LiberationMono")},
                 "text": "55% pseudo-words of 1-4 consonant-vowel(-consonant) syllables cut to 10 characters, 25% digit strings of 1-10 digits, 20% random alphanumeric strings of 1-10 characters; 15% upper case, 15% capitalised; labels lowercase",
                 "rendering": "PIL ImageFont.truetype size 18-40 px; extra letter spacing 0-5 px (scaled by size/24) on 3/7 of lines, drawn character by character; background grey 150-255 and ink 0-110 (swapped on 20%); margins 0.05-0.5 x size; rotation uniform +-3 degrees (bilinear, when above 0.3); Gaussian blur sigma 0.3-1.2 on 1/3; Gaussian noise sigma 1-8 grey levels on 1/2",
                 "fresh_samples": "every batch is newly rendered (no fixed training set)"},
        "training": {"loss": "CTCLoss(blank=0, zero_infinity=True) on log_softmax", "optimizer": "Adam", "lr": args.lr,
                     "schedule": "cosine over the wall-clock budget to 2% of lr", "gradient_clipping": "clip_grad_norm_ 5",
                     "batch": args.batch, "seed": args.seed, "steps": step, "samples_seen": step * args.batch,
                     "budget_minutes": args.minutes, "train_loop_seconds": round(train_seconds, 1),
                     "bn": "running statistics recomputed (plain average) over 10 batches of 64 training lines",
                     "machine": common.machine_line() + f", nice {os.nice(0)}, shared with C# builds and tests",
                     "note": args.note},
        "evaluation": results,
        "evaluation_notes": "held-out lines rendered with the training generator under fixed seeds different from training (1001-1004); word accuracy = exact match of the greedy CTC decoding with the lowercase text; CER = total edit distance / total characters of the truths",
    }
    card["wall_seconds_total"] = round(time.time() - wall_start, 1)
    common.write_card(basename, card, markdown(card))
    log(f"wrote {path} ({card['bytes']} bytes) and its card; total {card['wall_seconds_total']} s")


def markdown(c):
    t, d, e = c["training"], c["data"], c["evaluation"]
    names = {"seen_fonts_dejavu": "seen fonts (DejaVu Sans/Serif/Mono faces)",
             "unseen_font_liberation_serif": "**unseen font: Liberation Serif** (4 faces)",
             "unseen_font_liberation_sans": "unseen font: Liberation Sans (4 faces)",
             "unseen_font_liberation_mono": "unseen font: Liberation Mono (4 faces)"}
    rows = "\n".join(f"| {names[k]} | {v['samples']} | {100 * v['word_accuracy']:.1f} % | {100 * v['cer']:.1f} % |" for k, v in e.items())
    return f"""# {c['name']}: reduced CRNN, lowercase alphanumerics, CTC

File: `{c['file']}` ({c['bytes']:,} bytes, float32 safetensors, {c['parameters']:,} learned parameters).
Architecture: {c['architecture']}. Alphabet `{c['alphabet']}`, blank = class 0, class k+1 = alphabet[k];
output T x N x 37 logits, T = {c['input']['time_steps']} for width {c['input']['width']}; greedy CTC decoding.

## Preprocessing (the C# side must reproduce it; also in the safetensors metadata)
{c['input']['preprocessing']}.

## Data (rendered on the fly, nothing downloaded)
- Training fonts (fonts-dejavu): {', '.join(d['train_fonts'])}.
- Never used in training (fonts-liberation): Liberation Serif, Sans and Mono faces.
- Text: {d['text']}.
- Rendering: {d['rendering']}.
- {d['fresh_samples']}.

## Training
{t['loss']}, {t['optimizer']} lr {t['lr']}, {t['schedule']}, {t['gradient_clipping']}, batch {t['batch']}, seed {t['seed']}.
**{t['steps']} steps ({t['samples_seen']:,} lines) in {t['train_loop_seconds']:.0f} s of training loop** (budget {t['budget_minutes']} min;
whole run including evaluation {c['wall_seconds_total']:.0f} s) on {t['machine']}.
BN: {t['bn']}.{(' ' + t['note']) if t.get('note') else ''} `python3 tools/training/train_crnn.py --minutes 60` resumes this run for longer.

## Quality
{c['evaluation_notes']}.

| test set | lines | word accuracy | CER |
|---|---|---|---|
{rows}

These are synthetic lines from the training distribution (only the font differs for the unseen
sets); they say nothing about photographed scene text (IIIT5K, SVT, IC03/13, where the paper's
full CRNN trained on 8 M synthetic images reaches 78-89 %).

## Known limits
- Short CPU run; single words of at most 10 characters, no punctuation, no spaces, lowercase output.
- Clean synthetic rendering: no perspective, texture, colour backgrounds or JPEG artefacts.
- Lines much wider than 100 px after resizing to height 32 are squeezed horizontally.
"""


if __name__ == "__main__":
    main()
