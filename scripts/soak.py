#!/usr/bin/env python3
"""Crash and scale soak: real `salespulse` processes against the embedded broker.

Publishes a deterministic stream of sales events (with duplicates and invalid events) to
`salespulse broker` and folds it in a consumer group while instances (two by default) are
killed with SIGKILL, stopped with SIGTERM and started at random moments (each instance has its
own state folder, so partitions move to instances without their checkpoints; with
`--shared-state` they share one, as the README advises for scale-out, and a partition that moves
is restored from its checkpoint). With
`--live-publish` only the first half is published before that chaos starts; the rest follows
in one chunk after each random action, so instances are killed while new input and its
repartitioned counter inputs are still arriving. When one instance is left and has caught up,
the log is folded again by a single uninterrupted instance in another group (the reference).
Every projection the last chaos instance serves — every customer, every flow summary, every
counter with its series, every metric overall and by region, the open alerts and the event
statistics — must equal the reference's, byte for byte after JSON parsing.

With `--reference-binary` the reference is folded by another build (an earlier one): the check
then also says that a change left every projection as it was. With `--crosscheck` the last chaos
instance is also compared with an independent computation in Python from the same events
(`scripts/crosscheck.py`), which a reference run of the same code cannot stand in for; with
`--generator crosscheck` the events are that script's (every flow, blockages, invalid evidence,
activation fields, local time offsets, 2 % delivered hours late) instead of the lead pipeline's.

Usage: python3 scripts/soak.py [--events N] [--customers C] [--partitions P] [--actions K]
                               [--instances I] [--live-publish] [--seed S] [--binary PATH] [--shared-state]
                               [--reference-binary PATH] [--config FILE] [--keep]
                               [--prefetch N] [--repartition-partitions N]
                               [--reference-repartition-partitions M] [--crosscheck]
                               [--generator soak|crosscheck] [--live]
With --repartition-partitions N the repartition topics of both groups are created with N
partitions when the broker starts (by default the embedded broker's automatic creation gives
them 4; a Kafka cluster's CreateTopics would give them the input's count);
--reference-repartition-partitions M gives the reference's M instead, which must change no
projection.
Exit status 0 when every projection matched, 1 when one differed, 2 on a setup failure or when
the broker dropped records before an instance folded them (the embedded broker keeps about 5 MiB
per partition; `run` logs "records missing from …"), which voids the comparison.
Build first: swift build -c release --product salespulse (the default --binary).
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

FLOW_STEPS = ["new_lead", "need_confirmation", "proposal", "objection_handling", "considering", "negotiation"]
STEP_ACTIONS = {
    "objection_handling": ("retrieve_similar_cases", {"text": "a similar hospital case, 2025"}),
    "considering": ("send_success_video", {"attachment": {"name": "story.mp4", "version": "v1"}}),
}


def log(message):
    print(f"soak: {message}", file=sys.stderr, flush=True)


def stamp(milliseconds):
    seconds, millis = divmod(milliseconds, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def generate(count, customers, seed):
    """JSON lines: customers walk the lead pipeline over about 20 days of event time; about 1 %
    are re-sent duplicates and 0.3 % are invalid (bad time, unknown type, broken JSON)."""
    rng = random.Random(seed)
    base = 1_772_413_200_000  # 2026-03-02T01:00:00Z
    spacing = 20 * 86_400_000 // max(1, count)
    position = {}
    lines = []
    for index in range(count):
        customer = f"cust-{rng.randrange(customers):06d}"
        rep = f"rep-{rng.randrange(1, 321):04d}"
        region = ["east", "north", "south", "west"][int(rep[4:]) * 4 // 321]
        at = base + index * spacing + rng.randrange(-60_000, 60_000)
        step = position.get(customer)
        roll = rng.random()
        if step is None:
            kind, data = "sales.lead.created", {"channel": "wechat", "contactMode": "visit"}
            position[customer] = -1
        elif roll < 0.25 and step + 1 < len(FLOW_STEPS):
            position[customer] = step + 1
            kind, data = "sales.step.entered", {"flow": "lead_pipeline", "step": FLOW_STEPS[step + 1]}
        elif roll < 0.40 and step >= 0 and FLOW_STEPS[step] in STEP_ACTIONS:
            action, evidence = STEP_ACTIONS[FLOW_STEPS[step]]
            kind, data = "sales.action.completed", {"flow": "lead_pipeline", "step": FLOW_STEPS[step], "action": action, "evidence": evidence}
        elif roll < 0.50:
            kind, data = "sales.objection.chosen", {"objection": rng.choice(["price_too_high", "no_budget", "competitor_cheaper"])}
        elif roll < 0.60:
            kind, data = "sales.message.sent", {"channel": rng.choice(["wechat", "sms"])}
        elif roll < 0.66:
            kind, data = "sales.visit.checked_in", {"location": {"lat": 31.2, "lon": 121.4, "accuracyM": 12}}
        elif roll < 0.72:
            kind, data = "sales.quote.sent", {"quoteId": f"q-{index}", "amount": 12000.5, "currency": "CNY"}
        elif roll < 0.76:
            kind, data = "sales.quote.opened", {"quoteId": f"q-{index}"}
        elif roll < 0.84:
            kind, data = "sales.field.updated", {"field": "latest_need", "value": rng.choice(["spine", "joint", "trauma"]), "previous": None}
        elif roll < 0.88:
            kind, data = "sales.competitor.mentioned", {"competitor": rng.choice(["acme", "globex", "initech"])}
        elif roll < 0.91:
            kind, data = "sales.intent.marked", {"level": rng.choice(["high", "low"])}
        elif roll < 0.94:
            kind, data = "sales.knowledge.searched", {"query": rng.choice(["scope blur", "sterile pack"]), "hit": rng.random() < 0.5}
        elif roll < 0.97 and step >= 3:
            kind, data = "sales.deal.won", {"amount": 50000, "currency": "CNY"}
        else:
            kind, data = "sales.message.sent", {"channel": "wechat"}
        event = {"specversion": "1.0", "id": f"soak-{seed}-{index}", "source": "soak", "type": kind, "time": stamp(at),
                 "subject": customer, "repid": rep, "region": region, "data": data}
        line = json.dumps(event, separators=(",", ":"))
        damage = rng.random()
        if damage < 0.001:
            line = line.replace(stamp(at), stamp(at)[:-1])  # a time without an offset
        elif damage < 0.002:
            line = line.replace(kind, "sales.unknown.thing")
        elif damage < 0.003:
            line = line[: len(line) // 2]  # broken JSON
        lines.append(line)
        if rng.random() < 0.01:
            lines.append(line)  # a duplicate, right away
    return lines


def free_port():
    while True:
        port = random.randrange(20_000, 30_000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


class Instance:
    """One `salespulse run` process of the chaos group, with its own state folder (or the group's
    shared one) and port."""

    def __init__(self, name, arguments, folder, state=None):
        self.name, self.arguments, self.folder = name, arguments, folder
        self.state = state or os.path.join(folder, name)
        self.port = free_port()
        self.process = None
        self.starts = 0

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def start(self):
        self.starts += 1
        output = open(os.path.join(self.folder, f"{self.name}-{self.starts}.log"), "w")
        self.process = subprocess.Popen(self.arguments + ["--state-dir", self.state, "--http", f"127.0.0.1:{self.port}"],
                                        stdout=output, stderr=output)
        log(f"{self.name}: started (pid {self.process.pid}, port {self.port})")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        log(f"{self.name}: killed with SIGKILL")

    def terminate(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise SystemExit(f"soak: {self.name} did not stop within 60 s of SIGTERM")
        log(f"{self.name}: stopped with SIGTERM (exit {self.process.returncode})")


def get(port, path, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        if own:
            connection.close()


def caught_up(port, partitions, settle=3):
    """Waits until the instance owns every input partition, has no lag anywhere and its
    statistics stay the same for `settle` consecutive seconds."""
    previous, stable, started = None, 0, time.time()
    while True:
        if time.time() - started > 900:
            raise SystemExit("soak: no catch-up within 15 minutes")
        time.sleep(1)
        try:
            _, text = get(port, "/metrics")
        except OSError:
            continue
        lags = re.findall(r'^salespulse_consumer_lag\{(?:[^}]*?)topic="([^"]+)"[^}]*\} (\S+)', text, re.M)
        inputs = [value for topic, value in lags if topic == "sales.events"]
        statistics = re.findall(r"^salespulse_events_\w+ \S+", text, re.M)
        if len(inputs) == partitions and all(float(value) == 0 for _, value in lags) and statistics == previous:
            stable += 1
            if stable >= settle:
                return
        else:
            stable = 0
        previous = statistics


# Live, how long after catching up every partition's timers follow the wall clock: `run`'s
# idle time (5 s), a tick (1 s) and a margin.
LIVE_IDLE_SECONDS = 8


def without_times(document):
    """`document` without its `at` keys, at any depth."""
    if isinstance(document, dict):
        return {key: without_times(value) for key, value in document.items() if key != "at"}
    if isinstance(document, list):
        return [without_times(item) for item in document]
    return document


def snapshot(port, customers, at=None):
    """Every projection the instance serves, as parsed JSON. With `at` (live instances, whose
    time is the wall clock), flows and metrics are asked as of that time, and the counters'
    times (theirs and their series' points') are left out."""
    def names(path):
        _, body = get(port, path)
        detail = json.loads(body).get("detail", "")
        return [name.strip() for name in detail.split(":")[-1].split(",") if name.strip()]

    result = {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for flow in names("/v1/flows/-"):
        result[f"flow {flow}"] = json.loads(get(port, f"/v1/flows/{flow}" + (f"?at={at}" if at else ""), connection)[1])
    for counter in names("/v1/counters/-"):
        result[f"counter {counter}"] = json.loads(get(port, f"/v1/counters/{counter}?series=1", connection)[1])
        if at:
            # Its series' points are dated from the wall clock too.
            result[f"counter {counter}"] = without_times(result[f"counter {counter}"])
    for metric in names("/v1/metrics/-"):
        for by in ["", "?by=region"]:
            query = "&".join(part for part in [by.removeprefix("?"), f"at={at}" if at else ""] if part)
            result[f"metric {metric}{by}"] = json.loads(get(port, f"/v1/metrics/{metric}" + (f"?{query}" if query else ""), connection)[1])
    alerts = json.loads(get(port, "/v1/alerts", connection)[1])
    result["open alerts"] = sorted(alerts, key=lambda alert: json.dumps(alert, sort_keys=True))
    _, text = get(port, "/metrics", connection)
    result["statistics"] = sorted(line for line in re.findall(r"^salespulse_events_\w+ \S+", text, re.M))
    for index in range(customers):
        customer = f"cust-{index:06d}"
        status, body = get(port, f"/v1/customers/{customer}", connection)
        result[f"customer {customer}"] = json.loads(body) if status == 200 else status
    connection.close()
    return result


def first_difference(a, b, path=""):
    """The JSON path of the first place two parsed documents differ, with both values there."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}/{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}/{index}")
    return f"{path or '/'}: reference {json.dumps(a)[:200]}, chaos {json.dumps(b)[:200]}"


