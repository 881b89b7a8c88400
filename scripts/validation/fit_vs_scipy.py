#!/usr/bin/env python3
"""`vulkanite fit` against scipy.optimize.least_squares on real ODMR spectra (docs/fit_validation.md).

    pip install numpy scipy            # numpy 2.4.6, scipy 1.17.1 for the recorded results
    VULKANITE_DEVICE=llvmpipe python3 scripts/validation/fit_vs_scipy.py \\
        --vulkanite build-fitcli/vulkanite [--data ../shared/data] [--json results.json]

Both sides fit the same model, b + s x - sum_k A_k g_k^2 / ((x - x0_k)^2 + g_k^2) (x in GHz), to
the same float32 data and float32 frequencies (what the GPU sees), from the same start values:
the CLI's automatic guess, which it writes to PREFIX_initial.npy. scipy runs in double with the
analytic Jacobian and tolerances at 1e-15 (until the cost stops changing), the CLI with
--tolerance 0 (until chi^2 stops decreasing) and 200 iterations at most. Widths are compared as
absolute values (the model depends on g^2 only; the CLI reports |g|).

Data:
  odmr/widefield_21x25x200_counts.npy + widefield_freqs_GHz.npy: 525 spectra, one dip each;
  odmr/nv_widefield_lsr/*.npz: 16 spectra (freqs in Hz, converted to GHz). Each is fitted with
  the number of dips counted in it: local minima (over +-2 points) deeper than 1 % of the
  median of the first and last 10 points (at least 1, at most 8).

Reported per parameter: the relative difference |v - s| / |s| and the difference in units of the
scipy standard error; the worst of each, and every fit whose difference exceeds --rel (1e-4) with
both sides' chi^2, so that a fit where the two found different minima can be told from one
where they disagree about the same minimum.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.optimize import least_squares


def model(p, x):
    f = p[0] + p[1] * x
    for j in range(2, len(p), 3):
        a, x0, g = p[j:j + 3]
        f = f - a * g * g / ((x - x0) ** 2 + g * g)
    return f


def jacobian(p, x):
    jac = np.empty((len(x), len(p)))
    jac[:, 0] = 1.0
    jac[:, 1] = x
    for j in range(2, len(p), 3):
        a, x0, g = p[j:j + 3]
        dx = x - x0
        r = 1.0 / (dx * dx + g * g)
        lor = g * g * r
        jac[:, j] = -lor
        jac[:, j + 1] = -2 * a * r * dx * lor
        jac[:, j + 2] = -2 * a * r * g * (1 - lor)
    return -jac  # of the residual y - f


def scipy_fit(x, y, p0):
    res = least_squares(lambda p: y - model(p, x), p0, jac=lambda p: jacobian(p, x), method="lm",
                        xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20000)
    p = res.x.copy()
    chi2 = float(np.sum(res.fun ** 2))
    dof = len(x) - len(p)
    try:
        cov = np.linalg.inv(res.jac.T @ res.jac) * chi2 / dof
        err = np.sqrt(np.abs(np.diag(cov)))
    except np.linalg.LinAlgError:
        err = np.full(len(p), np.nan)
    for j in range(4, len(p), 3):
        p[j] = abs(p[j])
    return p, err, chi2


def run_cli(cli, data, x, dips, workdir, name):
    data_path, x_path = os.path.join(workdir, name + "_data.npy"), os.path.join(workdir, name + "_x.npy")
    np.save(data_path, data.astype(np.float32))
    np.save(x_path, x.astype(np.float32))
    prefix = os.path.join(workdir, name)
    cmd = [cli, "fit", data_path, "--model", "odmr", "--dips", str(dips), "--x", x_path, "--tolerance", "0",
           "--max-iterations", "200", "--out", prefix]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("vulkanite fit failed: " + done.stderr)
    print("  " + done.stderr.strip().replace("\n", "\n  "))
    out = {k: np.load(prefix + "_" + k + ".npy") for k in ("params", "errors", "states", "chi2", "iterations", "initial")}
    return out


def count_dips(y):
    base = np.median(np.r_[y[:10], y[-10:]])
    depth = (base - y) / base
    n = sum(1 for i in range(2, len(y) - 2) if depth[i] == depth[i - 2:i + 3].max() and depth[i] > 0.01)
    return min(max(n, 1), 8)


def compare(label, x, spectra, cli_out, rel, rows):
    fits = spectra.shape[0]
    params = cli_out["params"].reshape(fits, -1)
    errors = cli_out["errors"].reshape(fits, -1)
    initial = cli_out["initial"].reshape(fits, -1).astype(np.float64)
    states = cli_out["states"].reshape(fits)
    chi2 = cli_out["chi2"].reshape(fits)
    xd = x.astype(np.float32).astype(np.float64)
    for n in range(fits):
        y = spectra[n].astype(np.float32).astype(np.float64)
        p, err, s_chi2 = scipy_fit(xd, y, initial[n])
        v = params[n].astype(np.float64)
        rel_diff = np.abs(v - p) / np.maximum(np.abs(p), 1e-300)
        sigma_diff = np.abs(v - p) / err
        rows.append({"set": label, "fit": n, "state": int(states[n]), "worst_rel": float(rel_diff.max()),
                     "worst_param": int(rel_diff.argmax()), "worst_sigma": float(np.nanmax(sigma_diff)),
                     "chi2_vulkanite": float(chi2[n]), "chi2_scipy": s_chi2,
                     "error_rel": float(np.nanmax(np.abs(errors[n] - err) / err)),
                     "vulkanite": v.tolist(), "scipy": p.tolist(), "initial": initial[n].tolist()})


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vulkanite", default=os.path.join(here, "..", "..", "build-fitcli", "vulkanite"))
    parser.add_argument("--data", default=os.environ.get("VULKANITE_DATA", os.path.join(here, "..", "..", "..", "shared", "data")))
    parser.add_argument("--rel", type=float, default=1e-4)
    parser.add_argument("--json", help="write every fit's comparison here")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        odmr = os.path.join(args.data, "odmr")
        cube = np.load(os.path.join(odmr, "widefield_21x25x200_counts.npy"))
        freqs = np.load(os.path.join(odmr, "widefield_freqs_GHz.npy"))
        print("widefield cube", cube.shape)
        out = run_cli(args.vulkanite, cube, freqs, 1, work, "widefield")
        compare("widefield", freqs, cube.reshape(-1, cube.shape[-1]), out, args.rel, rows)

        files = sorted(glob.glob(os.path.join(odmr, "nv_widefield_lsr", "*.npz")))
        groups = {}
        for f in files:
            z = np.load(f)
            groups.setdefault(count_dips(z["signal_raw"]), []).append((os.path.basename(f), z["freqs"] / 1e9, z["signal_raw"]))
        for dips, items in sorted(groups.items()):
            print(f"lsr, {dips} dips: {len(items)} spectra")
            spectra = np.stack([s for _, _, s in items])
            out = run_cli(args.vulkanite, spectra, items[0][1], dips, work, f"lsr{dips}")
            compare(f"lsr {dips} dips", items[0][1], spectra, out, args.rel, rows)
            for r, (name, _, _) in zip(rows[-len(items):], items):
                r["file"] = name
    converged = [r for r in rows if r["state"] == 0]
    print(f"\n{len(rows)} fits, {len(converged)} converged in vulkanite")
    for label in sorted({r["set"] for r in rows}):
        rs = [r for r in rows if r["set"] == label]
        worst = max(rs, key=lambda r: r["worst_rel"])
        print(f"{label:16s} {len(rs):4d} fits: worst relative difference {worst['worst_rel']:.2e} "
              f"(fit {worst['fit']}, parameter {worst['worst_param']}), worst {max(r['worst_sigma'] for r in rs):.2e} "
              f"scipy standard errors; standard errors within {max(r['error_rel'] for r in rs):.2e} relative")
    bad = [r for r in rows if r["worst_rel"] > args.rel]
    for r in bad:
        print(f"  over {args.rel:g}: {r['set']} fit {r['fit']} {r.get('file', '')} state {r['state']}: "
              f"rel {r['worst_rel']:.3e} on parameter {r['worst_param']}, chi2 vulkanite {r['chi2_vulkanite']:.9g} "
              f"scipy {r['chi2_scipy']:.9g}\n    vulkanite {np.array(r['vulkanite'])}\n    scipy     {np.array(r['scipy'])}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    print(f"{len(rows) - len(bad)} of {len(rows)} fits with every parameter within {args.rel:g} relative")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
