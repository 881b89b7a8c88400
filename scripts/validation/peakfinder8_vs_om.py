#!/usr/bin/env python3
"""Run OM's peakfinder8 and Vulkanite's reference on the same frames and compare the peak lists.

    python3 -m venv build-pf8/venv
    build-pf8/venv/bin/pip install wheel cython setuptools numpy fabio h5py pyyaml
    build-pf8/venv/bin/pip install --no-deps --no-build-isolation ondamonitor==23.8.3
    cmake -S . -B build-pf8 -G Ninja -DCMAKE_BUILD_TYPE=Release -DVULKANITE_BUILD_BENCH=OFF
    ninja -C build-pf8 vulkanite_tests
    build-pf8/venv/bin/python scripts/validation/peakfinder8_vs_om.py \\
        --out build-pf8/om-peaks --tests build-pf8/tests/vulkanite_tests

(ondamonitor ships only an sdist; its build needs `wheel` and `cython` present, hence
--no-build-isolation; of its many dependencies the peak finder and geometry code need only numpy,
h5py and pyyaml, hence --no-deps.) For every frame the script runs OM's own code, the Python layer
`om.algorithms.crystallography.Peakfinder8PeakDetection.find_peaks` and the C++ extension
`om.algorithms._crystallography.peakfinder_8` it wraps (for the full per-peak tuple), and writes
<out>/<case>/ with data.npy (float32, what OM's extension received), radius.npy (float32),
bad_pixel_map.npy (int8, before OM's min_res/max_res cut), case.json (layout, parameters, OM's
peak count) and om_peaks.npy (float64 [n, 8]: fs, ss, total intensity, com index, pixel count,
max intensity, sigma, snr; exact, since OM's values are floats). Then it runs the test binary's
Peakfinder8OmComparison test with VULKANITE_OM_PEAKS=<out>, which runs the reference on each case,
compares bit for bit (ULP distance per field) and writes <out>/comparison-{reference,gpu}.json (the CPU reference and the GPU
kernels, on the device VULKANITE_DEVICE names), summarised here.

Frames: the four Pilatus 6M frames of ../shared/data/pilatus6m (one ASIC of 2463 x 2527, as
OM's example Pilatus geometry; radius from a one-panel CrystFEL geometry with the header's beam
centre), the two CSPAD frames of ../shared/data/cspad (decoded by our reader through the test
binary, assembled into Cheetah's 1552 x 1480 CXI slab, radius from cspad-cxiformat.geom), each
with two parameter sets; hand-made frames for OM's oddities; and --synthetic random frames.
"""
import argparse
import bz2
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time

import numpy

# OM 23.8.3's type annotations use NumPy 1's alias numpy.float_, gone in NumPy 2; the alias is
# all it needs (its extension itself is built against the NumPy installed).
if not hasattr(numpy, "float_"):
    numpy.float_ = numpy.float64

import fabio  # noqa: E402
import om  # noqa: E402
from om.algorithms import crystallography as om_crystallography  # noqa: E402
from om.algorithms._crystallography import peakfinder_8  # noqa: E402
from om.lib.geometry import GeometryInformation  # noqa: E402

# OM's example configuration for a Pilatus (docs/files/local/pilatus/monitor.yaml), and a set
# like those used at XFELs (adc 10-50, snr 5, 2-200 pixels).
OM_PILATUS_EXAMPLE = dict(max_num_peaks=2048, adc_threshold=0.0, minimum_snr=6.0, min_pixel_count=1,
                          max_pixel_count=300, local_bg_radius=4, min_res=50, max_res=2000)
XFEL_LIKE = dict(max_num_peaks=2048, adc_threshold=20.0, minimum_snr=5.0, min_pixel_count=2,
                 max_pixel_count=200, local_bg_radius=3, min_res=0, max_res=1200)

PILATUS_BEAM_FS, PILATUS_BEAM_SS = 1261.61, 1306.96  # Beam_xy of the thau_3_2 headers, pixels
PILATUS_CUTOFF = 115897                               # Count_cutoff of the headers


