#!/usr/bin/env python3
"""Compare Vulkanite's pyFAI-flavour peakfinder8 with pyFAI's own on the shared Pilatus 6M frame.

    python3 scripts/validation/peakfinder8_pyfai_vs_pyfai.py [--data ../shared/data]
        [--tests build/tests/vulkanite_tests] [--out .data/peakfinder8_pyfai] [--device llvmpipe]
        [--no-pyfai] > summary.md

Needs numpy and fabio; for the live run also pyFAI (2026.9 here) with pyopencl and an OpenCL
device (pocl on the CPU is enough: pocl-opencl-icd). Steps:

1. Decompresses pilatus6m/thau_3_2_0001.cbf.bz2 into --out (an ignored folder).
2. Runs pyFAI's OCL_PeakFinder.peakfinder8 with the settings of the data README's reference
   lists: AzimuthalIntegrator(detector="Pilatus6M", wavelength=0.96859e-10).setFit2D(351.0,
   1261.61, 1306.96); mask (I < 0) | (I > 65000); setup_CSR(shape, 1000, mask, unit="r_mm",
   split="no", scale=False); radius = array_from_unit(shape, "center", "r_mm", scale=False);
   error_model="azimuthal", cycle=3 (cutoff_clip left at its default 5) and the cutoff / noise /
   connected / patch_size of each list. It keeps pyFAI's sigma-clipped mean and std per bin too.
3. Writes case.json and runs the test binary's Peakfinder8PyfaiPilatus test with
   VULKANITE_PYFAI_PF8=<out>: Vulkanite's GPU peak finder and its CPU reference on the same frame
   (required to agree bit for bit), peaks to <name>_vulkanite.csv, background to <name>_background.csv.
4. Matches peaks: with pyFAI run here by flat pixel index (exact); with the shared CSVs
   (pyFAI 0.21.3, written with 6 significant digits) by the index within its rounding and the
   nearest centroid. Reports matched / missing (pyFAI's, not ours) / extra (ours, not pyFAI's),
   the largest relative differences of intensity, sigma and the centroid coordinates over the
   matched peaks, and the background's largest relative differences.

The markdown summary goes to stdout (docs/peakfinder8_pyfai.md holds the last one).
"""
import argparse
import bz2
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy

HERE = pathlib.Path(__file__).resolve().parents[2]
CASES = [  # (cutoff_peak, noise, connected, patch_size): the shared data's reference lists
    (3, 1, 3, 3),
    (5, 1, 3, 3),
    (3, 2, 9, 5),
]
SETTINGS = dict(wavelength=0.96859e-10, fit2d=(351.0, 1261.61, 1306.96), bins=1000, unit="r_mm",
                mask_max=65000, error_model="azimuthal", cycle=3, cutoff_clip=5.0)


def case_name(cut, noise, conn, patch):
    return f"cut{cut}_noise{noise}_conn{conn}_patch{patch}"


def read_ours(path):
    rows = numpy.loadtxt(path, delimiter=",", comments="#", ndmin=2)
    if rows.size == 0:
        rows = numpy.zeros((0, 5))
    # Written with 9 significant digits: back to float32, they are the very bits computed.
    f32 = rows.astype(numpy.float32).astype(numpy.float64)
    return dict(index=rows[:, 0].astype(numpy.int64), intensity=f32[:, 1], sigma=f32[:, 2], pos0=f32[:, 3],
                pos1=f32[:, 4])


def read_csv(path):
    rows = numpy.loadtxt(path, delimiter=",", comments="#", ndmin=2)
    return dict(pos0=rows[:, 0], pos1=rows[:, 1], intensity=rows[:, 2], sigma=rows[:, 3], index=rows[:, 4])


