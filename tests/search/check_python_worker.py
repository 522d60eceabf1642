#!/usr/bin/env python3
"""The example Python worker against a live coordinator.

    check_python_worker.py AUTOAUG

Starts `autoaug optimize --study ... --workers 0 --listen 127.0.0.1:0` (remote workers only) with
a command objective that also creates a marker file. First a Python worker and `autoaug worker`,
both without --allow-command, must refuse the command (exit 2, naming the flag) and run nothing.
Then two Python workers: one runs the study's command objective (with --allow-command), the other
a Python function. The study must finish with every trial complete, and both workers must exit 0
on `done`. Then the same over TLS, with certificates made by the `openssl req` command of the
README: a worker that trusts another certificate, and one without --tls, must refuse (exit 2,
saying why); one that trusts the coordinator's certificate completes the study.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "..", "..", "search", "net", "examples", "python_worker.py")


def main():
    autoaug = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        space = os.path.join(tmp, "space.json")
        with open(space, "w") as f:
            json.dump({"dimensions": [{"name": "x", "type": "real", "low": -3, "high": 3},
                                      {"name": "n", "type": "integer", "low": 0, "high": 9}]}, f)
        token = os.path.join(tmp, "token")
        with open(token, "w") as f:
            f.write("python-worker-test-token-0123456789\n")
        os.chmod(token, 0o600)
        with open(os.path.join(tmp, "objective.py"), "w") as f:
            f.write("def square(params):\n    return params['x'] ** 2 + params['n']\n")
        study = os.path.join(tmp, "study")
        marker = os.path.join(tmp, "ran")
        coordinator = subprocess.Popen(
            [autoaug, "optimize", "--study", study, "--space", space, "--objective-cmd",
             f"touch {marker}; "
             "python3 -c 'import json,sys; p=json.load(sys.stdin); print(p[\"x\"]**2 + p[\"n\"])'",
             "--trials", "8", "--workers", "0", "--listen", "127.0.0.1:0", "--token-file", token,
             "--json", "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = coordinator.stdout.readline()
        if not first.startswith("coordinator listening on "):
            coordinator.kill()
            sys.exit(f"FAIL: unexpected first line {first!r}: {coordinator.stderr.read()}")
        address = first.split()[-1]
        env = dict(os.environ, PYTHONPATH=tmp)
        for name, refuser in (("python_worker.py", [sys.executable, WORKER]),
                              ("autoaug worker", [autoaug, "worker", "--give-up-after", "5"])):
            r = subprocess.run(refuser + ["--connect", address, "--token-file", token],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=60)
            if r.returncode != 2 or "--allow-command" not in r.stdout:
                coordinator.kill()
                sys.exit(f"FAIL: {name} exited {r.returncode} without --allow-command, "
                         f"expected 2 and the flag named:\n{r.stdout}")
            if os.path.exists(marker):
                coordinator.kill()
                sys.exit(f"FAIL: the command ran on a worker without --allow-command:\n{r.stdout}")
        workers = [
            subprocess.Popen([sys.executable, WORKER, "--connect", address, "--token-file", token,
                              "--name", "py-command", "--allow-command"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
            subprocess.Popen([sys.executable, WORKER, "--connect", address, "--token-file", token,
                              "--name", "py-function", "--python-objective", "objective:square"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
        ]
        out, err = coordinator.communicate(timeout=120)
        logs = [w.communicate(timeout=60)[0] for w in workers]
        if coordinator.returncode != 0:
            sys.exit(f"FAIL: coordinator exited {coordinator.returncode}: {err}")
        for w, log in zip(workers, logs):
            if w.returncode != 0:
                sys.exit(f"FAIL: a Python worker exited {w.returncode}:\n{log}")
        if not os.path.exists(marker):
            sys.exit("FAIL: the command objective never ran on the worker with --allow-command")
        result = json.loads(out.strip().splitlines()[-1])
        done = [t for t in result["trials"] if t["state"] == "complete"]
        if len(done) != 8:
            sys.exit(f"FAIL: {len(done)} complete trials, expected 8: {result}")
        for t in done:
            expected = t["params"]["x"] ** 2 + t["params"]["n"]
            if abs(t["value"] - expected) > 1e-6 * max(1.0, abs(expected)):
                sys.exit(f"FAIL: trial {t['number']} value {t['value']} != {expected}")
        print(f"ok: 8 trials complete through two Python workers at {address}")
        check_tls(autoaug, tmp, space, token, env)


def make_certificate(tmp, stem):
    cert, key = os.path.join(tmp, stem + ".crt"), os.path.join(tmp, stem + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=head-node", "-addext", "subjectAltName=DNS:head-node,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def check_tls(autoaug, tmp, space, token, env):
    cert, key = make_certificate(tmp, "coordinator")
    other, _ = make_certificate(tmp, "other")
    coordinator = subprocess.Popen(
        [autoaug, "optimize", "--study", os.path.join(tmp, "study_tls"), "--space", space,
         "--objective-cmd", "true", "--trials", "4", "--workers", "0", "--listen",
         "127.0.0.1:0", "--token-file", token, "--tls-cert", cert, "--tls-key", key, "--json",
         "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    address = coordinator.stdout.readline().split()[-1]
    worker = [sys.executable, WORKER, "--connect", address, "--token-file", token,
              "--python-objective", "objective:square", "--give-up-after", "5"]
    for extra, expected in ((["--tls-ca", other], "failed TLS verification"),
                            ([], "speaks TLS: start the worker with --tls")):
        r = subprocess.run(worker + extra, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        if r.returncode != 2 or expected not in r.stdout:
            coordinator.kill()
            sys.exit(f"FAIL: a Python worker with {extra} exited {r.returncode}, expected 2 and "
                     f"{expected!r}:\n{r.stdout}")
    r = subprocess.run(worker + ["--tls-ca", cert], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    out, err = coordinator.communicate(timeout=60)
    if r.returncode != 0 or coordinator.returncode != 0:
        sys.exit(f"FAIL: over TLS the worker exited {r.returncode}, the coordinator "
                 f"{coordinator.returncode}:\n{r.stdout}\n{err}")
    done = [t for t in json.loads(out.strip().splitlines()[-1])["trials"]
            if t["state"] == "complete"]
    if len(done) != 4:
        sys.exit(f"FAIL: {len(done)} complete trials over TLS, expected 4")
    print(f"ok: 4 trials complete over TLS through a Python worker at {address}")


if __name__ == "__main__":
    main()