def run_om(data, radius, bad_pixel_map, layout, params, fast_seed=None):
    """OM's peak list for one frame: the full tuple of its extension, checked against find_peaks."""
    group = {key: (float(v) if key in ("adc_threshold", "minimum_snr") else int(v)) for key, v in params.items()}
    group.update(bad_pixel_map_filename=None, bad_pixel_map_hdf5_path=None)
    if fast_seed is not None:
        group["fast_mode"] = True
        random.seed(fast_seed)  # OM samples the radial-statistics pixels with Python's random
    detector = om_crystallography.Peakfinder8PeakDetection(
        radius_pixel_map=radius, layout_info=layout, crystallography_parameters=group)
    detector.set_bad_pixel_map(bad_pixel_map)
    found = detector.find_peaks(data=data)
    full = peakfinder_8(group["max_num_peaks"], data.astype(numpy.float32), detector._mask, radius,
                        detector._radial_stats_num_pixels, detector._radial_stats_pixel_index,
                        detector._radial_stats_radius, int(fast_seed is not None),
                        layout["asic_nx"], layout["asic_ny"], layout["nasics_x"], layout["nasics_y"],
                        group["adc_threshold"], group["minimum_snr"], group["min_pixel_count"],
                        group["max_pixel_count"], group["local_bg_radius"])
    peaks = numpy.ascontiguousarray(numpy.array(full, dtype=numpy.float64).T.reshape(-1, 8))
    # find_peaks returns a subset of the same tuple; its "snr" entry is the tuple's sigma
    # (index 6, not 7): an oddity of OM's Python layer, checked here so that it is noticed if fixed.
    for key, column in (("fs", 0), ("ss", 1), ("intensity", 2), ("num_pixels", 4), ("max_pixel_intensity", 5),
                        ("snr", 6)):
        if not numpy.array_equal(numpy.asarray(found[key], dtype=numpy.float64), peaks[:, column]):
            raise RuntimeError(f"OM's find_peaks['{key}'] differs from column {column} of its extension's tuple")
    sample = None
    if fast_seed is not None:
        sample = (numpy.asarray(detector._radial_stats_pixel_index, dtype=numpy.int32),
                  numpy.asarray(detector._radial_stats_radius, dtype=numpy.int32))
    return peaks, sample


