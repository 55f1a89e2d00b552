#!/usr/bin/env python3
"""Issue 16's evidence: torchvision's classifiers exported to ONNX, compiled by dlvpc, run on the SoC.

Run by hand from the repository root with Debian's Python (python3-torch 1.13, python3-torchvision
0.14, python3-onnx) after building dlvpc, dlvp and onnx_conformance:
    /usr/bin/python3 tools/onnx_zoo/torchvision_zoo.py --table zoo.md --json zoo.json [--build build/dev]

Per model (docs/validation.md, "torchvision's classifiers"):
1. torchvision's model with random weights from a seed derived from its name (Debian's torchvision
   has no pretrained weights); every BatchNorm gets random affine parameters and running statistics
   measured on 16 other Fashion-MNIST test images (100..115), so dlvpc's folding is exercised and
   the activations keep their scale through the depth as in a trained network. MACs counted by torch: hooks on every Conv2d
   (out_c x in_c/groups x kh x kw x oh x ow) and Linear (in x out) on one image.
2. The inputs: --images Fashion-MNIST test images (the first N), resized bilinearly to the model's
   resolution, the gray value in all three channels, pixel / 255 (no mean/std: random weights have
   no preprocessing to match). Exported by torch.onnx.export at opset 13 with batch N; torch's own
   output for the batch, computed in float64, is the case's expected output (tools/onnx_zoo/export_torch_forms.py's
   folder layout, docs/conformance.md "Cases of whole models").
3. `dlvpc compile model.onnx --hw zynq7020 --calib random:2`: the per-layer table (MACs, where each
   layer runs: kind `cpu` on the host CPU, any other kind on an engine) or the refusal (its first line).
4. `onnx_conformance --case DIR`: compiled again, calibrated on the case's own N images, each image
   one job on the SoC (run_package: bit-exact with the reference model), the SoC's output against
   torch's float output (SQNR, max |error|, top-1 agreement). Latency and energy per inference from
   the last job's report.json (accelerator.packages[0].per_inference: the job's time, the energy
   attributed to its layers).

A model that fails at any step gets its reason in the table and does not stop the others; every
step has a wall-time limit (--timeout). Prints progress on stderr.
"""

import argparse
import csv
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zlib

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from torch import nn  # noqa: E402

# name -> (label in the table, input resolution). 64x64 is what the CI machine affords for most;
# AlexNet and VGG-16 need 224 (their adaptive pooling to 6x6 / 7x7 must divide the feature map),
# Inception v3 needs >= 75, ViT-B/16 and Swin-T take 224 (position embedding, window sizes).
MODELS = {
    "alexnet": ("AlexNet", 224),
    "vgg16": ("VGG-16", 224),
    "resnet18": ("ResNet-18", 64),
    "resnet50": ("ResNet-50", 64),
    "resnext50_32x4d": ("ResNeXt-50", 64),
    "wide_resnet50_2": ("Wide-ResNet-50-2", 64),
    "squeezenet1_1": ("SqueezeNet 1.1", 64),
    "densenet121": ("DenseNet-121", 64),
    "googlenet": ("GoogLeNet", 64),
    "inception_v3": ("Inception v3", 96),
    "mobilenet_v2": ("MobileNetV2", 64),
    "mobilenet_v3_small": ("MobileNetV3-Small", 64),
    "shufflenet_v2_x1_0": ("ShuffleNetV2", 64),
    "mnasnet1_0": ("MNASNet", 64),
    "efficientnet_b0": ("EfficientNet-B0", 64),
    "regnet_y_400mf": ("RegNetY-400MF", 64),
    "vit_b_16": ("ViT-B/16 (stretch)", 224),
    "swin_t": ("Swin-T (stretch)", 224),
    "convnext_tiny": ("ConvNeXt-T (stretch)", 64),
}
FASHION_TEST_IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
# The BatchNorm statistics: test images 100..115, none of the evaluated ones (--images <= 100).
BATCH_NORM_IMAGES, BATCH_NORM_FIRST_IMAGE = 16, 100


