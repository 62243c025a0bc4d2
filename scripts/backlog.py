#!/usr/bin/env python3
"""Backlog catch-up of `salespulse run`: the real command, as an operator starts it on a topic
that already holds history.

Generates the soak's events (customers walking the lead pipeline over 20 days, ~1 % duplicates,
0.3 % invalid; see soak.py), publishes them to `salespulse broker`, then starts
`salespulse run --replay` in a fresh group for each binary and `--prefetch` setting in turn and
polls `/metrics` every half second until every input partition has no lag and the applied count
has not moved for 1.5 s (longer than the tick that refreshes the lag). Prints, per run: seconds from the process start to the last applied event
(group join and topic setup included), to the first applied event, events applied per second in
between, the process's CPU seconds, its peak resident memory and its minor page faults (each a
first touch of a page: the heap growing, or memory returned to the system and taken again), and
where the consume thread's time went (`salespulse_consume_loop_seconds_total` by phase: waiting
for records — the group join included —, taking them from librdkafka, folding, queueing outputs,
ticks, checkpoint rounds) and the records read and written per topic (`salespulse_records_in_total`
and `salespulse_records_out_total`: the input, the repartition topics, the alerts topic, the
dead-letter topic), which show how much Kafka traffic each input event brings.

With --war-room, the war-room page (`/`) is open during each run: every 2 s it asks what the
page asks (every metric by region and overall, the first 60 open alerts, a flow summary), and
the number of refreshes and their mean time are printed too.

    swift build -c release --product salespulse
    python3 scripts/backlog.py [--events 1000000] [--partitions 64] [--rounds 2]
                               [--binary A[,B]] [--prefetch default[,none,100000]] [--poll 0.5]
                               [--bootstrap HOST:PORT] [--war-room] [--repartition-partitions N]

The embedded broker creates a missing topic with its own default of 4 partitions (it has no
CreateTopics), so `run` finds the repartition topics there with 4 partitions, where a Kafka
cluster would give them the input's count. With --repartition-partitions N the broker is
started with every run's repartition topics (one per group-by attribute of the configuration,
and the rep exits) already created with N partitions.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402  (the event generator and HTTP helpers)


def log(message):
    print(f"backlog: {message}", file=sys.stderr, flush=True)


# How long the applied count must stand still, with no lag, for a run to count as caught up:
# longer than the runtime's one-second tick, which refreshes the lag.
STILL_SECONDS = 1.5


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def minor_faults(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[7])


def peak_megabytes(pid):
    return int(re.search(r"VmHWM:\s+(\d+) kB", open(f"/proc/{pid}/status").read()).group(1)) // 1024


# The phases of `salespulse_consume_loop_seconds_total`, in the order the runtime lists them.
LOOP_PHASES = ["waiting", "taking", "folding", "queueing", "ticking", "checkpointing"]


def consume_loop_seconds(metrics):
    """The consume loop's seconds per phase in a `/metrics` text (empty if it has none)."""
    return {phase: float(value) for phase, value in re.findall(r'^salespulse_consume_loop_seconds_total\{phase="([a-z]+)"\} (\S+)', metrics, re.M)}


def record_counts(metrics):
    """Records read and written per topic in a `/metrics` text (`salespulse_records_in_total` and
    `salespulse_records_out_total`): [(direction, topic, count)], inputs first."""
    counts = [(direction, topic, float(value)) for direction, topic, value
              in re.findall(r'^salespulse_records_(in|out)_total\{topic="([^"]+)"\} (\S+)', metrics, re.M)]
    return sorted(counts, key=lambda count: (count[0] != "in", count[1]))


def war_room(port, stop, refreshes):
    """The war-room page's refresh every 2 s (as `/` does), until `stop`; each refresh's seconds
    appended to `refreshes`."""
    paths = ["/v1/metrics?by=region", "/v1/metrics", "/v1/alerts?state=open&limit=60", "/v1/flows/lead_pipeline"]
    while not stop.wait(2.0):
        started = time.time()
        try:
            for path in paths:
                soak.get(port, path)
        except OSError:
            continue
        refreshes.append(time.time() - started)


