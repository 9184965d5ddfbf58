#!/usr/bin/env python3
"""fake-campaign.py: a synthetic campaign directory for the report's tests
(tests/t155-report.sh) and its measurement, in the files of issue 9.

    fake-campaign.py DIR GENERATIONS EVENTS [RANKS]

writes DIR/config, DIR/metrics.tsv (GENERATIONS lines: 20 labels a
generation, errors falling as 1/sqrt(labels), a NaN prospective error in
generation 0, prosp_within2 around 0.9), DIR/baseline/metrics.tsv (the
same with errors 1.5 times larger) and DIR/events.tsv (EVENTS lines in
all: per generation one train, gen, predict and select line (rank -1),
the rest label lines spread over RANKS oracle ranks, default 4).  Fixed
values, no randomness: the tests compare numbers."""
import math
import os
import sys


def main():
    d, gens, nev = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ranks = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    os.makedirs(os.path.join(d, "baseline"), exist_ok=True)
    with open(os.path.join(d, "config"), "w") as f:
        f.write("# synthetic campaign\npolicy = batch\nbudget = %d\n"
                "[label]\nnp = %d\nexec = ./oracle <x> & echo \"done\"\n"
                % (20 * gens, ranks))
    cols = ("generation labels wall_s train_s label_s val_rmse mean_std "
            "prosp_rmse prosp_mean_abs_z prosp_within2 busy_label").split()
    for sub, scale in (("", 1.0), ("baseline", 1.5)):
        with open(os.path.join(d, sub, "metrics.tsv"), "w") as f:
            f.write("\t".join(cols) + "\n")
            for g in range(gens):
                n = 20 * (g + 1)
                val = scale / math.sqrt(n)
                prosp = "nan" if g == 0 else "%.6g" % (1.2 * scale /
                                                        math.sqrt(n - 20))
                z = "nan" if g == 0 else "%.6g" % (0.8 + 0.3 / (g + 1))
                w2 = "nan" if g == 0 else "%.6g" % (0.954 - 0.2 / (g + 1))
                f.write("%d\t%d\t%.6f\t%.6f\t%.6f\t%.6g\t%.6g\t%s\t%s\t%s\t"
                        "%.4f\n" % (g, n, 10.0 * (g + 1), 2.0, 7.0, val,
                                    0.8 * val, prosp, z, w2, 0.75))
    # events: per generation 10 s; stages in the first 3 s, label after
    t0 = 1700000000.0
    per_gen_other = 4
    nlabel = max(nev - per_gen_other * gens, 0)
    with open(os.path.join(d, "events.tsv"), "w") as f:
        f.write("t_start\tt_end\tstage\trank\trows\tfirst_id\tqueue_s\t"
                "compute_s\n")
        written = 0
        for g in range(gens):
            base = t0 + 10.0 * g
            for i, st in enumerate(("train", "gen", "predict", "select")):
                if written == nev:
                    break
                f.write("%.6f\t%.6f\t%s\t-1\t%d\t0\t0.000000\t%.6f\n"
                        % (base + 0.5 * i, base + 0.5 * i + 0.5, st, 100,
                           0.5))
                written += 1
            k0 = nlabel * g // gens
            k1 = nlabel * (g + 1) // gens
            per_rank = max((k1 - k0 + ranks - 1) // ranks, 1)
            dt = 7.0 / per_rank
            for k in range(k0, k1):
                j = k - k0
                r, slot = j % ranks, j // ranks
                s = base + 3.0 + slot * dt
                f.write("%.6f\t%.6f\tlabel\t%d\t1\t%d\t%.6f\t%.6f\n"
                        % (s, s + 0.9 * dt, r, k, 0.01, 0.9 * dt))
                written += 1


main()
