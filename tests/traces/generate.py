#!/usr/bin/env python3
"""Regenerates the shipped traces (deterministic: fixed seeds). Run from the repo root:
    python3 tests/traces/generate.py
Each trace is CSV `t,pool,arrivals` (jobs arriving in second t), only non-zero seconds.
Pools (tests/traces/pools.yaml): small (1 s jobs), large (document parsing, 2 min per job),
gpu (5 min per job, rare)."""
import math
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    l, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= l:
            return k
        k += 1


def write(name, rows):
    with open(OUT / name, "w") as f:
        f.write("t,pool,arrivals\n")
        for t, pool, n in sorted(rows):
            if n > 0:
                f.write(f"{t},{pool},{n}\n")


def bursty():
    rng = random.Random(1)
    rows = []
    for t in range(2 * 3600):
        lam = 0.3
        if (t % 900) < 40:  # a 40 s burst every 15 min
            lam = 8
        rows.append((t, "small", poisson(rng, lam)))
        if (t % 1800) < 20:
            rows.append((t, "large", poisson(rng, 0.3)))
    write("bursty.csv", rows)


def diurnal():
    rng = random.Random(2)
    rows = []
    day = 4 * 3600  # one compressed "day"
    for t in range(day):
        phase = math.sin(2 * math.pi * t / day - math.pi / 2)  # low at start and end
        rows.append((t, "small", poisson(rng, 0.2 + 2.8 * (phase + 1) / 2)))
        rows.append((t, "large", poisson(rng, 0.005 + 0.045 * (phase + 1) / 2)))
    write("diurnal.csv", rows)


def spike_then_idle():
    rng = random.Random(3)
    rows = [(60, "small", 600), (61, "small", 300), (62, "large", 40)]
    for t in range(63, 3 * 3600):
        if rng.random() < 1 / 600:  # a trickle: one job every ~10 min
            rows.append((t, "small", 1))
    write("spike-then-idle.csv", rows)


def mixed_tiers():
    rng = random.Random(4)
    rows = []
    for t in range(3 * 3600):
        rows.append((t, "small", poisson(rng, 0.8 + 0.6 * rng.random())))  # noisy small tier
        if rng.random() < 1 / 120:
            rows.append((t, "large", 1 + poisson(rng, 1)))
        if rng.random() < 1 / 900:  # rare GPU jobs, minutes each
            rows.append((t, "gpu", 1 + poisson(rng, 0.5)))
    write("mixed-tiers.csv", rows)


if __name__ == "__main__":
    bursty()
    diurnal()
    spike_then_idle()
    mixed_tiers()
