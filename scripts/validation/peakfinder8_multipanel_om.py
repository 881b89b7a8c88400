#!/usr/bin/env python3
"""OM's peakfinder8 layout and radius map for the shared CrystFEL geometries, as a fingerprint
that tests/peakfinder8_multipanel_test.cpp compares with io::peakfinder8_layout and
io::peakfinder8_radius_map.

    build-pf8/venv/bin/python scripts/validation/peakfinder8_multipanel_om.py [GEOMETRY_DIR]

(the venv of scripts/validation/peakfinder8_vs_om.py: OM 23.8.3, NumPy 2). For each .geom it runs
om.lib.geometry.GeometryInformation (OM's own parser, layout and pixel maps) and prints the layout
and radius_hash of OM's float32 radius map: the wrap-around sum over pixels i of
splitmix64(bits(radius[i]) | i << 32), the function the test computes on ours. OM 23.8.3 cannot
read jf-swissfel-16M.geom as written (`photon_energy = 4570 eV` and `clen = 95.3 mm` carry units,
`m0/min_fs = 0.0` is not an integer); neither changes the pixel maps, so the script reports the
error and then reads a copy with the units dropped and the ranges written as integers.
"""
import pathlib
import re
import sys
import tempfile

import numpy

numpy.float_ = numpy.float64  # OM 23.8.3's annotations use the alias NumPy 2 removed
from om.lib.geometry import GeometryInformation  # noqa: E402

M64 = numpy.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(z):
    z = (z ^ (z >> numpy.uint64(30))) * numpy.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> numpy.uint64(27))) * numpy.uint64(0x94D049BB133111EB)
    return z ^ (z >> numpy.uint64(31))


def radius_hash(radius):
    bits = numpy.ascontiguousarray(radius, dtype=numpy.float32).ravel().view(numpy.uint32).astype(numpy.uint64)
    index = numpy.arange(bits.size, dtype=numpy.uint64) << numpy.uint64(32)
    with numpy.errstate(over="ignore"):
        return int(numpy.sum(splitmix64(bits | index), dtype=numpy.uint64))


def om_geometry(path):
    try:
        return GeometryInformation.from_file(geometry_filename=str(path), geometry_format="crystfel"), ""
    except Exception as error:  # OM's parser raises plain ValueErrors on such files
        text = path.read_text()
        text = re.sub(r"^(photon_energy\s*=\s*[0-9.]+)\s*eV", r"\1", text, flags=re.M)
        text = re.sub(r"^(clen\s*=\s*)([0-9.]+)\s*mm", lambda m: m.group(1) + repr(float(m.group(2)) / 1000), text, flags=re.M)
        text = re.sub(r"^(\S+/(?:min|max)_(?:fs|ss)\s*=\s*[0-9]+)\.0\s*$", r"\1", text, flags=re.M)
        with tempfile.NamedTemporaryFile("w", suffix=".geom", delete=False) as copy:
            copy.write(text)
        why = f"OM cannot read it ({type(error).__name__}: {error}); read with units and '.0' dropped"
        return GeometryInformation.from_file(geometry_filename=copy.name, geometry_format="crystfel"), why


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[3] / "shared/data/geometry")
    for path in sorted(root.glob("*.geom")):
        geometry, why = om_geometry(path)
        layout = geometry.get_layout_info()
        radius = geometry.get_pixel_maps()["radius"]
        print(f"{path.name}: layout {layout['asic_nx']} {layout['asic_ny']} {layout['nasics_x']} {layout['nasics_y']}, "
              f"slab {radius.shape[0]} x {radius.shape[1]} {radius.dtype}, radius_hash 0x{radius_hash(radius):016x}"
              + (f"; {why}" if why else ""))


if __name__ == "__main__":
    main()
