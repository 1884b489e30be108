"""SciPy's side of bench/monitor/drift.js: the same drift metrics on the same arrays, timed here.

Usage: python3 bench/monitor/scipy_drift.py ARRAYS.f64 FEATURES ROWS CATEGORICAL.json BINS

ARRAYS.f64 holds float64 values (little-endian) feature by feature, the reference rows then the
current rows. Per numeric feature: scipy.stats.ks_2samp(method='asymp'), wasserstein_distance divided
by max(np.std(reference), 0.001), the reference's quantile edges (np.quantile, linear), counts by
np.searchsorted, PSI (Evidently's empty-bin rule) and scipy.spatial.distance.jensenshannon. Per
categorical feature: scipy.stats.chisquare against the scaled reference and jensenshannon. Reading
the file is not timed. Prints one JSON object: seconds (wall clock), cpuSeconds (process CPU time,
which a loaded machine distorts less), versions and the results, for the bench to compare with its
own.
"""

import json
import sys
import time

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon


def fill_empty(p, epsilon=1e-4):
    smallest = p[p > 0].min()
    fill = smallest / 1e6 if smallest <= epsilon else epsilon
    return np.where(p == 0, fill, p)


def numeric(ref, cur, bins):
    ks = stats.ks_2samp(ref, cur, method="asymp")
    normed = stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)
    quantiles = np.quantile(ref, np.arange(1, bins) / bins)
    edges = [q for q in quantiles if q > ref.min()]
    edges = np.array([e for k, e in enumerate(edges) if k == 0 or e > edges[k - 1]])
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1)
    p = fill_empty(ref_counts / ref_counts.sum())
    q = fill_empty(cur_counts / cur_counts.sum())
    psi = float(np.sum((q - p) * np.log(q / p)))
    return [float(ks.pvalue), float(normed), psi, float(jensenshannon(ref_counts, cur_counts))]


def categorical(ref, cur):
    ref = np.asarray(ref, dtype=float)
    cur = np.asarray(cur, dtype=float)
    chi = stats.chisquare(cur, ref * cur.sum() / ref.sum())
    return [float(chi.pvalue), float(jensenshannon(ref, cur))]


def main():
    path, features, rows, categorical_path, bins = sys.argv[1:6]
    features, rows, bins = int(features), int(rows), int(bins)
    arrays = np.fromfile(path, dtype="<f8").reshape(features, 2, rows)
    with open(categorical_path) as f:
        counts = json.load(f)
    began = time.perf_counter()
    began_cpu = time.process_time()
    results = [numeric(arrays[k, 0], arrays[k, 1], bins) for k in range(features)]
    results += [categorical(ref, cur) for ref, cur in zip(counts["reference"], counts["current"])]
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - began_cpu
    print(json.dumps({"seconds": seconds, "cpuSeconds": cpu_seconds, "scipy": scipy.__version__, "numpy": np.__version__, "results": results}))


if __name__ == "__main__":
    main()