def log(text):
    print(text, file=sys.stderr, flush=True)


def make_model(name, resolution):
    """torchvision's model, random weights from the name's seed, random BatchNorm scales and shifts,
    and BatchNorm statistics measured on images (as training leaves them: random statistics let the
    activations of a deep random network grow by a factor per layer, Inception v3's to 1e10, beyond
    any fixed-point format)."""
    seed = zlib.crc32(name.encode())
    torch.manual_seed(seed)
    kwargs = {"aux_logits": False, "init_weights": True} if name in ("googlenet", "inception_v3") else {}
    model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
    generator = torch.Generator().manual_seed(seed)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for module in norms:
        c = module.num_features
        module.weight.data.copy_(0.5 + torch.rand(c, generator=generator))
        module.bias.data.copy_(0.1 * torch.randn(c, generator=generator))
        module.reset_running_stats()
        module.momentum = None  # a cumulative average over the batch
        module.train()
    if norms:
        with torch.no_grad():
            model(fashion_inputs(BATCH_NORM_IMAGES, resolution, first=BATCH_NORM_FIRST_IMAGE))
    return model.eval()


def torch_macs(model, resolution):
    """MACs of one image as torchvision's models are usually counted: Conv2d and Linear only."""
    total = [0]

    def conv_hook(module, _inputs, output):
        kh, kw = module.kernel_size
        total[0] += output.shape[1] * (module.in_channels // module.groups) * kh * kw * output.shape[2] * output.shape[3]

    def linear_hook(module, inputs, _output):
        total[0] += module.in_features * module.out_features * (inputs[0].numel() // inputs[0].shape[-1])

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        model(torch.zeros(1, 3, resolution, resolution))
    for h in hooks:
        h.remove()
    return total[0]


def fashion_inputs(count, resolution, first=0):
    """`count` Fashion-MNIST test images from image `first`, resized, gray in 3 channels, pixel / 255."""
    with gzip.open(FASHION_TEST_IMAGES, "rb") as f:
        data = f.read(16 + (first + count) * 28 * 28)
    if len(data) < 16 + (first + count) * 28 * 28:
        sys.exit(f"error: {FASHION_TEST_IMAGES}: fewer than {first + count} images")
    pixels = np.frombuffer(data[16 + first * 28 * 28:], dtype=np.uint8).reshape(count, 1, 28, 28).astype(np.float32)
    pixels /= 255.0
    images = torch.nn.functional.interpolate(torch.from_numpy(pixels), size=(resolution, resolution),
                                             mode="bilinear", align_corners=False)
    return images.clamp(0, 1).repeat(1, 3, 1, 1)


def save_tensor(array, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array).SerializeToString())


def export_case(name, model, images, folder):
    """The conformance case folder: model.onnx and torch's output for the batch, computed in float64
    (float32's own rounding through a deep model, 1e-5 of the output's range, would eat most of the
    runner's float tolerance for dlvpc's float model)."""
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    torch.onnx.export(model, images, path, opset_version=13, do_constant_folding=True,
                      input_names=["input"], output_names=["output"])
    onnx.checker.check_model(path)  # by path: models over 2 GB would not load whole
    with torch.no_grad():
        output = model.double()(images.double()).float()
    model.float()
    save_tensor(images.numpy(), os.path.join(folder, "test_data_set_0", "input_0.pb"))
    save_tensor(output.numpy(), os.path.join(folder, "test_data_set_0", "output_0.pb"))
    return path


def run(command, timeout):
    """(exit status or None on timeout, stdout, stderr): apart, so that warnings on stderr never land
    inside a row of a table on stdout."""
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, text=True,
                              errors="replace")
        return done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as e:
        def text(x):
            return x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
        return None, text(e.stdout), text(e.stderr)