def run_pyfai(image, mask):
    import pyopencl
    from pyFAI.integrator.azimuthal import AzimuthalIntegrator
    from pyFAI.opencl.peak_finder import OCL_PeakFinder

    ai = AzimuthalIntegrator(detector="Pilatus6M", wavelength=SETTINGS["wavelength"])
    ai.setFit2D(*SETTINGS["fit2d"])
    engine = ai.setup_CSR(image.shape, SETTINGS["bins"], mask=mask, unit=SETTINGS["unit"], split="no", scale=False)
    radius = ai.array_from_unit(image.shape, "center", SETTINGS["unit"], scale=False)
    ctx = pyopencl.create_some_context(interactive=False)
    device = ctx.devices[0]
    pf = OCL_PeakFinder(engine.lut, image.size, unit=engine.unit, bin_centers=engine.bin_centers, radius=radius,
                        mask=mask, ctx=ctx)
    out = {}
    for case in CASES:
        cut, noise, conn, patch = case
        t0 = time.time()
        peaks = pf.peakfinder8(image, error_model=SETTINGS["error_model"], cycle=SETTINGS["cycle"],
                               cutoff_clip=SETTINGS["cutoff_clip"], cutoff_peak=cut, noise=noise, connected=conn,
                               patch_size=patch)
        seconds = time.time() - t0
        mean = numpy.empty(SETTINGS["bins"], numpy.float32)
        std = numpy.empty(SETTINGS["bins"], numpy.float32)
        pyopencl.enqueue_copy(pf.queue, mean, pf.cl_mem["averint"])
        pyopencl.enqueue_copy(pf.queue, std, pf.cl_mem["std"])
        order = numpy.argsort(peaks["index"])
        out[case] = dict(peaks={k: numpy.asarray(peaks[k][order], numpy.float64) for k in
                                ("index", "intensity", "sigma", "pos0", "pos1")},
                         mean=mean, std=std, seconds=seconds)
        out[case]["peaks"]["index"] = out[case]["peaks"]["index"].astype(numpy.int64)
    return out, f"{device.platform.name} / {device.name}"


def match_exact(ours, theirs):
    common, io, it = numpy.intersect1d(ours["index"], theirs["index"], return_indices=True)
    return io, it


def match_rounded(ours, csv):
    """CSV indices carry 6 significant digits: candidates within the rounding, nearest centroid."""
    io, it = [], []
    used = set()
    for k, value in enumerate(csv["index"]):
        half = 0.5 * 10.0 ** (numpy.floor(numpy.log10(max(value, 1.0))) - 5)
        near = numpy.nonzero(numpy.abs(ours["index"] - value) <= half + 0.5)[0]
        if near.size == 0:
            continue
        d = numpy.hypot(ours["pos0"][near] - csv["pos0"][k], ours["pos1"][near] - csv["pos1"][k])
        best = near[numpy.argmin(d)]
        if d.min() <= 0.5 and best not in used:
            used.add(best)
            io.append(best)
            it.append(k)
    return numpy.array(io, dtype=numpy.int64), numpy.array(it, dtype=numpy.int64)


def compare(ours, theirs, io, it):
    row = dict(theirs=len(theirs["index"]), ours=len(ours["index"]), matched=len(io),
               missing=len(theirs["index"]) - len(it), extra=len(ours["index"]) - len(io))
    for key in ("intensity", "sigma", "pos0", "pos1"):
        a, b = ours[key][io], theirs[key][it]
        rel = numpy.abs(a - b) / numpy.maximum(numpy.abs(b), 1e-30)
        row[f"{key}_max_rel"] = float(rel.max()) if rel.size else 0.0
        row[f"{key}_median_rel"] = float(numpy.median(rel)) if rel.size else 0.0
        if key.startswith("pos"):
            row[f"{key}_max_abs"] = float(numpy.abs(a - b).max()) if rel.size else 0.0
    same = numpy.ones(len(io), dtype=bool)
    for key in ("intensity", "sigma", "pos0", "pos1"):
        same &= ours[key][io].astype(numpy.float32) == theirs[key][it].astype(numpy.float32)
    row["identical"] = int(same.sum())
    lost = numpy.setdiff1d(numpy.arange(len(theirs["index"])), it)
    extra = numpy.setdiff1d(numpy.arange(len(ours["index"])), io)
    row["missing_intensity_max"] = float(theirs["intensity"][lost].max()) if lost.size else 0.0
    row["extra_intensity_max"] = float(ours["intensity"][extra].max()) if extra.size else 0.0
    return row