def write_case(out, name, data, radius, bad_pixel_map, layout, params, fast_seed=None, note=""):
    data = numpy.ascontiguousarray(data, dtype=numpy.float32)
    radius = numpy.ascontiguousarray(radius, dtype=numpy.float32)
    bad_pixel_map = numpy.ascontiguousarray(bad_pixel_map, dtype=numpy.int8)
    start = time.perf_counter()
    peaks, sample = run_om(data, radius, bad_pixel_map, layout, params, fast_seed)
    seconds = time.perf_counter() - start
    case = out / name
    case.mkdir(parents=True, exist_ok=True)
    numpy.save(case / "data.npy", data)
    numpy.save(case / "radius.npy", radius)
    numpy.save(case / "bad_pixel_map.npy", bad_pixel_map)
    if len(peaks):
        numpy.save(case / "om_peaks.npy", peaks)
    elif (case / "om_peaks.npy").exists():
        (case / "om_peaks.npy").unlink()
    if sample is not None:  # 2-D, as our .npy reader wants
        numpy.save(case / "sample_pixel_index.npy", sample[0].reshape(1, -1))
        numpy.save(case / "sample_radius.npy", sample[1].reshape(1, -1))
    meta = dict(layout=layout, params=params, fast_mode=sample is not None, om_num_peaks=len(peaks), note=note,
                shape=list(data.shape), om_seconds=round(seconds, 3))
    (case / "case.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"  {name:34s} {data.shape[1]:5d} x {data.shape[0]:<5d} OM: {len(peaks):5d} peaks ({seconds:.2f} s)")
    return len(peaks)


def one_panel_geometry(path, nx, ny, corner_x, corner_y, res):
    path.write_text(f"res = {res}\nadu_per_eV = 1\nclen = 0.1\ndim0 = %\ndim0 = ss\ndim1 = fs\ndata = /data/data\n\n"
                    f"p0/min_fs = 0\np0/max_fs = {nx - 1}\np0/min_ss = 0\np0/max_ss = {ny - 1}\n"
                    f"p0/corner_x = {corner_x}\np0/corner_y = {corner_y}\np0/fs = +1.0x\np0/ss = +1.0y\n")
    return GeometryInformation.from_file(geometry_filename=str(path))


def pilatus_cases(out, data_dir, tmp):
    frames = sorted((data_dir / "pilatus6m").glob("thau_3_2_000?.cbf.bz2"))
    if not frames:
        print(f"skip Pilatus 6M: no frames under {data_dir / 'pilatus6m'}")
        return
    # OM's pixel maps put pixel (fs, ss) of a panel at corner + fs * fs-vector + ss * ss-vector (the
    # pixel's corner, no half-pixel shift); the corner is minus the header's beam position.
    geometry = one_panel_geometry(tmp / "pilatus_thau.geom", 2463, 2527, -PILATUS_BEAM_FS, -PILATUS_BEAM_SS, 5814.0)
    radius = geometry.get_pixel_maps()["radius"]
    layout = dict(geometry.get_layout_info())
    for path in frames:
        cbf = tmp / path.name[:-4]
        cbf.write_bytes(bz2.decompress(path.read_bytes()))
        data = fabio.open(str(cbf)).data
        bad_pixel_map = (data >= 0) & (data < PILATUS_CUTOFF)
        stem = path.name[:-8]
        for label, params in (("om_example", OM_PILATUS_EXAMPLE), ("xfel_like", XFEL_LIKE)):
            write_case(out, f"real_{stem}_{label}", data, radius, bad_pixel_map, layout, params,
                       note="Pilatus 6M, one ASIC, radius from the header's beam centre")


def cspad_cases(out, data_dir, tmp, tests):
    geom = data_dir / "geometry" / "cspad-cxiformat.geom"
    if not geom.exists() or not (data_dir / "cspad").exists():
        print("skip CSPAD: cspad/ or geometry/cspad-cxiformat.geom missing")
        return
    export = tmp / "cspad"
    export.mkdir()
    env = dict(os.environ, VULKANITE_PF8_EXPORT=str(export), VULKANITE_DATA=str(data_dir))
    subprocess.run([str(tests), "--gtest_filter=Peakfinder8OmComparison.ExportsCspadFramesForTheScript"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    geometry = GeometryInformation.from_file(geometry_filename=str(geom))
    radius = geometry.get_pixel_maps()["radius"]
    layout = dict(geometry.get_layout_info())
    for path in sorted(export.glob("*.npy")):
        panels = numpy.load(path)  # 64 x 185 x 194, dxtbx order: quadrant, section, ASIC of the pair
        # Cheetah's CXI slab: quadrant q occupies fs 388 q .. 388 q + 387, section s rows 185 s ..
        slab = panels.reshape(4, 8, 2, 185, 194).transpose(1, 3, 0, 2, 4).reshape(8 * 185, 4 * 2 * 194)
        bad_pixel_map = (slab > -400) & (slab < 90000)  # the panels' trusted range (dxtbx)
        for label, params in (("xfel_like", XFEL_LIKE),
                              ("om_cxi_example", dict(max_num_peaks=2048, adc_threshold=250.0, minimum_snr=6.0,
                                                      min_pixel_count=2, max_pixel_count=30, local_bg_radius=4,
                                                      min_res=10, max_res=1000))):
            write_case(out, f"real_cspad_{path.stem[-3:]}_{label}", slab, radius, bad_pixel_map, layout, params,
                       note="CSPAD in the CXI slab, radius from cspad-cxiformat.geom")


def hand_frames():
    """The frames of tests/peakfinder8_reference_test.cpp: one ring, background 9/10/11, bright 100s."""
    def frame(nx, ny, nasics_x, bright):
        fs, ss = numpy.meshgrid(numpy.arange(nx * nasics_x), numpy.arange(ny), indexing="xy")
        data = (9 + (fs + 2 * ss) % 3).astype(numpy.float32)
        for x, y in bright:
            data[y, x] = 100
        layout = dict(asic_nx=nx, asic_ny=ny, nasics_x=nasics_x, nasics_y=1)
        return data, numpy.zeros_like(data), numpy.ones(data.shape, numpy.int8), layout
    small = dict(OM_PILATUS_EXAMPLE, min_res=0, local_bg_radius=2)
    yield "edge_pixel", frame(16, 16, 1, [(0, 8), (8, 8)]), small
    yield "edge_pixel_joins", frame(16, 16, 1, [(0, 8), (1, 8), (8, 8)]), small
    yield "zeroed_trail_corner", frame(16, 16, 1, [(0, 0), (8, 8)]), small
    yield "stale_trail_other_asic", frame(16, 16, 2, [(5, 5), (6, 5), (19, 3), (23, 6)]), small
    yield "max_num_peaks", frame(16, 16, 1, [(10, 4), (4, 4), (4, 10), (10, 10)]), dict(small, max_num_peaks=2)
    flat = frame(16, 16, 1, [])
    flat[0][:] = 5
    flat[0][8, 8] = 100
    yield "constant_ring", flat, small
    # 253 x 0.1 summed in float: a variance of -5.6e-8 in passes 2 and 5, kept as a negative
    # "sigma", so the ring's upper threshold lies below its mean: every pixel is above threshold
    # and the whole frame is one region (whose background falls back on the ring's mean). (With
    # no bright pixel the region's weights are all negative, its centre lies outside the frame,
    # and OM reads outside its radius map: undefined, so not a case here.)
    for name, limit in (("negative_variance", 300), ("negative_variance_too_large", 100)):
        tenths = frame(16, 16, 1, [])
        tenths[0][:] = numpy.float32(0.1)
        for x, y in ((8, 8), (3, 3), (5, 12)):
            tenths[0][y, x] = 100
        yield name, tenths, dict(small, max_pixel_count=limit)


def synthetic_frame(rng, layout, gain, gap):
    nx, ny = layout["asic_nx"] * layout["nasics_x"], layout["asic_ny"] * layout["nasics_y"]
    fs, ss = numpy.meshgrid(numpy.arange(nx), numpy.arange(ny), indexing="xy")
    # Panels of a tiled detector sit `gap` pixels apart; the radius map follows.
    x = fs + (fs // layout["asic_nx"]) * gap - rng.uniform(0.3, 0.7) * (nx + gap * layout["nasics_x"])
    y = ss + (ss // layout["asic_ny"]) * gap - rng.uniform(0.3, 0.7) * (ny + gap * layout["nasics_y"])
    radius = numpy.sqrt(x * x + y * y).astype(numpy.float32)
    scale = float(radius.max())
    background = 3 + 40 * numpy.exp(-radius / (0.3 * scale)) + 15 * numpy.exp(-((radius - 0.6 * scale) / 3.0) ** 2)
    # Some frames are nearly empty (photon counting at low dose): many rings are all zeros, and
    # OM's radial statistics then alternate between empty and full rings.
    expected = background.astype(numpy.float64) * float(rng.choice([1.0, 1.0, 1.0, 0.01]))
    spots = min(3000, int(nx * ny / rng.uniform(250, 2500)) + 3)  # one per 250 to 2500 pixels
    for _ in range(spots):
        cx, cy = rng.uniform(-1, nx), rng.uniform(-1, ny)
        if rng.random() < 0.15:  # on an ASIC border or corner
            cx = (rng.integers(0, layout["nasics_x"] + 1) * layout["asic_nx"]) + rng.uniform(-1.5, 0.5)
        width = rng.uniform(0.4, 1.6)
        amplitude = float(rng.lognormal(5, 1.2))
        x0, x1 = max(int(cx - 5 * width), 0), min(int(cx + 5 * width) + 2, nx)
        y0, y1 = max(int(cy - 5 * width), 0), min(int(cy + 5 * width) + 2, ny)
        if x0 >= x1 or y0 >= y1:
            continue
        gx, gy = numpy.meshgrid(numpy.arange(x0, x1), numpy.arange(y0, y1), indexing="xy")
        expected[y0:y1, x0:x1] += amplitude * numpy.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * width * width))
    data = rng.poisson(expected).astype(numpy.float64) * gain
    bad_pixel_map = numpy.ones(data.shape, numpy.int8)
    n = data.size
    hot = rng.choice(n, size=max(1, n // 5000), replace=False)
    data.flat[hot] = rng.uniform(1e3, 1e5, size=hot.size)
    bad_pixel_map.flat[hot[: hot.size // 2]] = 0        # half of the hot pixels known, half not
    dead = rng.choice(n, size=max(1, n // 3000), replace=False)
    data.flat[dead] = numpy.where(rng.random(dead.size) < 0.5, 0.0, -1.0)
    bad_pixel_map.flat[dead[data.flat[dead] < 0]] = 0   # negative ones masked, zeros not
    if rng.random() < 0.3:                               # a masked rectangle (beam stop shadow)
        y0, x0 = int(rng.integers(0, ny)), int(rng.integers(0, nx))
        bad_pixel_map[y0:y0 + ny // 8, x0:x0 + nx // 8] = 0
    if rng.random() < 0.1:                               # NaN pixels, masked or not: OM skips them
        data.flat[rng.choice(n, size=5, replace=False)] = numpy.nan
    return data.astype(numpy.float32), radius, bad_pixel_map


def synthetic_params(rng, radius):
    scale = float(radius.max())
    return dict(max_num_peaks=int(rng.choice([2048, 2048, 2048, 2048, 20, 3])),
                adc_threshold=float(rng.choice([10.0, 20.0, 35.5, 50.0, 0.0])),
                minimum_snr=float(rng.choice([5.0, 4.0, 6.0, 7.25])),
                min_pixel_count=int(rng.integers(1, 4)),
                max_pixel_count=int(rng.choice([200, 50, 20, 300])),
                local_bg_radius=int(rng.integers(2, 6)),
                min_res=int(rng.choice([0, 0, 5, int(0.1 * scale)])),
                max_res=int(rng.choice([1200, 2000, int(0.8 * scale)])))


SYNTHETIC_LAYOUTS = [  # (layout, gap between panels in pixels)
    (dict(asic_nx=64, asic_ny=64, nasics_x=1, nasics_y=1), 0),
    (dict(asic_nx=128, asic_ny=96, nasics_x=1, nasics_y=1), 0),
    (dict(asic_nx=32, asic_ny=24, nasics_x=2, nasics_y=2), 3),
    (dict(asic_nx=40, asic_ny=30, nasics_x=3, nasics_y=2), 5),
    (dict(asic_nx=194, asic_ny=185, nasics_x=2, nasics_y=4), 4),    # a CSPAD quadrant's worth
    (dict(asic_nx=194, asic_ny=185, nasics_x=8, nasics_y=8), 4),    # a whole CSPAD slab
    (dict(asic_nx=2463, asic_ny=2527, nasics_x=1, nasics_y=1), 0),  # a Pilatus 6M
]
SYNTHETIC_WEIGHTS = [25, 25, 20, 15, 8, 4, 3]


def main():
    here = pathlib.Path(__file__).resolve().parents[2]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("VULKANITE_DATA", here.parent / "shared" / "data"))
    p.add_argument("--out", default=here / "build-pf8" / "om-peaks")
    p.add_argument("--tests", default=here / "build-pf8" / "tests" / "vulkanite_tests")
    p.add_argument("--synthetic", type=int, default=110, help="number of synthetic frames (default 110)")
    p.add_argument("--seed", type=int, default=20240805)
    p.add_argument("--export-only", action="store_true", help="write the cases, do not run the test binary")
    args = p.parse_args()
    data_dir, out, tests = pathlib.Path(args.data), pathlib.Path(args.out), pathlib.Path(args.tests)
    print(f"OM (ondamonitor) {om.__version__}, numpy {numpy.__version__}, fabio {fabio.version}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = pathlib.Path(tmp_name)
        print("real frames:")
        pilatus_cases(out, data_dir, tmp)
        if tests.exists():
            cspad_cases(out, data_dir, tmp, tests)
        else:
            print(f"skip CSPAD: {tests} not built (its reader decodes the packed CBFs)")
    print("hand-made frames (OM's oddities):")
    for name, (data, radius, bad_pixel_map, layout), params in hand_frames():
        write_case(out, f"hand_{name}", data, radius, bad_pixel_map, layout, params)
    print(f"{args.synthetic} synthetic frames (seed {args.seed}):")
    rng = numpy.random.default_rng(args.seed)
    weights = numpy.array(SYNTHETIC_WEIGHTS, dtype=float) / sum(SYNTHETIC_WEIGHTS)
    for k in range(args.synthetic):
        layout, gap = SYNTHETIC_LAYOUTS[int(rng.choice(len(SYNTHETIC_LAYOUTS), p=weights))]
        gain = float(rng.choice([1.0, 1.0, 0.37, 2.9]))
        data, radius, bad_pixel_map = synthetic_frame(rng, layout, gain, gap)
        params = synthetic_params(rng, radius)
        fast_seed = int(rng.integers(0, 2**31)) if rng.random() < 0.1 else None
        write_case(out, f"synthetic_{k:03d}", data, radius, bad_pixel_map, dict(layout), params, fast_seed,
                   note=f"gain {gain}, gap {gap}" + (", fast_mode" if fast_seed is not None else ""))
    if args.export_only:
        return 0
    if not tests.exists():
        print(f"{tests} not built: build vulkanite_tests, or pass --tests")
        return 1
    env = dict(os.environ, VULKANITE_OM_PEAKS=str(out))
    run = subprocess.run([str(tests), "--gtest_filter=Peakfinder8OmComparison.PeakListsEqualOmsBitForBit:"
                                      "Peakfinder8Gpu.PeakListsEqualOmsBitForBit"],
                         env=env, capture_output=True, text=True)
    for name in ("reference", "gpu"):
        path = out / f"comparison-{name}.json"
        report = json.loads(path.read_text()) if path.exists() else []
        groups = {}
        for row in report:
            group = row["case"].split("_")[0]
            g = groups.setdefault(group, dict(frames=0, identical_frames=0, om_peaks=0, identical_peaks=0, max_ulp=0))
            g["frames"] += 1
            g["identical_frames"] += int(row["om_peaks"] == row["our_peaks"] == row["identical_peaks"])
            g["om_peaks"] += row["om_peaks"]
            g["identical_peaks"] += row["identical_peaks"]
            g["max_ulp"] = max(g["max_ulp"], row["max_ulp"])
            if row["first_difference"]:
                print(f"  {name} {row['case']}: {row['first_difference']}")
        print(f"{name}:")
        print(f"{'frames':10s} {'count':>6s} {'identical':>9s} {'OM peaks':>9s} {'identical':>9s} {'max ULP':>8s}")
        for group, g in groups.items():
            print(f"{group:10s} {g['frames']:6d} {g['identical_frames']:9d} {g['om_peaks']:9d} "
                  f"{g['identical_peaks']:9d} {g['max_ulp']:8d}")
    summary = [line for line in run.stdout.splitlines() if line.startswith("peakfinder8 (")]
    print("\n".join(summary) if summary and run.returncode == 0 else run.stdout + run.stderr)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
