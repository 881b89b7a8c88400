#!/usr/bin/env python3
"""Export pyFAI's own CSR integration matrices, for tests/integration_matrix_test.cpp to compare with.

    pip install pyFAI numpy            # pyFAI 2026.9.0 for the recorded results
    python3 scripts/validation/export_pyfai_csr.py --out build-matrix/pyfai-csr
    VULKANITE_PYFAI_CSR=build-matrix/pyfai-csr \\
        build-matrix/tests/vulkanite_tests --gtest_filter='IntegrationMatrixPyFAI*'

(--tests PATH runs that last step itself.) For each case it writes <out>/<case>/:

  case.json     the options: PONI (relative to the data folder) or poni_file (in the case
                folder), shape, unit, npt, npt_azim, split, radial_range, azimuth_range (null
                when absent), mask file or null
  geometry.poni for the orientation cases: the PONI as pyFAI saves it (version 2.1)
  indptr.npy    int32   (1, rows + 1)   pyFAI's CSR row pointers
  indices.npy   int32   (1, entries)    flat pixel index of each entry
  data.npy      float32 (1, entries)    coefficient of each entry
  radial.npy    float64 (1, npt_rad)    bin centres as integrate1d/2d return them (unit's scale)
  azimuthal.npy float64 (1, npt_azim)   2D only, degrees
  mask.npy      uint8   (rows, cols)    when the case has a mask (the Pilatus module gaps)

Arrays are 2-D because Vulkanite's .npy reader reads images. The matrices are those
setup_sparse_integrator(shape, npt, mask, pos0_range, pos1_range, unit=..., split=...,
algo="CSR", scale=False) builds, with the ranges converted as integrate1d_ng / integrate2d_ng
convert them (radial range / unit.scale, azimuth range through normalize_azimuth_range). For
each case the script also runs integrate1d_ng / integrate2d_ng with the same options and checks
that the engine pyFAI built for it holds the same arrays, so the export is the matrix pyFAI
really integrates with. 2D rows are in pyFAI's order, radial-major (row = radial * npt_azim +
azimuthal); Vulkanite numbers them azimuth-major, and the test maps one onto the other.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys

import numpy
import pyFAI
from pyFAI import units
from pyFAI.integrator.azimuthal import AzimuthalIntegrator

# name: (PONI under the data folder, "PONI@N" for that geometry on a Pilatus 1M in pyFAI orientation N;
#        shape or None for the PONI's detector; unit; npt; npt_azim or None for 1D; split;
#        radial_range in the unit; azimuth_range in degrees; mask: None or "gaps", the detector's)
CASES = {
    "fe3o4_2th_deg_1508_bbox": ("powder/Fe3O4C_M1_map.poni", (1043, 981), "2th_deg", 1508, None, "bbox",
                                None, None, None),
    "thau_r_mm_1000_no_gaps": ("pilatus6m/thau_3_2.poni", None, "r_mm", 1000, None, "no", None, None, "gaps"),
    "thau_q_nm_500x360_bbox_gaps": ("pilatus6m/thau_3_2.poni", None, "q_nm^-1", 500, 360, "bbox", None, None,
                                    "gaps"),
    # Ranges: radial range in the unit, azimuth range crossing 0 and ending inside the detector.
    "fe3o4_q_A_1000_bbox_ranges": ("powder/Fe3O4C_M1_map.poni", (1043, 981), "q_A^-1", 1000, None, "bbox",
                                   (0.5, 5.0), (-100.0, 45.0), None),
    "ceo2_2th_deg_300x72_no_ranges": ("powder/CeO2_Pilatus1M.poni", (1043, 981), "2th_deg", 300, 72, "no",
                                      (5.0, 30.0), (-180.0, 180.0), None),
    "ceo2_r_mm_200x90_bbox": ("powder/CeO2_Pilatus1M.poni", (1043, 981), "r_mm", 200, 90, "bbox", None, None,
                              None),
    # Tilted geometry in q, 1D and 2D with both ranges (the azimuthal one inside the detector).
    "ceo2_q_nm_1000_bbox": ("powder/CeO2_Pilatus1M.poni", (1043, 981), "q_nm^-1", 1000, None, "bbox", None, None,
                            None),
    "ceo2_q_nm_400x180_bbox_ranges": ("powder/CeO2_Pilatus1M.poni", (1043, 981), "q_nm^-1", 400, 180, "bbox",
                                      (2.0, 60.0), (-90.0, 90.0), None),
    # Full splitting (1D): tilted, and with both ranges.
    "ceo2_2th_deg_1000_full": ("powder/CeO2_Pilatus1M.poni", (1043, 981), "2th_deg", 1000, None, "full", None,
                               None, None),
    "thau_q_nm_800_full_ranges_gaps": ("pilatus6m/thau_3_2.poni", None, "q_nm^-1", 800, None, "full", (1.0, 40.0),
                                       (-170.0, 120.0), "gaps"),
    # Full splitting (2D): the beam on the detector (pixels across the chi discontinuity), and ranges.
    "fe3o4_q_nm_300x72_full": ("powder/Fe3O4C_M1_map.poni", (1043, 981), "q_nm^-1", 300, 72, "full", None, None,
                               None),
    "thau_2th_deg_500x360_full_gaps": ("pilatus6m/thau_3_2.poni", None, "2th_deg", 500, 360, "full", None, None,
                                       "gaps"),
    "ceo2_r_mm_250x100_full_ranges": ("powder/CeO2_Pilatus1M.poni", (1043, 981), "r_mm", 250, 100, "full",
                                      (10.0, 150.0), (-120.0, 150.0), None),
    # pyFAI >= 2024 detector orientations (PONI 2.1): the Fe3O4 geometry on a flipped Pilatus 1M.
    "fe3o4_orientation2_q_nm_200x90_full": ("powder/Fe3O4C_M1_map.poni@2", (1043, 981), "q_nm^-1", 200, 90, "full",
                                            None, None, None),
    "fe3o4_orientation1_2th_deg_1000_bbox": ("powder/Fe3O4C_M1_map.poni@1", (1043, 981), "2th_deg", 1000, None,
                                             "bbox", None, None, None),
}


def save_row(path, array, dtype):
    numpy.save(path, numpy.ascontiguousarray(numpy.asarray(array, dtype=dtype).reshape(1, -1)))


def export(name, case, data, out):
    poni, shape, unit_name, npt, npt_azim, split, radial_range, azimuth_range, mask_kind = case
    orientation = None
    if "@" in poni:  # PONI@orientation: that geometry on a Pilatus 1M in this orientation
        poni, orientation = poni.split("@")
    ai = pyFAI.load(str(data / poni), type_=AzimuthalIntegrator)
    if orientation is not None:
        from pyFAI.detectors import Pilatus1M
        base = pyFAI.load(str(data / poni))
        ai.detector = Pilatus1M(orientation=int(orientation))
        ai.dist, ai.poni1, ai.poni2 = base.dist, base.poni1, base.poni2
        ai.rot1, ai.rot2, ai.rot3 = base.rot1, base.rot2, base.rot3
    if shape is None:
        shape = ai.detector.shape
    mask = None
    if mask_kind == "gaps":
        mask = numpy.ascontiguousarray(ai.detector.mask, dtype=numpy.int8)
    two_d = npt_azim is not None
    unit = units.to_unit(unit_name)

    # What integrate1d_ng / integrate2d_ng pass on (scale=False: the unit's internal representation).
    pos0_range = None if radial_range is None else tuple(radial_range[i] / unit.scale for i in (0, -1))
    pos1_range = None if azimuth_range is None else ai.normalize_azimuth_range(azimuth_range)
    npt_arg = (npt, npt_azim) if two_d else npt
    unit_arg = (unit, units.CHI_DEG) if two_d else unit
    csr = ai.setup_sparse_integrator(shape, npt_arg, mask=mask, pos0_range=pos0_range, pos1_range=pos1_range,
                                     unit=unit_arg, split=split, algo="CSR", scale=False)

    # The same options through the public API: its engine must hold the very same matrix. (With
    # mask=None, integrate*_ng would take the detector's own mask: pass "no pixel masked" instead.)
    frame = numpy.ones(shape, dtype=numpy.float32)
    api_mask = numpy.zeros(shape, dtype=numpy.int8) if mask is None else mask
    method = (split, "csr", "cython")
    ai.reset()
    if two_d:
        res = ai.integrate2d_ng(frame, npt, npt_azim, unit=unit, method=method, mask=api_mask,
                                radial_range=radial_range, azimuth_range=azimuth_range, correctSolidAngle=False)
        engine = ai.engines[res.method].engine
        radial = csr.bin_centers0 * unit.scale
        azimuthal = csr.bin_centers1 * units.CHI_DEG.scale
        assert numpy.array_equal(res.radial, radial) and numpy.array_equal(res.azimuthal, azimuthal), name
    else:
        res = ai.integrate1d_ng(frame, npt, unit=unit, method=method, mask=api_mask, radial_range=radial_range,
                                azimuth_range=azimuth_range, correctSolidAngle=False)
        engine = ai.engines[res.method].engine
        radial = csr.bin_centers * unit.scale
        azimuthal = None
        assert numpy.array_equal(res.radial, radial), name
    if not all(numpy.array_equal(mine, theirs) for mine, theirs in zip(csr.lut, engine.lut)):
        # 2D full splitting starts from numpy.empty(256) (splitpixel_common calc_lut_2d): the first
        # pixel it splits may pick up whatever that memory held. Build again until two agree.
        for attempt in range(5):
            again = ai.setup_sparse_integrator(shape, npt_arg, mask=mask, pos0_range=pos0_range,
                                               pos1_range=pos1_range, unit=unit_arg, split=split, algo="CSR",
                                               scale=False)
            if all(numpy.array_equal(a, b) for a, b in zip(again.lut, csr.lut)):
                break
            csr = again
        else:
            raise AssertionError(f"{name}: pyFAI builds a different matrix each time")
        print(f"{name}: pyFAI's first build differed from the next (uninitialised buffer); kept the repeatable one")
    data_, indices, indptr = csr.lut

    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    save_row(d / "indptr.npy", indptr, numpy.int32)
    save_row(d / "indices.npy", indices, numpy.int32)
    save_row(d / "data.npy", data_, numpy.float32)
    save_row(d / "radial.npy", radial, numpy.float64)
    if two_d:
        save_row(d / "azimuthal.npy", azimuthal, numpy.float64)
    if mask is not None:
        numpy.save(d / "mask.npy", numpy.ascontiguousarray(mask, dtype=numpy.uint8))
    if orientation is not None:  # the PONI as this pyFAI writes it (version 2.1, with the orientation)
        if (d / "geometry.poni").exists():
            (d / "geometry.poni").unlink()
        ai.save(str(d / "geometry.poni"))
    meta = {"poni": poni if orientation is None else None,
            "poni_file": None if orientation is None else "geometry.poni", "shape": list(shape), "unit": unit_name, "npt": npt, "npt_azim": npt_azim,
            "split": split, "radial_range": radial_range, "azimuth_range": azimuth_range,
            "mask": "mask.npy" if mask is not None else None, "pyfai": pyFAI.version,
            "entries": int(indptr[-1])}
    (d / "case.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{name}: {indptr[-1]} entries in {len(indptr) - 1} rows, {(data_ != 1).sum()} coefficients != 1")


def main():
    here = pathlib.Path(__file__).resolve().parents[2]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=pathlib.Path,
                   default=pathlib.Path(os.environ.get("VULKANITE_DATA", here.parent / "shared" / "data")))
    p.add_argument("--out", type=pathlib.Path, default=here / "build-matrix" / "pyfai-csr")
    p.add_argument("--tests", type=pathlib.Path, help="run this vulkanite_tests binary against the export")
    p.add_argument("cases", nargs="*", help=f"cases to export (default all: {', '.join(CASES)})")
    args = p.parse_args()
    for name in args.cases or CASES:
        export(name, CASES[name], args.data, args.out)
    if args.tests:
        env = dict(os.environ, VULKANITE_PYFAI_CSR=str(args.out))
        sys.exit(subprocess.call([str(args.tests), "--gtest_filter=IntegrationMatrixPyFAI*"], env=env))


if __name__ == "__main__":
    main()
