"""Markdown tables of the reports tools/compression/report.sh wrote (docs/compression.md).

  python3 tools/compression/tables.py OUT [OUT...] [--per-tensor NAME ...]

One table per model: configuration, file bytes, ratio to float32 and the quality gpuc compress
measured (PSNR against the original's outputs on the calibration images, VDSR's task PSNR under a
dB budget, or CER and word accuracy
on the calibration lines), sorted by ratio; then the per-tensor table of each model's
sensitivity run that met its floor with the highest ratio, or of the configurations named.
"""
import argparse
import glob
import json
import os


def quality(report):
    if report.get("cer") is not None:
        return f"CER {100 * report['cer']:.2f} % (original {100 * report['original_cer']:.2f} %), words {100 * report['word_accuracy']:.1f} % (original {100 * report['original_word_accuracy']:.1f} %)"
    if report.get("task_psnr") is not None:
        return f"task {report['task_psnr']:.2f} dB (original {report['original_task_psnr']:.2f} dB)"
    psnr = report.get("psnr_vs_original")
    return "identical" if psnr is None else f"{psnr:.2f} dB"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+")
    p.add_argument("--per-tensor", action="append", default=[], help="a configuration (file name without .json) to give the per-tensor table of")
    args = p.parse_args()
    reports = {}
    for folder in args.folders:
        for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
            name = os.path.basename(path)[:-5]
            if name == "lines" or name.endswith("-retrained"):
                continue
            with open(path) as stream:
                text = stream.read()
            if text.strip():
                reports[name] = json.loads(text)
    models = sorted({os.path.basename(r["model"]).rsplit(".", 1)[0] for r in reports.values()})
    for model in models:
        rows = sorted(((n, r) for n, r in reports.items() if os.path.basename(r["model"]).startswith(model + ".")), key=lambda x: x[1]["ratio"])
        print(f"\n### {model}\n")
        print("| configuration | floor | bytes | ratio | quality against the original |")
        print("|---|---|---|---|---|")
        for name, r in rows:
            floor = r["floor"] if r["prune"] == "sensitivity" else ""
            missed = " (floor missed)" if r.get("floor_met") is False else ""
            print(f"| `{name[len(model) + 1:]}` | {floor}{missed} | {r['file_bytes']:,} | {r['ratio']:.2f}x | {quality(r)} |")
    chosen = []
    for model in models:
        if args.per_tensor:
            break
        sensitivity = [(n, r) for n, r in reports.items() if os.path.basename(r["model"]).startswith(model + ".") and r["prune"] == "sensitivity"
                       and not r["structured"] and r.get("floor_met")]
        if not sensitivity:
            continue
        chosen.append(max(sensitivity, key=lambda x: x[1]["ratio"]))
    for name in args.per_tensor:
        chosen.append((name, reports[name]))
    for name, r in chosen:
        print(f"\n### Per tensor: `{name}`\n")
        print("| tensor | shape | codec | zeros | bits (gaps) | bytes | x smaller |")
        print("|---|---|---|---|---|---|---|")
        for t in r["tensors"]:
            if t["codec"] == "Raw":
                continue
            bits = f"{t['value_bits']} ({t['gap_bits']})" if t["gap_bits"] else str(t["value_bits"])
            count = 1
            # A layer narrowed by structured pruning reads "18×24×3×3 of 24×24×3×3": count the original.
            for d in t["shape"].split(" of ")[-1].split("\u00d7"):
                count *= int(d)
            print(f"| {t['tensor']} | {t['shape']} | {t['codec']} | {100 * t['zeros']:.1f} % | {bits} | {t['bytes']:,} | {4 * count / t['bytes']:.1f} |")
        raw = [t for t in r["tensors"] if t["codec"] == "Raw"]
        print(f"| {len(raw)} small tensors | | Raw | | 32 | {sum(t['bytes'] for t in raw):,} | 1.0 |")


if __name__ == "__main__":
    main()
