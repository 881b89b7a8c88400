#!/usr/bin/env python3
"""Dump pyFAI's per-pixel geometry for the shared PONIs, then compare Vulkanite's against it.

    python -m venv build-geo/venv && build-geo/venv/bin/pip install pyFAI numpy fabio
    build-geo/venv/bin/python scripts/validation/poni_vs_pyfai.py \
        --data ../shared/data --out build-geo/pyfai-ref --tests build-geo/tests/vulkanite_tests

For each PONI it writes <out>/<name>/<quantity>.npy (float64, C order, full detector):
2th_deg, 2th_rad, q_nm^-1, q_A^-1, r_mm, chi_deg, solid_angle (solidAngleArray, relative),
polarization_0.99 (factor 0.99, offset 0), polarization_-0.5_0.3 (factor -0.5, offset 0.3 rad),
corners_2th_rad and corners_q_nm^-1 (rows x cols x 4 x (radial, chi_rad)), plus the PONI itself
re-saved by this pyFAI (version 2.1) as resaved.poni and the shape in shape.txt. The Fe3O4
geometry is also dumped on a Pilatus 1M in orientations 1, 2 and 4 (PONI 2.1 orientation). Then it runs
the test binary's PyFAIReference tests with VULKANITE_PYFAI_REF=<out>, which print the largest
relative difference per quantity and fail above 1e-6.
"""
import argparse
import os
import pathlib
import subprocess
import sys

import numpy
import pyFAI

# Detector shapes for the version-1 PONIs, which carry pixel sizes but not the detector.
PONIS = {
    "CeO2_Pilatus1M": ("powder/CeO2_Pilatus1M.poni", (1043, 981)),
    "Fe3O4C_M1_map": ("powder/Fe3O4C_M1_map.poni", (1043, 981)),
    "thau_3_2": ("pilatus6m/thau_3_2.poni", None),
}


def dump(ai, shape, out):
    out.mkdir(parents=True, exist_ok=True)
    for unit in ["2th_deg", "2th_rad", "q_nm^-1", "q_A^-1", "r_mm", "chi_deg"]:
        arr = ai.array_from_unit(shape, "center", unit, scale=True)
        numpy.save(out / f"{unit}.npy", numpy.ascontiguousarray(arr, dtype=numpy.float64))
    numpy.save(out / "solid_angle.npy", ai.solidAngleArray(shape, absolute=False).astype(numpy.float64))
    # pyFAI returns polarization as float32; the reference keeps that, hence a looser bound there.
    numpy.save(out / "polarization_0.99.npy", ai.polarization(shape, factor=0.99).astype(numpy.float64))
    numpy.save(out / "polarization_-0.5_0.3.npy",
               ai.polarization(shape, factor=-0.5, axis_offset=0.3).astype(numpy.float64))
    # scale=False: pyFAI's internal units, 2th in rad / q in nm^-1 and chi in rad.
    for unit in ["2th_rad", "q_nm^-1"]:
        ai.reset()
        c = ai.corner_array(shape, unit=unit, scale=False)
        numpy.save(out / f"corners_{unit}.npy", numpy.ascontiguousarray(c, dtype=numpy.float64))
    (out / "shape.txt").write_text(f"{shape[0]} {shape[1]}\n")
    ai.save(str(out / "resaved.poni"))


def main():
    here = pathlib.Path(__file__).resolve().parents[2]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("VULKANITE_DATA", here.parent / "shared" / "data"))
    p.add_argument("--out", default=here / "build-geo" / "pyfai-ref")
    p.add_argument("--tests", default=here / "build-geo" / "tests" / "vulkanite_tests")
    p.add_argument("--dump-only", action="store_true")
    args = p.parse_args()
    data, out = pathlib.Path(args.data), pathlib.Path(args.out)
    print(f"pyFAI {pyFAI.version}, numpy {numpy.__version__}")
    for name, (rel, shape) in PONIS.items():
        path = data / rel
        if not path.exists():
            print(f"skip {name}: {path} missing")
            continue
        ai = pyFAI.load(str(path))
        shape = shape or ai.detector.max_shape
        if os.path.exists(out / name / "resaved.poni"):
            os.remove(out / name / "resaved.poni")
        dump(ai, tuple(shape), out / name)
        print(f"wrote {out / name} {shape}")
    # pyFAI >= 2024 detector orientations (PONI 2.1): the Fe3O4 geometry on a flipped Pilatus 1M.
    fe = data / PONIS["Fe3O4C_M1_map"][0]
    if fe.exists():
        from pyFAI.detectors import Pilatus1M
        base = pyFAI.load(str(fe))
        for orientation in (1, 2, 4):
            ai = pyFAI.load(str(fe))
            ai.detector = Pilatus1M(orientation=orientation)
            ai.dist, ai.poni1, ai.poni2 = base.dist, base.poni1, base.poni2
            ai.rot1, ai.rot2, ai.rot3 = base.rot1, base.rot2, base.rot3
            target = out / f"Fe3O4C_M1_map_orientation{orientation}"
            if os.path.exists(target / "resaved.poni"):
                os.remove(target / "resaved.poni")
            dump(ai, (1043, 981), target)
            print(f"wrote {target} (orientation {orientation})")
    if args.dump_only:
        return 0
    env = dict(os.environ, VULKANITE_PYFAI_REF=str(out))
    return subprocess.call([str(args.tests), "--gtest_filter=PoniPyFAIReference*"], env=env)


if __name__ == "__main__":
    sys.exit(main())
