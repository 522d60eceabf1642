#!/usr/bin/python3
"""Optuna's TPE on the problems of `autoaug bench search --suite`: its reference column.

Runs Optuna 3.1's TPESampler with its default settings (10 random startup trials, independent
per-parameter densities), seeded with the run's seed, through ask/tell on each problem and seed.
Every point is evaluated by `autoaug bench problem NAME --seed S`, so the problems are the C++
definitions and the observation noise is the same stream as in the C++ runs. Prints one JSON
object to stdout:

  {"runs": [{"problem": "branin", "strategy": "tpe", "seed": 0, "regret": [...], "seconds": 0.61}]}

where regret[n - 1] is the noise-free regret of the point with the best observation among the
first n, and seconds the time spent outside the objective. Needs Debian's python3-optuna; run
it with /usr/bin/python3.
"""

import argparse
import json
import subprocess
import sys
import time

import optuna


def distributions(space):
    out = {}
    for d in space["dimensions"]:
        if d["type"] == "real":
            out[d["name"]] = optuna.distributions.FloatDistribution(
                d["low"], d["high"], log=d.get("log", False))
        elif d["type"] == "integer":
            out[d["name"]] = optuna.distributions.IntDistribution(d["low"], d["high"])
        else:
            out[d["name"]] = optuna.distributions.CategoricalDistribution(d["choices"])
    return out


def run(autoaug, problem, seed, evaluations):
    evaluator = subprocess.Popen([autoaug, "bench", "problem", problem, "--seed", str(seed)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    header = json.loads(evaluator.stdout.readline())
    dists = distributions(header["space"])
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    best_observed, best_regret, regret = float("inf"), None, []
    objective_seconds, start = 0.0, time.perf_counter()
    for _ in range(evaluations):
        trial = study.ask(dists)
        t = time.perf_counter()
        evaluator.stdin.write(json.dumps(trial.params) + "\n")
        evaluator.stdin.flush()
        result = json.loads(evaluator.stdout.readline())
        objective_seconds += time.perf_counter() - t
        study.tell(trial, result["observed"])
        if result["observed"] < best_observed:
            best_observed, best_regret = result["observed"], result["regret"]
        regret.append(best_regret)
    seconds = time.perf_counter() - start - objective_seconds
    evaluator.stdin.close()
    evaluator.wait()
    return {"problem": problem, "strategy": "tpe", "seed": seed, "regret": regret,
            "seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--autoaug", required=True, help="the autoaug executable")
    parser.add_argument("--problems", required=True, help="comma-separated problem names")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1")
    parser.add_argument("--evaluations", type=int, default=100)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    runs = []
    for problem in args.problems.split(","):
        for seed in range(args.seeds):
            runs.append(run(args.autoaug, problem, seed, args.evaluations))
        print(f"tpe: {problem} done", file=sys.stderr, flush=True)
    json.dump({"runs": runs}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
