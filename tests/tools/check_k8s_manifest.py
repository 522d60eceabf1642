"""Checks tools/k8s/workers-job.yaml, which no cluster here can run: it parses as YAML, is an
indexed batch/v1 Job, and its container starts `autoaug worker` with the options that `autoaug
worker --help` accepts, the token from a Secret (never in args) and a thread count matching its
CPU request.

    /usr/bin/python3 check_k8s_manifest.py MANIFEST AUTOAUG
"""
import re
import subprocess
import sys

import yaml


def main(manifest, autoaug):
    with open(manifest) as f:
        job = yaml.safe_load(f)
    problems = []

    def need(ok, what):
        if not ok:
            problems.append(what)

    need(job.get("apiVersion") == "batch/v1" and job.get("kind") == "Job", "not a batch/v1 Job")
    spec = job["spec"]
    need(spec.get("completionMode") == "Indexed", "completionMode is not Indexed")
    need(spec.get("completions") == spec.get("parallelism"), "completions != parallelism")
    pod = spec["template"]["spec"]
    need(pod.get("restartPolicy") in ("OnFailure", "Never"), "restartPolicy must not be Always")
    (container,) = pod["containers"]
    args = [str(a) for a in container["args"]]
    need(args[0] == "worker", "the container does not run `autoaug worker`")
    usage = subprocess.run([autoaug, "worker", "--help"], capture_output=True, text=True,
                           check=True).stdout
    accepted = set(re.findall(r"--[a-z-]+", usage))
    for option in (a for a in args if a.startswith("--")):
        need(option in accepted, f"{option} is not an option of `autoaug worker`")
    for option in ("--connect", "--give-up-after", "--threads"):
        need(option in args, f"{option} is missing")
    need("--token-file" not in args and not any("token" in a.lower() for a in args[1:]),
         "the token must not be on the command line")
    env = {e["name"]: e for e in container.get("env", [])}
    need("secretKeyRef" in env.get("AUTOAUG_TOKEN", {}).get("valueFrom", {}),
         "AUTOAUG_TOKEN does not come from a Secret")
    threads = args[args.index("--threads") + 1] if "--threads" in args else None
    need(threads == str(container["resources"]["requests"]["cpu"]),
         "--threads differs from the CPU request")
    if problems:
        print(f"FAIL: {manifest}: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"ok: {manifest}: an indexed Job of {spec['completions']} workers")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