def group_name(run):
    """The consumer group of the `run`-th run (from 1): each run starts in a fresh group."""
    return f"backlog-{os.getpid()}-{run}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--binary", default=".build/release/salespulse", help="comma-separated binaries, run in turn")
    parser.add_argument("--config", default="deploy/config/salespulse.yaml")
    parser.add_argument("--prefetch", default="default",
                        help="comma-separated --prefetch settings, run in turn ('default': the binary's own)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between two reads of /metrics (the resolution of the times)")
    parser.add_argument("--bootstrap", help="a broker whose sales.events already holds the events (e.g. an earlier run's, kept with"
                        " `salespulse broker`): nothing is generated or published; --partitions must match its topic")
    parser.add_argument("--war-room", action="store_true", help="keep the war-room page's queries going during each run, every 2 s (those of this"
                        " revision's page: a binary before it answers /v1/metrics with 404)")
    parser.add_argument("--repartition-partitions", type=int,
                        help="create every run's repartition topics with this many partitions when the broker starts (default: the embedded"
                        " broker's automatic creation, 4 partitions)")
    options = parser.parse_args()
    if options.repartition_partitions is not None and options.bootstrap:
        log("--repartition-partitions creates topics on the broker this script starts: it cannot be combined with --bootstrap")
        return 2
    binaries = options.binary.split(",")
    for binary in binaries:
        if not os.access(binary, os.X_OK):
            log(f"{binary} is not an executable: build it with `swift build -c release --product salespulse`")
            return 2
    folder = tempfile.mkdtemp(prefix="salespulse-backlog-")
    broker = None
    try:
        bootstrap = options.bootstrap
        if bootstrap is None:
            started = time.time()
            lines = soak.generate(options.events, options.customers, options.seed)
            path = os.path.join(folder, "events.jsonl")
            with open(path, "w") as file:
                file.write("\n".join(lines) + "\n")
            log(f"generated {len(lines)} events in {time.time() - started:.1f} s")
            topics = [f"sales.events:{options.partitions}"]
            if options.repartition_partitions:
                runs = options.rounds * len(binaries) * len(options.prefetch.split(","))
                topics += [f"salespulse.{group_name(run)}.repartition.{attribute}:{options.repartition_partitions}"
                           for run in range(1, runs + 1) for attribute in soak.repartition_attributes(options.config)]
            broker = subprocess.Popen([binaries[0], "broker"] + [argument for topic in topics for argument in ("--topic", topic)], stdout=subprocess.PIPE,
                                      stderr=open(os.path.join(folder, "broker.log"), "w"), text=True)
            bootstrap = broker.stdout.readline().split(" ", 1)[1].strip()
            published = subprocess.run([binaries[0], "publish", "--bootstrap", bootstrap, path], capture_output=True, text=True)
            log(f"published: {published.stdout.strip().splitlines()[-1] if published.stdout.strip() else published.stderr[-200:]}")
            if published.returncode != 0:
                return 2
        run = 0
        for _ in range(options.rounds):
            for binary in binaries:
                for prefetch in options.prefetch.split(","):
                    run += 1
                    port = soak.free_port()
                    arguments = [binary, "run", "--bootstrap", bootstrap, "--config", options.config, "--group", group_name(run), "--replay",
                                 "--status-interval", "0", "--state-dir", os.path.join(folder, f"state-{run}"), "--http", f"127.0.0.1:{port}"]
                    if prefetch != "default":
                        arguments += ["--prefetch", prefetch]
                    start = time.time()
                    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=open(os.path.join(folder, f"run-{run}.log"), "w"))
                    stop = threading.Event()
                    refreshes = []
                    viewer = threading.Thread(target=war_room, args=(port, stop, refreshes), daemon=True)
                    if options.war_room:
                        viewer.start()
                    first = None
                    loop = {}
                    records = []
                    # (applied, when first seen, CPU seconds and minor faults then)
                    previous = None
                    result = None
                    while time.time() - start < 900 and process.poll() is None:
                        time.sleep(options.poll)
                        try:
                            _, text = soak.get(port, "/metrics")
                        except OSError:
                            continue
                        found = re.search(r"^salespulse_events_applied_total (\S+)", text, re.M)
                        applied = float(found.group(1)) if found else 0
                        if applied > 0 and first is None:
                            first = time.time() - start
                        lags = [float(value) for topic, value in re.findall(r'^salespulse_consumer_lag\{(?:[^}]*?)topic="([^"]+)"[^}]*\} (\S+)', text, re.M)
                                if topic == "sales.events"]
                        # Caught up once the count has stood still for longer than a tick, which
                        # refreshes the lag: the lag counts records fetched, so records fetched
                        # but not yet applied, during a pause of the fold (a tick, a checkpoint)
                        # as long as one poll, looked caught up (seen: 994,389 of 996,966). The
                        # CPU seconds and faults are those of the moment the count last moved.
                        if previous and previous[0] == applied and applied > 0 and time.time() - start - previous[1] >= STILL_SECONDS \
                                and len(lags) == options.partitions and not any(lags):
                            result = (previous[1], applied, previous[2], peak_megabytes(process.pid), previous[3])
                            break
                        if not previous or previous[0] != applied:
                            previous = (applied, time.time() - start, cpu_seconds(process.pid), minor_faults(process.pid))
                            loop = consume_loop_seconds(text)
                            records = record_counts(text)
                    stop.set()
                    if options.war_room:
                        viewer.join()
                    process.send_signal(signal.SIGTERM)
                    process.wait(120)
                    if result is None:
                        log(f"{binary} --prefetch {prefetch}: did not catch up (log: {folder}/run-{run}.log)")
                        return 1
                    last, applied, cpu, peak, faults = result
                    rate = applied / max(0.001, last - first)
                    print(f"{binary} --prefetch {prefetch}: {applied:,.0f} applied, last at {last:.1f} s (first at {first:.1f} s): "
                          f"{rate:,.0f} events/s in between; CPU {cpu:.1f} s; peak RSS {peak} MB; {faults:,} minor page faults", flush=True)
                    if loop:
                        print("  consume loop (since start, as of the last applied event): "
                              + ", ".join(f"{phase} {loop.get(phase, 0):.2f} s" for phase in LOOP_PHASES), flush=True)
                    if records:
                        print("  records (as of the last applied event): "
                              + ", ".join(f"{direction} {topic} {count:,.0f}" for direction, topic, count in records), flush=True)
                    if options.war_room:
                        mean = sum(refreshes) / len(refreshes) if refreshes else 0
                        print(f"  war room: {len(refreshes)} refreshes, {mean * 1000:,.0f} ms each on average", flush=True)
        return 0
    finally:
        if broker:
            broker.terminate()
            broker.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
