#!/usr/bin/env python3
"""An autoaug worker in plain Python 3 (standard library only); see search/net/PROTOCOL.md.

Connects to `autoaug serve`, checks that the coordinator knows the shared token, authenticates
with it, and evaluates trials until the coordinator is done; every message after the handshake is
sealed with a per-connection key. It runs the study's "command" objective (a shell command chosen
by the coordinator) only with --allow-command, or, with --python-objective MODULE:FUNC, calls
FUNC(params) -> float in this process instead (e.g. a PyTorch trainer).

    AUTOAUG_TOKEN=... python3 python_worker.py --connect head-node:7000 --allow-command
    python3 python_worker.py --connect head-node:7000 --token-file ~/.autoaug/token \\
        --python-objective train:objective
    python3 python_worker.py --connect head-node:7000 --tls-ca coordinator.crt ...  # over TLS

Exit status: 0 when the coordinator is done, 1 when it could not be reached for
--give-up-after seconds, 2 when it refused this worker or the objective cannot be run here.
"""

import argparse
import hashlib
import hmac
import importlib
import json
import math
import os
import re
import secrets
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

PROTOCOL_VERSION = 2
MAX_FRAME = 1 << 20
REPLY_TIMEOUT = 30  # seconds a reply may take, except the answer to a parked request
STDERR_TAIL = 2000
HEX64 = re.compile(r"[0-9a-f]{64}")
MAC_PREFIX = b',"mac":"'
MAC_SUFFIX_LENGTH = len(MAC_PREFIX) + 64 + 2  # ,"mac":"<64 hex>"}


class Refused(Exception):
    """The coordinator refused this worker, or it cannot run the objective: retrying won't help."""


class TrialFailed(Exception):
    """A command objective failed; the message says how."""


class CoordinatorError(ConnectionError):
    """An `error` message; the coordinator closes the connection after it."""


def hmac_sha256(key, message):
    return hmac.new(key, message.encode() if isinstance(message, str) else message,
                    hashlib.sha256)


class Connection:
    """Length-prefixed JSON frames over a connected socket, sealed once seal() was called."""

    def __init__(self, sock):
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.key, self.sent, self.received = None, 0, 0

    def seal(self, key):
        """From now on, seal every frame sent and open every frame received with `key`."""
        self.key = key

    def mac(self, sender, seq, body):
        return hmac_sha256(self.key, f"{sender}:{seq}:".encode() + body).hexdigest().encode()

    def send(self, type_, **fields):
        body = json.dumps({"type": type_, **fields}, separators=(",", ":"),
                          allow_nan=False).encode()
        if self.key is not None:
            body = body[:-1] + MAC_PREFIX + self.mac("worker", self.sent, body) + b'"}'
            self.sent += 1
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def open(self, body):
        """The body without its seal, when the coordinator sealed it as its next frame."""
        suffix = body[-MAC_SUFFIX_LENGTH:]
        mac = suffix[len(MAC_PREFIX):-2]
        plain = body[:-MAC_SUFFIX_LENGTH] + b"}"
        if (len(body) < MAC_SUFFIX_LENGTH + 2 or not suffix.startswith(MAC_PREFIX)
                or not suffix.endswith(b'"}') or not HEX64.fullmatch(mac.decode("latin-1"))
                or not hmac.compare_digest(mac, self.mac("coordinator", self.received, plain))):
            raise ConnectionError("a message from the coordinator failed authentication")
        self.received += 1

    def expect(self, *types, parked=False):
        """The next message, of one of `types`. `parked`: the coordinator may hold it for long."""
        self.sock.settimeout(None if parked else REPLY_TIMEOUT)
        header = self.reader.read(4)
        if len(header) < 4:
            raise ConnectionError("connection closed by the coordinator")
        (length,) = struct.unpack(">I", header)
        if length == 0:
            raise ConnectionError("empty frame")
        if length > MAX_FRAME:  # the next welcome would be as large: reconnecting cannot help
            raise Refused(f"the coordinator sent a frame of {length} bytes, over this worker's "
                          f"limit of {MAX_FRAME}")
        body = self.reader.read(length)
        if len(body) < length:
            raise ConnectionError("connection closed by the coordinator")
        if self.key is not None:
            self.open(body)
        message = json.loads(body)
        if message.get("type") == "error":
            raise CoordinatorError(f"coordinator: {message.get('message')}")
        if message.get("type") not in types:
            raise ConnectionError(f"expected {' or '.join(types)}, got {message.get('type')!r}")
        return message


def load_token(path):
    if path:
        if os.stat(path).st_mode & 0o077:
            raise Refused(f"token file {path} is accessible by group or others; "
                          f"run chmod 600 {path}")
        with open(path, "rb") as f:
            token = f.read()
    else:
        token = os.environb.get(b"AUTOAUG_TOKEN", b"")
    token = token.rstrip(b" \t\r\n\v\f")
    if len(token) < 16:
        raise Refused("need a token of at least 16 characters: --token-file FILE or AUTOAUG_TOKEN")
    return token