def repartition_attributes(config):
    """The attributes `run` repartitions by for `config`: every counter's group-by attribute,
    `all` for a counter without one, and the rep exits when there are N-in-a-row rules (topics
    created for an attribute no counter uses are simply not read). Read from the text, for
    counters written one per line in flow style (`- {id: …, count: true, groupBy: …}`) as in the
    shipped configuration; a topic this misses is created by the broker, with 4 partitions."""
    text = open(config).read()
    attributes = sorted(set(re.findall(r"groupBy:\s*([A-Za-z0-9_.-]+)", text)))
    counters = re.findall(r"^\s*-\s*\{id:[^}]*\b(?:count|sum|distinct):[^}]*\}", text, re.M)
    if any("groupBy:" not in counter for counter in counters):
        attributes.append("all")
    if re.search(r"kind:\s*inARow", text):
        attributes.append("rep-exits")
    return attributes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--actions", type=int, default=8, help="random kills, stops and starts during the chaos run")
    parser.add_argument("--instances", type=int, default=2, help="instances sharing the chaos group (at least 1)")
    parser.add_argument("--live-publish", action="store_true",
                        help="publish half of the events before the chaos and the rest in chunks during it")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", default=".build/release/salespulse")
    parser.add_argument("--reference-binary", metavar="PATH",
                        help="the binary of the reference run (default: --binary); an earlier build checks that a change"
                             " leaves every projection as it was")
    parser.add_argument("--config", default="deploy/config/salespulse.yaml")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, state)")
    parser.add_argument("--shared-state", action="store_true",
                        help="give the chaos instances one shared --state-dir (a partition that moves is restored from its"
                             " checkpoint rather than replayed; default: a folder each)")
    parser.add_argument("--prefetch", default=None, help="--prefetch of every `run` instance (default: run's own)")
    parser.add_argument("--repartition-partitions", type=int,
                        help="create the repartition topics of both groups with this many partitions when the broker starts (default: the"
                        " embedded broker's automatic creation, 4 partitions; a Kafka cluster's CreateTopics gives the input's count)")
    parser.add_argument("--reference-repartition-partitions", type=int,
                        help="the reference group's repartition topics get this many partitions instead (the projections must not depend"
                        " on it)")
    parser.add_argument("--write-events", metavar="FILE",
                        help="only write the generated events to FILE, one JSON line each (for `salespulse publish`, or"
                             " `salespulse bench --stages process --events-file FILE`), and stop")
    parser.add_argument("--crosscheck", action="store_true",
                        help="also compare the last chaos instance with scripts/crosscheck.py's independent computation from the"
                             " same events (in the order published)")
    parser.add_argument("--live", action="store_true",
                        help="run every instance live (without --replay): idle partitions' timers and the projections' time follow"
                             " the wall clock")
    parser.add_argument("--generator", choices=["soak", "crosscheck"], default="soak",
                        help="whose events: this script's lead pipeline (default) or scripts/crosscheck.py's, which use every flow of"
                             " --config")
    options = parser.parse_args()

    def events():
        if options.generator == "soak":
            return generate(options.events, options.customers, options.seed)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import crosscheck
        import yaml
        with open(options.config, encoding="utf-8") as file:
            return crosscheck.generate(yaml.safe_load(file), options.events, options.customers, options.seed)

    if options.write_events:
        lines = events()
        with open(options.write_events, "w") as file:
            file.write("\n".join(lines) + "\n")
        log(f"{len(lines)} lines written to {options.write_events} ({options.events} events, duplicates and invalid ones included)")
        return 0
    for binary in [options.binary, options.reference_binary or options.binary]:
        if not os.access(binary, os.X_OK):
            log(f"{binary} is not an executable: build it with `swift build -c release --product salespulse`")
            return 2
    if options.instances < 1 or options.actions < 0:
        log(f"--instances must be at least 1 and --actions at least 0 (got {options.instances} and {options.actions})")
        return 2
    rng = random.Random(options.seed)
    folder = tempfile.mkdtemp(prefix="salespulse-soak-")
    log(f"work folder {folder}")
    broker = None
    instances = []
    started = []  # every instance, stopped in `finally` if still running (the reference too)
    try:
        lines = events()
        log(f"{len(lines)} lines generated ({options.events} events, duplicates and invalid ones included)")
        # What is published before the chaos, then one chunk after each random action.
        if options.live_publish and options.actions > 0:
            half = len(lines) // 2
            size = -(-(len(lines) - half) // options.actions)
            chunks = [lines[:half]] + [lines[start:start + size] for start in range(half, len(lines), size)]
        else:
            chunks = [lines]
        files = []
        for index, chunk in enumerate(chunks):
            files.append(os.path.join(folder, f"events-{index}.jsonl"))
            with open(files[-1], "w") as file:
                file.write("\n".join(chunk) + "\n")

        topics = [f"sales.events:{options.partitions}"]
        reference_partitions = options.reference_repartition_partitions or options.repartition_partitions
        for group, partitions in [("chaos", options.repartition_partitions), ("reference", reference_partitions)]:
            if partitions:
                topics += [f"salespulse.{group}-{options.seed}.repartition.{attribute}:{partitions}" for attribute in repartition_attributes(options.config)]
        broker = subprocess.Popen([options.binary, "broker"] + [argument for topic in topics for argument in ("--topic", topic)], stdout=subprocess.PIPE,
                                  stderr=open(os.path.join(folder, "broker.log"), "w"), text=True)
        first = broker.stdout.readline()
        if not first.startswith("bootstrap: "):
            log(f"the broker printed {first!r} instead of its bootstrap address")
            return 2
        bootstrap = first.split(" ", 1)[1].strip()
        log(f"broker at {bootstrap} (pid {broker.pid})")

        def publish(path):
            published = subprocess.run([options.binary, "publish", "--bootstrap", bootstrap, path], capture_output=True, text=True)
            log(f"publish {os.path.basename(path)}: {published.stdout.strip().splitlines()[-1] if published.stdout.strip() else published.stderr.strip()[-200:]}")
            if published.returncode != 0:
                raise SystemExit(2)

        publish(files[0])

        def arguments(group, binary=options.binary):
            return [binary, "run", "--bootstrap", bootstrap, "--config", options.config, "--group", group,
                    "--checkpoint-interval", "1s", "--status-interval", "0"] + ([] if options.live else ["--replay"]) + \
                   (["--prefetch", options.prefetch] if options.prefetch else [])

        names = [chr(ord("a") + index) if index < 26 else f"i{index}" for index in range(options.instances)]
        shared = os.path.join(folder, "chaos-state") if options.shared_state else None
        instances = [Instance(name, arguments(f"chaos-{options.seed}"), folder, shared) for name in names]
        started += instances
        instances[0].start()
        for action in range(options.actions):
            time.sleep(rng.uniform(0.5, 4.0))
            alive = [instance for instance in instances if instance.alive]
            stopped = [instance for instance in instances if not instance.alive]
            choice = rng.random()
            if stopped and (not alive or choice < 0.4):
                rng.choice(stopped).start()
            elif choice < 0.8:
                rng.choice(alive).kill()
            else:
                rng.choice(alive).terminate()
            if action + 1 < len(files):
                publish(files[action + 1])
        alive = [instance for instance in instances if instance.alive]
        if not alive:
            instances[0].start()
            alive = [instances[0]]
        for extra in alive[1:]:
            extra.kill()
        last = alive[0]
        log(f"{last.name} is left alone: waiting for it to own every partition and catch up")
        caught_up(last.port, options.partitions)
        # Live, a partition's timers follow the wall clock once it has been idle for 5 s
        # (`run`'s idle time), at the next tick: until then they stand at its watermark.
        if options.live:
            time.sleep(LIVE_IDLE_SECONDS)
        # Live, the instances' time is the wall clock: both are asked as of the chaos's.
        at = json.loads(get(last.port, "/v1/metrics?by=region")[1])["at"] if options.live else None
        actual = snapshot(last.port, options.customers, at)
        crosscheck_failed = False
        if options.crosscheck:
            everything = os.path.join(folder, "events-all.jsonl")
            with open(everything, "w") as file:
                file.write("\n".join(lines) + "\n")
            checked = subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "crosscheck.py"), everything,
                                      "--config", options.config, "--http", f"127.0.0.1:{last.port}", "--order", "arrival"],
                                     capture_output=True, text=True)
            for line in (checked.stderr + checked.stdout).strip().splitlines()[-12:]:
                log(f"crosscheck: {line.removeprefix('crosscheck: ')}")
            if checked.returncode != 0:
                log(f"{last.name} differs from the independent computation (crosscheck.py exit status {checked.returncode})")
                crosscheck_failed = True
        last.terminate()

        reference = Instance("reference", arguments(f"reference-{options.seed}", options.reference_binary or options.binary), folder)
        started.append(reference)
        reference.start()
        caught_up(reference.port, options.partitions)
        if options.live:
            time.sleep(LIVE_IDLE_SECONDS)
        expected = snapshot(reference.port, options.customers, at)
        reference.terminate()
        log(f"reference: {len(expected)} projections")

        # A log whose head the broker dropped before an instance folded it (the embedded broker
        # keeps about 5 MiB per partition) leaves that instance's projections short: `run` says so
        # ("records missing from …"), and the comparison would only measure the broker.
        missing = []
        for name in sorted(os.listdir(folder)):
            if name.endswith(".log"):
                with open(os.path.join(folder, name), errors="replace") as file:
                    missing += [(name, line.strip()) for line in file if "records missing from" in line]
        if missing:
            log(f"void: the broker no longer had records an instance was to fold ({len(missing)} warnings), e.g. {missing[0][0]}: "
                f"{missing[0][1][-240:]}")
            log("the embedded broker keeps about 5 MiB per partition: use more --partitions or fewer --events")
            return 2

        differences = [key for key in sorted(set(expected) | set(actual)) if expected.get(key) != actual.get(key)]
        if differences:
            log(f"{len(differences)} of {len(expected)} projections differ, e.g.:")
            for key in differences[:10]:
                log(f"  {key} at {first_difference(expected.get(key), actual.get(key))}")
                reference_items, chaos_items = expected.get(key), actual.get(key)
                if isinstance(reference_items, list) and isinstance(chaos_items, list):
                    # Lists (open alerts): which elements only one side has.
                    reference_only = [item for item in reference_items if item not in chaos_items]
                    chaos_only = [item for item in chaos_items if item not in reference_items]
                    for side, items in [("only in the reference", reference_only), ("only in the chaos run", chaos_only)]:
                        for item in items[:3]:
                            log(f"    {side}: {json.dumps(item, sort_keys=True)}")
            if options.keep:
                for name, document in [("reference", expected), ("chaos", actual)]:
                    with open(os.path.join(folder, f"{name}.json"), "w") as file:
                        json.dump(document, file, indent=1, sort_keys=True)
            return 1
        if crosscheck_failed:
            log(f"all {len(expected)} projections equal the reference, but not the independent computation (above)")
            return 1
        publishing = f", {len(files) - 1} chunks published during them" if len(files) > 1 else ""
        log(f"all {len(expected)} projections equal the reference after {options.actions} random kills, stops and starts "
            f"of {options.instances} instances{publishing}")
        return 0
    finally:
        for instance in started:
            if instance.alive:
                instance.kill()
        if broker is not None and broker.poll() is None:
            broker.send_signal(signal.SIGTERM)
            broker.wait(timeout=30)
        if options.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
