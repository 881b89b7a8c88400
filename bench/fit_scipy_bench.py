#!/usr/bin/env python3
"""scipy.optimize.least_squares on bench/fit_bench.cpp's jobs, one CPU core: the CPU baseline a
Python user has (docs/benchmarks.md, issue 6).

    pip install numpy scipy
    python3 bench/fit_scipy_bench.py [--odmr-fits 200] [--gauss-fits 2000]

The jobs as fit_bench.cpp makes them (its own random draws, not its bits): each model at
parameters varied by 2 % per fit, 1 % Gaussian noise, float32 data; 2D Gaussians start 5 % off;
ODMR starts 5 % off in the amplitudes and background only, with each dip's position and width
at the truth's 2 % variation (the C++ job uses the fit command's automatic guess, which needs the
project's code). scipy runs 'lm' (MINPACK) in double with the analytic Jacobian and Gpufit's
stopping rule (ftol 1e-4, at most 25 x (P + 1) evaluations). Reports fits/s and the median number
of function evaluations.
"""
import argparse
import os
import sys
import time

import numpy as np
from scipy.optimize import least_squares

# The ODMR model and its Jacobian (of the residual data - model) as the validation script has them.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "validation"))
from fit_vs_scipy import jacobian as odmr_residual_jacobian  # noqa: E402
from fit_vs_scipy import model as odmr  # noqa: E402


def gauss2d(p, xy):
    x, y = xy
    return p[0] * np.exp(-((x - p[1]) ** 2 + (y - p[2]) ** 2) / (2 * p[3] ** 2)) + p[4]


def gauss2d_residual_jacobian(p, xy):  # of data - model
    x, y = xy
    e = np.exp(-((x - p[1]) ** 2 + (y - p[2]) ** 2) / (2 * p[3] ** 2))
    r2 = (x - p[1]) ** 2 + (y - p[2]) ** 2
    return -np.stack([e, p[0] * e * (x - p[1]) / p[3] ** 2, p[0] * e * (y - p[2]) / p[3] ** 2,
                      p[0] * e * r2 / p[3] ** 3, np.ones_like(x)], axis=1)


def run(name, fits, truth, coordinates, f, jacobian, starts_from, rng):
    truth = np.asarray(truth, dtype=np.float64)
    problems = []
    for _ in range(fits):
        p = truth * (1 + 0.02 * rng.uniform(-1, 1, truth.size))
        clean = f(p, coordinates)
        data = (clean + 0.01 * np.abs(clean) * rng.normal(size=clean.shape)).astype(np.float32)
        problems.append((data.astype(np.float64), starts_from(p, rng)))
    evaluations = []
    start = time.perf_counter()
    for data, p0 in problems:
        r = least_squares(lambda q: data - f(q, coordinates), p0, jac=lambda q: jacobian(q, coordinates),
                          method="lm", ftol=1e-4, xtol=1e-12, gtol=1e-12, max_nfev=25 * (truth.size + 1))
        evaluations.append(r.nfev)
    seconds = time.perf_counter() - start
    print(f"{name}: {fits} fits in {seconds:.2f} s, {fits / seconds:.0f} fits/s on one core, "
          f"median {np.median(evaluations):.0f} function evaluations")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--odmr-fits", type=int, default=200)
    parser.add_argument("--gauss-fits", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    x = np.arange(100, dtype=np.float32).astype(np.float64) / 100
    odmr_truth = [1.0, 0.02]
    for k in range(8):
        odmr_truth += [0.08 + 0.01 * (k % 3), 0.08 + 0.105 * k, 0.012]

    def odmr_start(p, rng):
        start = p.copy()
        start[0] *= 1 + 0.05 * rng.uniform(-1, 1)
        start[2::3] *= 1 + 0.05 * rng.uniform(-1, 1, 8)
        return start

    def gauss_start(p, rng):
        return p * (1 + 0.05 * rng.uniform(-1, 1, p.size))

    run("odmr8_100pts", args.odmr_fits, odmr_truth, x, odmr, odmr_residual_jacobian, odmr_start, rng)
    for side, truth in ((5, [500, 2.1, 1.9, 1.0, 20]), (15, [500, 7.1, 6.9, 1.8, 20])):
        k = np.arange(side * side)
        grid = (np.asarray(k % side, dtype=np.float64), np.asarray(k // side, dtype=np.float64))
        run(f"gauss2d_{side}x{side}", args.gauss_fits if side == 5 else args.gauss_fits // 4, truth, grid, gauss2d,
            gauss2d_residual_jacobian, gauss_start, rng)


if __name__ == "__main__":
    main()