def finite(value):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"the objective returned {value}, not a finite number")
    return value


def command_objective(command, timeout):
    """Runs `command` like autoaug's CommandObjective: params on stdin and in AUTOAUG_PARAMS."""

    def evaluate(lease, trial):
        params = json.dumps(lease["params"])
        env = dict(os.environ, AUTOAUG_PARAMS=params, AUTOAUG_TRIAL=str(lease["trial"]))
        process = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                   start_new_session=True)
        trial.process = process
        if trial.cancelled:
            kill_group(process)
        try:
            out, err = process.communicate((params + "\n").encode(), timeout=timeout or None)
        except subprocess.TimeoutExpired:
            kill_group(process)
            process.communicate()
            raise TrialFailed(f"timed out after {timeout} s") from None
        finally:
            kill_group(process)
        tail = err[-STDERR_TAIL:].decode(errors="replace").rstrip()
        if trial.cancelled:
            raise TrialFailed("cancelled")
        if process.returncode != 0:
            raise TrialFailed(f"exit status {process.returncode}; stderr: {tail}")
        lines = [line for line in out.decode(errors="replace").splitlines() if line.strip()]
        if not lines:
            raise TrialFailed(f"the command printed nothing; stderr: {tail}")
        try:
            return finite(lines[-1])
        except ValueError:
            raise TrialFailed(f"last line {lines[-1]!r} is not a number; stderr: {tail}") from None

    return evaluate


def kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def python_objective(spec):
    module, _, name = spec.partition(":")
    sys.path.insert(0, os.getcwd())
    function = getattr(importlib.import_module(module), name)
    return lambda lease, trial: finite(function(lease["params"]))


class Trial(threading.Thread):
    """One evaluation in the background, so that the connection's thread can heartbeat."""

    def __init__(self, evaluate, lease):
        super().__init__(daemon=True)
        self.evaluate, self.lease = evaluate, lease
        self.process, self.cancelled, self.report = None, False, None

    def run(self):
        try:
            self.report = ("result", {"value": self.evaluate(self.lease, self)})
        except TrialFailed as e:
            message = str(e)
        except Exception as e:  # a failed trial is data, whatever went wrong
            message = f"{type(e).__name__}: {e}"
        else:
            return
        message = message[-65536:].encode(errors="replace").decode()  # no lone surrogates
        self.report = ("failure", {"message": message})

    def cancel(self):
        # A Python objective cannot be interrupted; its value is dropped when it returns.
        self.cancelled = True
        if self.process is not None:
            kill_group(self.process)


def tls_context(args):
    """None without TLS; else a client context: TLS 1.2 or later, verifying the coordinator's
    certificate against --tls-ca (which may hold the certificate itself) or the system's CAs."""
    if not (args.tls or args.tls_ca or args.tls_name):
        return None
    try:
        context = ssl.create_default_context(cafile=args.tls_ca or None)
    except (OSError, ssl.SSLError) as e:
        raise Refused(f"--tls-ca {args.tls_ca}: cannot load trusted certificates: {e}") from e
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


