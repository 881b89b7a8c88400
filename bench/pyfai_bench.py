#!/usr/bin/env python3
"""pyFAI's own timings for the jobs of bench/integrate_bench.cpp, to put beside Vulkanite's.

Same geometry (the thaumatin Pilatus 6M header geometry), same settings: 1D r_mm 1000 bins without
splitting and without corrections (the peak finder's setting), 1D 2th_deg 1000 bins bbox with
solid angle and polarization 0.99, 2D q_nm^-1 500 x 360 bbox, sigma clipping (poisson cycle 3 and
5, azimuthal cycle 3). Engines: pyFAI's OpenCL ("csr", "opencl") on every OpenCL device found
(pocl on a CPU-only machine), and its Cython ("csr", "cython") as the CPU baseline.

Frames: the real thau_3_2_0001.cbf when $VULKANITE_DATA (or ../shared/data) has it, else a
synthetic Poisson frame of the same shape. Times are wall-clock per call, median of --repeat
calls after one warm-up call (which builds the CSR matrix and compiles the kernels).

Needs: pip install pyFAI pyopencl fabio; an OpenCL driver (Debian: apt-get install pocl-opencl-icd).
Usage: python3 bench/pyfai_bench.py [--repeat 5] [--json out.json]
"""
import argparse
import bz2
import json
import os
import statistics
import sys
import tempfile
import time

import numpy


def load_frame():
    data = os.environ.get("VULKANITE_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    path = os.path.join(data, "pilatus6m", "thau_3_2_0001.cbf.bz2")
    if os.path.exists(path):
        import fabio
        with tempfile.NamedTemporaryFile(suffix=".cbf") as tmp:
            tmp.write(bz2.open(path).read())
            tmp.flush()
            return fabio.open(tmp.name).data.astype(numpy.int32), "thau_3_2_0001.cbf"
    rng = numpy.random.default_rng(1)
    return rng.poisson(10.0, size=(2527, 2463)).astype(numpy.int32), "synthetic Poisson(10)"


def integrator():
    import pyFAI.detectors
    from pyFAI.integrator.azimuthal import AzimuthalIntegrator
    ai = AzimuthalIntegrator(detector=pyFAI.detectors.detector_factory("Pilatus6M"), wavelength=0.96859e-10)
    ai.setFit2D(351.0, 1261.61, 1306.96)
    return ai


def timed(call, repeat):
    call()  # warm-up: CSR construction, kernel compilation
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def jobs(ai, frame, mask, method1d, method2d):
    yield "1d_r_mm_1000_no_split/integrate_poisson", lambda: ai.integrate1d_ng(
        frame, 1000, unit="r_mm", method=("no",) + method1d, mask=mask, error_model="poisson",
        correctSolidAngle=False)
    yield "1d_2th_deg_1000_bbox/integrate_poisson", lambda: ai.integrate1d_ng(
        frame, 1000, unit="2th_deg", method=("bbox",) + method1d, mask=mask, error_model="poisson",
        polarization_factor=0.99)
    yield "2d_q_nm_500x360_bbox/integrate_poisson", lambda: ai.integrate2d_ng(
        frame, 500, 360, unit="q_nm^-1", method=("bbox",) + method2d, mask=mask, error_model="poisson",
        polarization_factor=0.99)
    for name, model, cycles in (("sigma_clip_poisson_cycle3", "poisson", 3),
                                ("sigma_clip_azimuthal_cycle3", "azimuthal", 3),
                                ("sigma_clip_poisson_cycle5", "poisson", 5)):
        yield f"1d_r_mm_1000_no_split/{name}", lambda model=model, cycles=cycles: ai.sigma_clip_ng(
            frame, 1000, unit="r_mm", method=("no",) + method1d, mask=mask, error_model=model,
            max_iter=cycles, thres=5.0, correctSolidAngle=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()

    frame, source = load_frame()
    mask = (frame < 0) | (frame > 65000)
    results = []
    engines = [("cython", ("csr", "cython"), ("csr", "cython"))]
    try:
        import pyopencl
        for p, platform in enumerate(pyopencl.get_platforms()):
            for d, device in enumerate(platform.get_devices()):
                engines.append((f"opencl {device.name.strip()}", ("csr", "opencl", (p, d)), ("csr", "opencl", (p, d))))
    except Exception as error:  # no pyopencl or no driver: Cython only, and say so
        print(f"pyFAI OpenCL not measured: {error}", file=sys.stderr)

    for engine, method1d, method2d in engines:
        ai = integrator()
        for name, call in jobs(ai, frame, mask, method1d, method2d):
            seconds = timed(call, args.repeat)
            results.append({"engine": engine, "job": name, "ms": seconds * 1e3})
            print(f"{engine:40s} {name:50s} {seconds * 1e3:10.2f} ms", flush=True)

    import pyFAI
    summary = {"pyFAI": pyFAI.version, "frame": source, "shape": list(frame.shape), "results": results}
    if args.json:
        with open(args.json, "w") as out:
            json.dump(summary, out, indent=1)


if __name__ == "__main__":
    main()
