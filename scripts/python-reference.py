#!/usr/bin/env python3
"""A Python reference for `salespulse bench --stages decode,process`: the least a Python stream
processor must do per event, measured on the same sample events on one core.

It generates the events `salespulse bench` uses (SampleEvents: the same JSON, customers, reps,
regions and times), then, per event: `json.loads`, the envelope checks (specversion, required
string attributes, known type, RFC 3339 time *with* an offset, not before 2000, subject equals
the key), de-duplication by id, and a minimal fold — the customer's last event and first
contact, current step per flow, action executions, and a per-second objection counter. No
evidence rules, no timers, no alerts, no schemas: SalesPulse does much more per event, so this is
a lower bound on a Python processor's cost, not the same job.

Usage: python3 scripts/python-reference.py [EVENTS] [ROUNDS]   (defaults: 200000 3)
Prints events/s per round and the best, like the Swift bench.
"""
import datetime
import json
import sys
import time

KNOWN_TYPES = {
    "sales.lead.created", "sales.field.updated", "sales.step.entered", "sales.step.blocked",
    "sales.action.completed", "sales.objection.chosen", "sales.quote.sent", "sales.quote.opened",
    "sales.visit.planned", "sales.visit.checkedin", "sales.competitor.mentioned",
    "sales.intent.marked", "sales.knowledge.searched", "sales.tracecode.scanned",
    "sales.message.sent", "sales.deal.won", "sales.deal.lost",
}
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


def stamp(epoch_ms, offset_minutes=480):
    """RFC 3339 in the event's own offset, with milliseconds (SampleEvents.localStamp)."""
    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=zone)
    return moment.isoformat(timespec="milliseconds")


def sample_events(count, customers=100_000, reps=500):
    """(key, value) pairs identical to SampleEvents.make."""
    base = 1_772_413_200_000
    regions = ["east", "north", "south", "west"]
    events = []
    for index in range(count):
        customer = "cust-%06d" % (index * 7919 % customers)
        rep = "rep-%04d" % (index % reps)
        region = regions[index % 4]
        when = stamp(base + index * 10)
        kind = index % 5
        if kind == 0:
            type_, data = "sales.objection.chosen", '{"objection":"price_too_high"}'
        elif kind == 1:
            type_ = "sales.action.completed"
            data = ('{"flow":"academic","step":"dept_visit","action":"photo_badge","evidence":{"photo":'
                    '{"hash":"sha256:9f86d081884c7d65","capturedAt":"%s"},"location":{"lat":31.2304,'
                    '"lon":121.4737,"accuracyM":18}}}' % when)
        elif kind == 2:
            type_, data = "sales.step.entered", '{"flow":"academic","step":"literature_review"}'
        elif kind == 3:
            type_, data = "sales.field.updated", '{"field":"latest_need","value":"spinal implants Q3","previous":"unknown"}'
        else:
            type_, data = "sales.message.sent", '{"channel":"wechat"}'
        value = ('{"specversion":"1.0","id":"%08d-0d6e-4f0e-9a51-3f7c2a1d9e01","source":"rep-app/android",'
                 '"type":"%s","time":"%s","subject":"%s","repid":"%s","region":"%s","data":%s}'
                 % (index, type_, when, customer, rep, region, data))
        events.append((customer.encode(), value.encode()))
    return events


class Rejected(Exception):
    pass


def decode(key, value):
    event = json.loads(value)
    if not isinstance(event, dict):
        raise Rejected("not an object")
    if event.get("specversion") != "1.0":
        raise Rejected("/specversion")
    for name in ("id", "source", "type", "subject", "time"):
        field = event.get(name)
        if not isinstance(field, str) or not field:
            raise Rejected("/" + name)
    if event["type"] not in KNOWN_TYPES:
        raise Rejected("/type")
    moment = datetime.datetime.fromisoformat(event["time"])
    if moment.tzinfo is None:
        raise Rejected("/time has no offset")
    if moment < EARLIEST:
        raise Rejected("/time before 2000")
    if key is not None and key.decode() != event["subject"]:
        raise Rejected("/subject differs from the key")
    if not isinstance(event.get("data"), dict):
        raise Rejected("/data")
    event["epoch_ms"] = int(moment.timestamp() * 1000)
    return event


def process(events):
    seen = set()
    customers = {}
    objections = {}
    applied = rejected = 0
    for key, value in events:
        try:
            event = decode(key, value)
        except (Rejected, ValueError):
            rejected += 1
            continue
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        at = event["epoch_ms"]
        state = customers.get(event["subject"])
        if state is None:
            state = customers[event["subject"]] = {"first": at, "last": at, "steps": {}, "executions": 0}
        state["first"] = min(state["first"], at)
        state["last"] = max(state["last"], at)
        data = event["data"]
        if event["type"] == "sales.step.entered":
            state["steps"][data["flow"]] = (data["step"], at)
        elif event["type"] == "sales.action.completed":
            state["executions"] += 1
        elif event["type"] == "sales.objection.chosen":
            bucket = (data["objection"], at // 1000)
            objections[bucket] = objections.get(bucket, 0) + 1
        applied += 1
    return applied, rejected


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print("generating %d sample events…" % count, flush=True)
    events = sample_events(count)
    mean = sum(len(value) for _, value in events) / len(events)
    print("events: %d, mean size: %.0f bytes (CPython %s)" % (count, mean, sys.version.split()[0]))
    best = 0.0
    for index in range(1, rounds + 1):
        start = time.perf_counter()
        applied, rejected = process(events)
        rate = count / (time.perf_counter() - start)
        best = max(best, rate)
        print("python round %d: %.0f events/s (applied %d, rejected %d)" % (index, rate, applied, rejected), flush=True)
    print("python reference (json.loads, envelope checks, dedupe, minimal fold; 1 core): %.0f events/s" % best)


if __name__ == "__main__":
    main()