def refusal_summary(text):
    """dlvpc's refusal in one line: its first line, or for a list of unsupported nodes each operator
    and reason with its node count (`Clip x35: operator not supported by dlvpc; ...`)."""
    reasons = {}
    for line in text.splitlines():
        listed = re.match(r"\s+nodes? (.*?) \((\w+)\): (.*)", line)
        if listed:
            names, op, reason = listed.groups()
            more = re.search(r"and (\d+) more$", names)
            count = names.count("', '") + 1 + (int(more.group(1)) if more else 0)
            key = f"{op}: {re.sub(r'^group [0-9]+: ', '', reason)}"
            reasons[key] = reasons.get(key, 0) + count
    if reasons:
        return "; ".join(f"{key.split(':')[0]} x{n}:{key.split(':', 1)[1]}" for key, n in reasons.items())
    for line in text.splitlines():
        if line.strip() and not line.startswith("  "):
            return re.sub(r"^\S*model\.onnx: ", "", line.strip())  # the work folder's path says nothing
    return "no output"


def parse_layer_table(text):
    """dlvpc's per-layer table: (MACs, engine layers, CPU layers, layers by kind); concatenations
    and views run nowhere (free_layers)."""
    macs, kinds = 0, {}
    header = None
    for line in text.splitlines():
        fields = line.split()
        if fields[:3] == ["#", "layer", "kind"]:
            header = fields  # a row has its index where the header has '#'
            continue
        if header and len(fields) > header.index("MACs") and fields[0].isdigit():
            kind = fields[header.index("kind")]
            kinds[kind] = kinds.get(kind, 0) + 1
            macs += int(fields[header.index("MACs")])
    cpu = kinds.get("cpu", 0)
    return macs, sum(kinds.values()) - cpu - free_layers(kinds), cpu, kinds


def free_layers(kinds):
    """Layers without instructions: concatenations and views (their producers write in place)."""
    return kinds.get("concat", 0) + kinds.get("view", 0)


def compile_model(build, model_path, package_path, timeout):
    status, out, err = run([os.path.join(build, "dlvpc"), "compile", model_path, "--hw", "zynq7020", "--calib",
                            "random:2", "-o", package_path], timeout)
    if status is None:
        return {"compiled": False, "reason": f"dlvpc: no result within {timeout} s"}
    if status != 0:
        return {"compiled": False, "reason": refusal_summary(err + out), "dlvpc_status": status}
    macs, engine, cpu, kinds = parse_layer_table(out)
    return {"compiled": True, "dlvpc_macs": macs, "engine_layers": engine, "cpu_layers": cpu, "kinds": kinds}


def report_figures(run_dir):
    """Per inference, from a dlvp report.json (docs/report.md): the job's time and the energy of its
    layers (the dynamic energy attributed to them plus their share of the static energy)."""
    path = os.path.join(run_dir, "report.json")
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        packages = json.load(f).get("accelerator", {}).get("packages", [])
    if not packages or "per_inference" not in packages[0]:
        return {}
    per_inference = packages[0]["per_inference"]
    return {"latency_ns": per_inference["time_ns"], "energy_pj": per_inference["layer_energy"],
            "soc_macs": per_inference["macs"]}


