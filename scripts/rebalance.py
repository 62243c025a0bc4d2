#!/usr/bin/env python3
"""How long a consumer group of `salespulse run` instances stops when its membership changes.

Starts `salespulse broker`, publishes a small part of the soak's events (so every partition has
a state to restore), then for each binary in turn, in a fresh group: starts instance A and waits
until it owns every partition; then measures, polling both instances' `/metrics`
(`salespulse_partitions_owned`) every 50 ms,

  join            B starts → A and B both own partitions, all of them between them
  graceful leave  B gets SIGTERM → A owns every partition again
  kill -9         B (started again) gets SIGKILL → A owns every partition again

The group folds nothing meanwhile (its partitions are revoked until the group has rebalanced), so
each figure is a stop of the whole group. The embedded broker (librdkafka's mock cluster) holds
every rebalance of a running group for the session timeout less a second, and notices a killed
instance after the session timeout: compare `run --session-timeout` settings with
`--session-timeout 10s,4s`.

    swift build -c release --product salespulse
    python3 scripts/rebalance.py [--binary A[,B]] [--session-timeout default[,10s,...]] [--rounds 1]
                                 [--partitions 8] [--events 20000]

Exit status 0 when every measurement finished, 1 when one timed out (120 s), 2 on a setup failure.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402  (the event generator and HTTP helpers)

LIMIT_SECONDS = 120


def log(message):
    print(f"rebalance: {message}", file=sys.stderr, flush=True)


def owned(port):
    """Partitions the instance owns (input and repartition topics), None while it does not answer."""
    try:
        _, text = soak.get(port, "/metrics")
    except OSError:
        return None
    match = re.search(r"^salespulse_partitions_owned (\S+)", text, re.M)
    return int(float(match.group(1))) if match else 0


def seconds_until(condition):
    """Seconds until `condition()` holds (polled every 50 ms), None after LIMIT_SECONDS."""
    started = time.time()
    while time.time() - started < LIMIT_SECONDS:
        if condition():
            return time.time() - started
        time.sleep(0.05)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/salespulse", help="comma-separated binaries, measured in turn")
    parser.add_argument("--session-timeout", default="default",
                        help="comma-separated `run --session-timeout` settings, measured in turn ('default': run's own)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=8, help="partitions of the input topic")
    parser.add_argument("--events", type=int, default=20_000, help="soak events published before the first group starts")
    parser.add_argument("--config", default="deploy/config/salespulse.yaml")
    options = parser.parse_args()
    binaries = options.binary.split(",")
    for binary in binaries:
        if not os.access(binary, os.X_OK):
            log(f"{binary} is not an executable: build it with `swift build -c release --product salespulse`")
            return 2
    if options.rounds < 1 or options.partitions < 1 or options.events < 1:
        log("--rounds, --partitions and --events must be 1 or more")
        return 2
    folder = tempfile.mkdtemp(prefix="salespulse-rebalance-")
    broker = None
    running = []
    timed_out = False
    try:
        events = os.path.join(folder, "events.jsonl")
        with open(events, "w") as file:
            file.write("\n".join(soak.generate(options.events, max(1, options.events // 10), 7)) + "\n")
        broker = subprocess.Popen([binaries[0], "broker", "--topic", f"sales.events:{options.partitions}"], stdout=subprocess.PIPE,
                                  stderr=open(os.path.join(folder, "broker.log"), "w"), text=True)
        bootstrap = broker.stdout.readline().split(" ", 1)[1].strip()
        published = subprocess.run([binaries[0], "publish", "--bootstrap", bootstrap, events], capture_output=True, text=True)
        if published.returncode != 0:
            log(f"publishing failed: {published.stderr[-300:]}")
            return 2
        run = 0
        for _ in range(options.rounds):
            for binary in binaries:
                for timeout in options.session_timeout.split(","):
                    run += 1
                    group = f"rebalance-{os.getpid()}-{run}"

                    def start(name):
                        port = soak.free_port()
                        arguments = [binary, "run", "--bootstrap", bootstrap, "--config", options.config, "--group", group,
                                     "--state-dir", os.path.join(folder, f"{group}-{name}"), "--http", f"127.0.0.1:{port}",
                                     "--status-interval", "0"]
                        if timeout != "default":
                            arguments += ["--session-timeout", timeout]
                        process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=open(os.path.join(folder, f"{group}-{name}.log"), "w"))
                        running.append(process)
                        return process, port

                    first, first_port = start("a")
                    if seconds_until(lambda: (owned(first_port) or 0) > 0) is None:
                        log(f"{binary}: the first instance owned no partition within {LIMIT_SECONDS} s (see {folder})")
                        return 1
                    time.sleep(1)  # every partition's state restored, the repartition topics assigned too
                    total = owned(first_port)

                    def shared(port):
                        def holds():
                            a, b = owned(first_port) or 0, owned(port) or 0
                            return a > 0 and b > 0 and a + b == total
                        return holds

                    second, second_port = start("b")
                    join = seconds_until(shared(second_port))
                    time.sleep(1)
                    second.send_signal(signal.SIGTERM)
                    leave = seconds_until(lambda: owned(first_port) == total)
                    second.wait()
                    second, second_port = start("c")
                    seconds_until(shared(second_port))
                    time.sleep(1)
                    second.send_signal(signal.SIGKILL)
                    second.wait()
                    kill = seconds_until(lambda: owned(first_port) == total)
                    first.send_signal(signal.SIGTERM)
                    first.wait()
                    figures = [join, leave, kill]
                    timed_out = timed_out or None in figures
                    text = ["n/a" if value is None else f"{value:.1f} s" for value in figures]
                    setting = "" if timeout == "default" else f" --session-timeout {timeout}"
                    print(f"{binary}{setting} ({total} partitions): join {text[0]}, graceful leave {text[1]}, kill -9 {text[2]}", flush=True)
        return 1 if timed_out else 0
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
        if broker:
            broker.terminate()
            broker.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