class Worker:
    def __init__(self, args, token):
        self.args, self.token = args, token
        self.evaluate = python_objective(args.python_objective) if args.python_objective else None
        self.tls = tls_context(args)
        self.failing_since = None

    def handshake(self, conn):
        """hello, challenge (with the coordinator's proof), auth, welcome; then all is sealed."""
        nonce = secrets.token_hex(32)
        conn.send("hello", protocol=PROTOCOL_VERSION, worker=self.args.name, pid=os.getpid(),
                  host=socket.gethostname()[:256], nonce=nonce)
        try:
            challenge = conn.expect("challenge")
            if challenge.get("protocol") != PROTOCOL_VERSION:
                raise Refused(f"the coordinator speaks protocol {challenge.get('protocol')}; "
                              f"this worker speaks {PROTOCOL_VERSION}")
            theirs = challenge["nonce"]
            proof = challenge.get("proof")
            expected = hmac_sha256(self.token, f"autoaug-coordinator/v2:{nonce}:{theirs}")
            if not (isinstance(proof, str) and HEX64.fullmatch(proof)
                    and hmac.compare_digest(proof, expected.hexdigest())):
                raise Refused(f"the coordinator at {self.args.connect} did not prove it knows "
                              "the token (wrong token, or not the real coordinator); "
                              "nothing was run")
            answer = hmac_sha256(self.token, f"autoaug-auth/v2:{theirs}:{nonce}")
            conn.send("auth", hmac=answer.hexdigest())
            conn.seal(hmac_sha256(self.token, f"autoaug-session/v2:{theirs}:{nonce}").digest())
            return conn.expect("welcome")
        except CoordinatorError as e:
            raise Refused(str(e)) from None

    def session(self, conn):
        """One connection, from hello to done. Returns normally only when the study is done."""
        welcome = self.handshake(conn)
        self.failing_since = None
        evaluate = self.evaluate or self.objective(welcome["objective"])
        while True:
            conn.send("request")
            lease = conn.expect("lease", "done", parked=True)
            if lease["type"] == "done":
                print(f"python_worker: done ({lease['reason']})", file=sys.stderr)
                conn.send("bye")
                return
            report = self.run_trial(conn, evaluate, lease, welcome["heartbeat_seconds"])
            if report is not None:
                conn.send(report[0], trial=lease["trial"], **report[1])
                conn.expect("ack")

    def objective(self, spec):
        if spec.get("kind") != "command":
            raise Refused(f"cannot run a {spec.get('kind')!r} objective; "
                          "use the C++ worker or --python-objective")
        if not self.args.allow_command:
            raise Refused(f"the coordinator asks this worker to run the shell command "
                          f"{spec.get('command')!r}; command objectives run only with "
                          "--allow-command")
        return command_objective(spec["command"], spec.get("timeout_seconds", 0))

    @staticmethod
    def run_trial(conn, evaluate, lease, heartbeat_seconds):
        trial = Trial(evaluate, lease)
        trial.start()
        try:
            while True:
                trial.join(heartbeat_seconds)
                if not trial.is_alive():
                    return trial.report
                conn.send("heartbeat", trial=lease["trial"])
                if conn.expect("ack", "cancel")["type"] == "cancel":
                    trial.cancel()
                    trial.join()
                    return None
        finally:
            if trial.is_alive():
                trial.cancel()

    def secure(self, sock, host):
        """`sock` itself without TLS; else the TLS socket after a handshake that verified the
        coordinator's certificate against --tls-ca (or the system's CAs) and its name."""
        if self.tls is None:
            return sock
        name = self.args.tls_name or host
        try:
            return self.tls.wrap_socket(sock, server_hostname=name)
        except ssl.SSLCertVerificationError as e:
            raise Refused(f"the coordinator at {self.args.connect} failed TLS verification as "
                          f"{name!r}: {e.verify_message}; nothing was run") from e
        except ssl.SSLError as e:
            raise Refused(f"TLS handshake with the coordinator at {self.args.connect} failed: "
                          f"{e.reason} (does it run with --tls-cert?)") from e

    def run(self):
        host, _, port = self.args.connect.rpartition(":")
        address = (host.strip("[]"), int(port))
        delay = 0.1
        while True:
            try:
                with socket.create_connection(address, timeout=10) as raw:
                    raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                    with self.secure(raw, address[0]) as sock:
                        sock.settimeout(None)
                        self.session(Connection(sock))
                        return 0
            except (OSError, ValueError, KeyError, TypeError) as e:
                print(f"python_worker: {self.args.connect}: {e}", file=sys.stderr)
            now = time.monotonic()
            if self.failing_since is None:
                self.failing_since, delay = now, 0.1
            if now - self.failing_since >= self.args.give_up_after:
                print("python_worker: giving up", file=sys.stderr)
                return 1
            time.sleep(delay)
            delay = min(2 * delay, 5.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connect", required=True, metavar="HOST:PORT")
    parser.add_argument("--token-file", default="", help="default: $AUTOAUG_TOKEN")
    parser.add_argument("--python-objective", metavar="MODULE:FUNC",
                        help="call FUNC(params) -> float instead of the study's objective")
    parser.add_argument("--allow-command", action="store_true",
                        help="run `command` objectives (the coordinator's shell command) here")
    parser.add_argument("--give-up-after", type=float, default=30.0, metavar="SECONDS",
                        help="stop reconnecting after this long without a session (default 30)")
    parser.add_argument("--name", default=f"python-{socket.gethostname()}-{os.getpid()}"[:128])
    parser.add_argument("--tls", action="store_true",
                        help="connect over TLS, trusting the system's CAs")
    parser.add_argument("--tls-ca", default="", metavar="FILE",
                        help="trust the PEM certificates in FILE instead (CAs, or the "
                             "coordinator's own certificate); implies --tls")
    parser.add_argument("--tls-name", default="", metavar="NAME",
                        help="the name the certificate must carry (default: the --connect host); "
                             "implies --tls")
    args = parser.parse_args()
    if not args.connect.rpartition(":")[2].isdigit():
        parser.error(f"--connect {args.connect}: expected HOST:PORT")
    try:
        return Worker(args, load_token(args.token_file)).run()
    except (Refused, OSError) as e:
        print(f"python_worker: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