def table(rows):
    head = ("| case | against | pyFAI peaks | ours | matched | missing | extra | I max rel | sigma max rel | "
            "pos0 max abs (px) | pos1 max abs (px) | pos max rel | same float32 bits | largest I missing / extra |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, against, r in rows:
        lines.append(
            f"| {name} | {against} | {r['theirs']} | {r['ours']} | {r['matched']} | {r['missing']} | {r['extra']} | "
            f"{r['intensity_max_rel']:.2e} | {r['sigma_max_rel']:.2e} | {r['pos0_max_abs']:.2e} | "
            f"{r['pos1_max_abs']:.2e} | {max(r['pos0_max_rel'], r['pos1_max_rel']):.2e} | {r['identical']} | "
            f"{r['missing_intensity_max']:.4g} / {r['extra_intensity_max']:.4g} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=pathlib.Path, default=HERE.parent / "shared" / "data")
    parser.add_argument("--tests", type=pathlib.Path, default=HERE / "build" / "tests" / "vulkanite_tests")
    parser.add_argument("--out", type=pathlib.Path, default=HERE / ".data" / "peakfinder8_pyfai")
    parser.add_argument("--device", default=os.environ.get("VULKANITE_DEVICE", ""))
    parser.add_argument("--no-pyfai", action="store_true", help="compare with the shared CSVs only")
    args = parser.parse_args()

    import fabio

    args.out.mkdir(parents=True, exist_ok=True)
    cbf = args.out / "thau_3_2_0001.cbf"
    if not cbf.exists():
        with bz2.open(args.data / "pilatus6m" / "thau_3_2_0001.cbf.bz2") as src, open(cbf, "wb") as dst:
            shutil.copyfileobj(src, dst)
    image = fabio.open(str(cbf)).data
    mask = (image < 0) | (image > SETTINGS["mask_max"])

    live, platform = ({}, None) if args.no_pyfai else run_pyfai(image, mask)

    meta = dict(frame=str(cbf), poni=str(args.data / "pilatus6m" / "thau_3_2.poni"), bins=SETTINGS["bins"],
                unit=SETTINGS["unit"], mask_max=SETTINGS["mask_max"],
                cases=[dict(name=case_name(*c), cutoff_peak=c[0], noise=c[1], connected=c[2], patch_size=c[3],
                            error_model=SETTINGS["error_model"], cycle=SETTINGS["cycle"],
                            cutoff_clip=SETTINGS["cutoff_clip"]) for c in CASES])
    (args.out / "case.json").write_text(json.dumps(meta, indent=2))
    env = dict(os.environ, VULKANITE_PYFAI_PF8=str(args.out))
    if args.device:
        env["VULKANITE_DEVICE"] = args.device
    t0 = time.time()
    proc = subprocess.run([str(args.tests), "--gtest_filter=Peakfinder8PyfaiPilatus.*"], env=env,
                          capture_output=True, text=True)
    ours_seconds = time.time() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit("the test binary failed")
    summary = {s["name"]: s for s in json.loads((args.out / "summary.json").read_text())}

    rows, background_rows, failed = [], [], False
    for case in CASES:
        name = case_name(*case)
        ours = read_ours(args.out / f"{name}_vulkanite.csv")
        failed |= not summary[name]["gpu_equals_reference"]
        csv_path = args.data / "pilatus6m" / f"thau_3_2_0001_pyfai_pf8_{name}.csv"
        if csv_path.exists():
            csv = read_csv(csv_path)
            rows.append((name, "CSV (pyFAI 0.21.3)", compare(ours, csv, *match_rounded(ours, csv))))
        if case in live:
            theirs = live[case]["peaks"]
            rows.append((name, "pyFAI 2026.9 here", compare(ours, theirs, *match_exact(ours, theirs))))
            bg = numpy.loadtxt(args.out / f"{name}_background.csv", delimiter=",", comments="#")
            bg[:, :3] = bg[:, :3].astype(numpy.float32)
            filled = (bg[:, 3] > 0) & (live[case]["mean"] != 0)
            mean_rel = numpy.abs(bg[filled, 1] - live[case]["mean"][filled]) / numpy.abs(live[case]["mean"][filled])
            std_rel = numpy.abs(bg[filled, 2] - live[case]["std"][filled]) / numpy.abs(live[case]["std"][filled])
            same = int(((bg[filled, 1] == live[case]["mean"][filled]) & (bg[filled, 2] == live[case]["std"][filled])).sum())
            background_rows.append((name, int(filled.sum()), float(mean_rel.max()), float(numpy.median(mean_rel)),
                                    float(std_rel.max()), float(numpy.median(std_rel)), same, live[case]["seconds"]))

    print("# pyFAI-flavour peakfinder8: Vulkanite vs pyFAI on thau_3_2_0001 (Pilatus 6M)\n")
    print(f"Vulkanite: {args.tests} on VULKANITE_DEVICE={args.device or '(default)'}, "
          f"{ours_seconds:.1f} s for the three cases with their CPU reference; GPU == reference bit for bit: "
          + ", ".join(f"{n}: {'yes' if s['gpu_equals_reference'] else 'NO'}" for n, s in summary.items()) + ".")
    if platform:
        print(f"pyFAI {__import__('pyFAI').version} through OpenCL on {platform}.")
    print()
    print(table(rows))
    if background_rows:
        print("\nSigma-clipped background per bin, Vulkanite vs pyFAI 2026.9 (bins with pixels):\n")
        print("| case | bins | mean max rel | mean median rel | std max rel | std median rel | same bits (mean and std) "
              "| pyFAI run (s) |")
        print("|---|---|---|---|---|---|---|---|")
        for r in background_rows:
            print(f"| {r[0]} | {r[1]} | {r[2]:.2e} | {r[3]:.2e} | {r[4]:.2e} | {r[5]:.2e} | {r[6]} | {r[7]:.1f} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