def run_on_soc(build, folder, work, scenario, timeout):
    csv_path = os.path.join(work, "conformance.csv")
    status, out, err = run([os.path.join(build, "onnx_conformance"), "--dlvp", os.path.join(build, "dlvp"), "--case", folder,
                        "--work", work, "--csv", csv_path, "--scenario", scenario], timeout)
    if status is None:
        return {"soc": "timeout", "soc_reason": f"no result within {timeout} s"}
    if not os.path.isfile(csv_path):
        return {"soc": "error", "soc_reason": refusal_summary(err + out)}
    with open(csv_path) as f:
        row = next(csv.DictReader(f))
    result = {"soc": row["result"], "soc_checked": row["soc_checked"] == "1", "soc_reason": row["note"].split(";")[0]}
    for key in ("max_error", "sqnr_db", "float_error", "layer_ratio"):
        if row.get(key):
            result[key] = float(row[key])
    if row.get("top1_samples") and int(row["top1_samples"]) > 0:
        result["top1"] = f"{row['top1_agree']}/{row['top1_samples']}"
    test_dir = os.path.join(work, os.path.basename(folder.rstrip("/")))
    samples = sorted(d for d in os.listdir(test_dir) if d.startswith("sample_")) if os.path.isdir(test_dir) else []
    run_dir = os.path.join(test_dir, samples[-1] if samples else "", "run")
    result.update(report_figures(run_dir))
    return result


def scenario_file(work, max_time_ms):
    """scenarios/conformance.yaml with a run time that whole models need."""
    with open("scenarios/conformance.yaml") as f:
        text = f.read()
    text, count = re.subn(r"max_time_ms: *\d+", f"max_time_ms: {max_time_ms}", text)
    if count != 1:
        sys.exit("error: scenarios/conformance.yaml: no run.max_time_ms to raise")
    path = os.path.join(work, "zoo_scenario.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def evaluate(name, args, work, scenario):
    label, resolution = MODELS[name]
    row = {"model": name, "label": label, "resolution": resolution, "images": args.images}
    started = time.monotonic()
    try:
        model = make_model(name, resolution)
        row["torch_macs"] = torch_macs(model, resolution)
        folder = os.path.join(work, name)
        model_path = export_case(name, model, fashion_inputs(args.images, resolution), folder)
        del model
        row["onnx_mb"] = round(os.path.getsize(model_path) / 1e6, 1)
        log(f"  exported {row['onnx_mb']} MB, {row['torch_macs'] / 1e9:.3f} G MACs (torch)")
        row.update(compile_model(args.build, model_path, os.path.join(work, f"{name}.dlvp"), args.timeout))
        if row["compiled"]:
            log(f"  compiled: {row['engine_layers']} engine + {row['cpu_layers']} CPU layers, "
                f"{row['dlvpc_macs'] / 1e9:.3f} G MACs; running on the SoC")
            row.update(run_on_soc(args.build, folder, os.path.join(work, f"{name}.run"), scenario, args.timeout))
        else:
            log(f"  refused: {row['reason']}")
    except Exception as e:  # a model that fails must not stop the others
        row["compiled"] = False
        row["reason"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    row["seconds"] = round(time.monotonic() - started, 1)
    if not args.keep:
        subprocess.run(["rm", "-rf", os.path.join(work, name), os.path.join(work, f"{name}.dlvp")], check=False)
    return row


def g(value):
    return f"{value / 1e9:.3f}"


def table_row(r):
    macs = f"{g(r['dlvpc_macs'])} / {g(r['torch_macs'])}" if r.get("compiled") else \
        (f"- / {g(r['torch_macs'])}" if "torch_macs" in r else "-")
    if not r.get("compiled"):
        return f"| {r['label']} | {r['resolution']} | {macs} | refused: {r.get('reason', '?')} | | | | |"
    free = free_layers(r.get("kinds", {}))
    where = f"{r['engine_layers']} engine, {r['cpu_layers']} CPU" + (f" (+{free} concat/view)" if free else "")
    if r.get("soc") != "passed":
        return f"| {r['label']} | {r['resolution']} | {macs} | SoC {r.get('soc')}: {r.get('soc_reason', '')} | | {where} | | |"
    error = f"SQNR {r['sqnr_db']:.1f} dB, max err {r['max_error']:.2g}, top-1 {r.get('top1', '-')}"
    latency = f"{r['latency_ns'] / 1e6:.3f}" if "latency_ns" in r else "-"
    energy = f"{r['energy_pj'] / 1e9:.3f}" if "energy_pj" in r else "-"
    return f"| {r['label']} | {r['resolution']} | {macs} | bit-exact on the SoC | {error} | {where} | {latency} | {energy} |"


DOCS_BEGIN = "<!-- torchvision_zoo.py --docs: the table below is written by the script -->"
DOCS_END = "<!-- end of torchvision_zoo.py's table -->"


def table_text(rows):
    lines = [
        "| model | input | G MACs (dlvpc / torch) | result | vs torch float | layers ran on | latency ms | energy mJ |",
        "|---|---|---|---|---|---|---|---|",
    ] + [table_row(r) for r in rows]
    return "\n".join(lines) + "\n"


def write_docs(path, table):
    """The table between the markers of a docs page (docs/validation.md), the rest kept."""
    with open(path) as f:
        text = f.read()
    begin, end = text.find(DOCS_BEGIN), text.find(DOCS_END)
    if begin < 0 or end < begin:
        sys.exit(f"error: {path}: no '{DOCS_BEGIN}' ... '{DOCS_END}' markers")
    with open(path, "w") as f:
        f.write(text[:begin + len(DOCS_BEGIN)] + "\n\n" + table + "\n" + text[end:])


def write_outputs(rows, args):
    with open(args.table, "w") as f:
        f.write(table_text(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def load_rows(paths):
    """The rows of earlier runs' --json files, in MODELS' order (a later file's row replaces an earlier's)."""
    rows = {}
    for path in paths.split(","):
        with open(path) as f:
            for row in json.load(f):
                rows[row["model"]] = row
    return [rows[name] for name in MODELS if name in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", required=True, help="markdown table to write")
    parser.add_argument("--json", help="also write every figure as JSON")
    parser.add_argument("--build", default="build/dev", help="folder with dlvpc, dlvp, onnx_conformance")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated torchvision names")
    parser.add_argument("--images", type=int, default=2, help="Fashion-MNIST test images per model (jobs), 1..100")
    parser.add_argument("--timeout", type=int, default=900, help="wall seconds per step (compile, SoC run)")
    parser.add_argument("--max-time-ms", type=int, default=20000, help="simulated time limit of each SoC run")
    parser.add_argument("--work", help="work folder (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true", help="keep each model's ONNX file and package")
    parser.add_argument("--from-json", metavar="A.json[,B.json]",
                        help="run nothing: the table of earlier runs' --json files (e.g. VGG-16 run apart)")
    parser.add_argument("--docs", metavar="PAGE.md", help="also write the table into PAGE.md between its markers "
                        "(docs/validation.md)")
    args = parser.parse_args()
    if args.from_json:
        rows = load_rows(args.from_json)
        write_outputs(rows, args)
        if args.docs:
            write_docs(args.docs, table_text(rows))
        print(table_text(rows), end="")
        return
    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not 1 <= args.images <= 100:
        parser.error(f"unknown models {unknown}" if unknown else "--images must be in 1..100")
    for tool in ("dlvpc", "dlvp", "onnx_conformance"):
        if not os.access(os.path.join(args.build, tool), os.X_OK):
            sys.exit(f"error: {os.path.join(args.build, tool)} missing: build it first")
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory(prefix="torchvision_zoo_") as temporary:
        work = os.path.abspath(args.work or temporary)
        os.makedirs(work, exist_ok=True)
        scenario = scenario_file(work, args.max_time_ms)
        rows = []
        for i, name in enumerate(names, 1):
            log(f"[{i}/{len(names)}] {name} at {MODELS[name][1]}x{MODELS[name][1]}")
            rows.append(evaluate(name, args, work, scenario))
            log(f"  {rows[-1].get('soc', 'refused')} in {rows[-1]['seconds']} s")
            write_outputs(rows, args)  # a partial table survives an interrupted run
    if args.docs:
        write_docs(args.docs, table_text(rows))
    print(table_text(rows), end="")


if __name__ == "__main__":
    main()
