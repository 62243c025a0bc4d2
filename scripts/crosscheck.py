#!/usr/bin/env python3
"""An independent computation of SalesPulse's projections, compared with what `run` serves.

Reads a JSON Lines file of events (as `salespulse publish` sends them, one record per line, in
the order published) and the process configuration, folds them in plain Python from the rules
the README states — de-duplication by id, the flows' steps and mandatory actions with their
evidence, blockages, late step entries put back in their place, key-field freshness, lead
activation, repeated executions and quotes, won and lost deals, the organisation, sliding-window
counters — and compares the result, as of the time the instance reports (`at`), with the
instance's HTTP API: every customer (`/v1/customers/{id}`, its open timer alerts — step SLA,
activation, inactivity — as of its partition's watermark among them), the open N-in-a-row
alerts (`/v1/alerts`), each flow's summary
(`/v1/flows/{flow}`: customers, stuck and blocked per step, dwell percentiles, violations), the
metric sums by rep, team and region and each region's PHI (`/v1/metrics?by=…`), every counter
(`/v1/counters/{id}`) and the event statistics of `/metrics` (applied, duplicates, rejected by
reason). It shares no code with SalesPulse: a difference is a bug on one side or a rule read two
ways. Counter-rule and absence alerts are left out (their event-time rules are checked by the
soak's reference run, `SeedRuleCatalogueTests` and, for histories, BENCHMARKS.md session 48).

--order arrival folds each customer's events in the order published (as a partition delivers
them); --order time (the default) sorts them by event time first, an event-time reading that
says how far the projections depend on delivery order (README, "Late deliveries").

Usage:
  salespulse broker --topic sales.events:16            # prints bootstrap: HOST:PORT
  salespulse publish --bootstrap HOST:PORT EVENTS.jsonl
  salespulse run --bootstrap HOST:PORT --replay --http 127.0.0.1:8080 --state-dir DIR
  python3 scripts/crosscheck.py EVENTS.jsonl [--config deploy/config/salespulse.yaml]
          [--http 127.0.0.1:8080] [--order time|arrival] [--customers N] [--show 20]
  python3 scripts/crosscheck.py EVENTS.jsonl --fold-only [--order arrival]   # Python's rate, no instance
  python3 scripts/crosscheck.py EVENTS.jsonl --write-events [--events 200000]
          [--customer-count 20000] [--seed 1]     # generated events, see generate()
Waits until the instance has applied every valid event (and its watermark stood still), then
prints each difference (at most --show per kind) and a summary; exits 0 when all agree, 1
otherwise.
"""
import argparse
import collections
import datetime
import http.client
import json
import os
import random
import re
import resource
import sys
import time
import zlib

import yaml

# The event types: one JSON Schema each in schemas/ (the published contract, not the code).
SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schemas")
KNOWN_TYPES = {re.sub(r"\.v\d+\.schema\.json$", "", name) for name in os.listdir(SCHEMAS) if name.startswith("sales.") and name.endswith(".schema.json")}
# README, "Metrics": the events that count as communication with the customer.
COMMUNICATION = {"sales.message.sent", "sales.visit.checked_in", "sales.quote.sent",
                 "sales.objection.chosen", "sales.action.completed"}
OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")
UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def duration(text):
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)", str(text))
    return int(match.group(1)) * UNITS[match.group(2)]


def millis(stamp):
    return int(datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


def utc(ms):
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class Flow:
    def __init__(self, definition):
        self.id = definition["id"]
        self.steps = [step["id"] for step in definition["steps"]]
        self.sla = {step["id"]: duration(step["sla"]) for step in definition["steps"] if "sla" in step}
        self.required = {step["id"]: [action["id"] for action in step.get("actions", []) if action.get("mandatory", True)]
                         for step in definition["steps"]}
        self.evidence = {(step["id"], action["id"]): action.get("evidence", {})
                         for step in definition["steps"] for action in step.get("actions", [])}
        self.blockage = {step["id"]: step.get("blockageReasons", []) for step in definition["steps"]}


def evidence_ok(evidence, requirement, at):
    """The evidence rules of the configuration: text bounds, an attachment, SKUs, a photo taken
    no later than a minute after the action, a location at most so many metres uncertain."""
    if not isinstance(evidence, dict):
        evidence = {}
    for kind, rule in requirement.items():
        if kind == "text":
            text = evidence.get("text")
            if not isinstance(text, str) or not rule.get("min", 0) <= len(text) <= rule.get("max", 1 << 30):
                return False
        elif kind == "photo" and rule:
            photo = evidence.get("photo")
            if not photo or millis(photo["capturedAt"]) > at + 60_000:
                return False
            if isinstance(rule, dict) and "maxAge" in rule and at - millis(photo["capturedAt"]) > duration(rule["maxAge"]):
                return False
        elif kind in ("attachment", "skus") and rule:
            if not evidence.get(kind):
                return False
        elif kind == "location":
            location = evidence.get("location")
            if not isinstance(location, dict) or location.get("accuracyM", 1e9) > rule.get("maxAccuracyM", 1e9):
                return False
    return True


class Customer:
    def __init__(self):
        self.region = self.rep = None
        self.region_at = self.rep_at = None
        self.first = self.last = self.communication = None
        self.fields = {}  # field -> (updated at, value)
        self.first_filled = {}  # field -> the earliest update's time
        self.lead_at = None  # the earliest lead.created
        self.misplaced = 0
        self.outcome = None  # ("won" | "lost", at)
        self.executions = 0
        self.ineffective = 0
        self.quotes = 0
        self.quote_events = []  # time * 2 (+ 1 for an open), sorted
        self.won = None
        self.flows = {}  # flow -> {"current": visit, "history": [visits]}
        # Blockages no visit of their step contained when they came (README, "Late
        # deliveries"): (at, flow, step, reason, text), in order.
        self.unplaced = []
        # Actions of a known step likewise, counted as misplaced meanwhile: (at, flow, step,
        # action, evidence valid), in order.
        self.waiting_actions = []

    def time_to_sign(self):
        return None if self.won is None or self.first is None else self.won - self.first


def visit(step, at, flow):
    # done: action -> the earliest valid execution's time; invalid: (action, time) of each
    # execution whose evidence failed.
    return {"step": step, "entered": at, "exited": None, "required": flow.required.get(step, []), "done": {}, "runs": collections.Counter(),
            "invalid": [], "blockage": None, "blocked_at": None, "blocked_reason": None, "reentries": [], "repeats": []}


def add_valid(v, action, at):
    """The earliest valid execution completes the action; the others are repeats."""
    if action not in v["done"]:
        v["done"][action] = at
    elif at < v["done"][action]:
        v["repeats"].append((action, v["done"][action]))
        v["done"][action] = at
    else:
        v["repeats"].append((action, at))


def note_reentry(v, at):
    if at > v["entered"] and at not in v["reentries"]:
        v["reentries"] = sorted(v["reentries"] + [at])


def resumption(v, at, exit_at, flow):
    """The stay at v's step resumed at its first re-entry after `at` (v interrupted there)."""
    later = [r for r in v["reentries"] if r > at]
    v["reentries"] = [r for r in v["reentries"] if r < at]
    if not later:
        return None
    resumed = visit(v["step"], later[0], flow)
    resumed["exited"] = exit_at
    resumed["reentries"] = later[1:]
    return resumed


UNPLACED_LIMIT = 32


def hold(customer, at, flow_id, step, reason, text):
    """Keeps a blockage no visit of its step contains, in order (time, flow, step, reason); past
    the limit the earliest goes."""
    customer.unplaced.append((at, flow_id, step, reason, text))
    customer.unplaced.sort(key=lambda entry: entry[:4])
    if len(customer.unplaced) > UNPLACED_LIMIT:
        customer.unplaced.pop(0)


UNPLACED_ACTION_LIMIT = 8


def hold_action(customer, at, flow_id, step, action, valid):
    """Keeps an action no visit of its step contains, in order; past the limit the earliest goes
    (misplaced for good)."""
    customer.waiting_actions.append((at, flow_id, step, action, valid))
    customer.waiting_actions.sort(key=lambda entry: entry[:4])
    if len(customer.waiting_actions) > UNPLACED_ACTION_LIMIT:
        customer.waiting_actions.pop(0)


def place_actions(customer, flow_id, configuration):
    """After a step entry: the waiting actions a visit of their step now contains go there, each
    an execution there, no longer misplaced."""
    def place_one(target, item):
        at, _, _, action, valid = item
        execute(customer, target, action, at, valid, configuration)
        customer.misplaced -= 1
    customer.waiting_actions = place_waiting(customer, flow_id, customer.waiting_actions, place_one)


def place_waiting(customer, flow_id, items, place_one):
    """After a step entry: the waiting items — (time, flow, step, …) — that a visit of their step
    now contains go there (`place_one(visit, item)`); returns the others."""
    state = customer.flows.get(flow_id)
    if state is None:
        return items
    kept = []
    for item in items:
        target = containing_visit(state, item[2], item[0]) if item[1] == flow_id else None
        if target is None:
            kept.append(item)
        else:
            place_one(target, item)
    return kept


def execute(customer, target, action, at, valid, configuration):
    """An execution of `action` at `at` in the visit `target`: the earliest valid one completes
    the action; from the N-th on in the visit it counts as ineffective."""
    if valid:
        add_valid(target, action, at)
    else:
        target["invalid"].append((action, at))
    target["runs"][action] += 1
    customer.executions += 1
    customer.ineffective += target["runs"][action] >= configuration["repeats"]


def containing_visit(state, step, at):
    current = state["current"]
    if current is not None and current["step"] == step and at >= current["entered"]:
        return current
    matches = [v for v in state["history"] if v["step"] == step and v["entered"] <= at and (v["exited"] is None or at < v["exited"])]
    return matches[-1] if matches else None


def place(customer, flow_id):
    """After a step entry: the waiting blockages a visit of their step now contains go there."""
    def place_one(target, item):
        at, _, _, reason, text = item
        if target["blocked_at"] is None or at >= target["blocked_at"]:
            target["blockage"], target["blocked_at"], target["blocked_reason"] = text, at, reason
    customer.unplaced = place_waiting(customer, flow_id, customer.unplaced, place_one)


def trim(customer, v, at, configuration, flow_id):
    """A visit ended at `at` by an entry delivered after actions or a blockage placed in it from
    then on: those happened at another step (the actions misplaced; they and the blockage wait
    for a visit that contains them; README, "Late deliveries"). Returns the actions taken out."""
    if v["blocked_at"] is not None and v["blocked_at"] >= at:
        hold(customer, v["blocked_at"], flow_id, v["step"], v["blocked_reason"], v["blockage"])
        v["blockage"], v["blocked_at"], v["blocked_reason"] = None, None, None
    items = [("done", a, t) for a, t in v["done"].items() if t >= at] + [("invalid", a, t) for a, t in v["invalid"] if t >= at] + [("done", a, t) for a, t in v["repeats"] if t >= at]
    removed = [a for _, a, _ in items]
    v["repeats"] = [(a, t) for a, t in v["repeats"] if t < at]
    for a in [a for a, t in v["done"].items() if t >= at]:
        del v["done"][a]
    v["invalid"] = [(a, t) for a, t in v["invalid"] if t < at]
    def ineffective(n):
        return max(0, n - configuration["repeats"] + 1)
    for a in removed:
        n = v["runs"][a]
        if n <= 0:
            continue
        v["runs"][a] = n - 1
        customer.executions -= 1
        customer.misplaced += 1
        customer.ineffective -= ineffective(n) - ineffective(n - 1)
    return items


def take_back(customer, resumed, items, configuration):
    """A stay resumed at a re-entry takes back the actions the interrupted visit gave up from
    its entry on: they happened there. Returns the others."""
    left = []
    for kind, a, t in items:
        if t < resumed["entered"] or (resumed["exited"] is not None and t >= resumed["exited"]):
            left.append((kind, a, t))
            continue
        execute(customer, resumed, a, t, kind == "done", configuration)
        customer.misplaced -= 1
    return left


def enter(customer, event, at, flow, step, configuration):
    """A step entry: on time, a step change (re-entering the current step changes nothing); late,
    put where event-time order would have put it."""
    state = customer.flows.setdefault(flow.id, {"current": None, "history": []})
    current = state["current"]
    if current is None:
        state["current"] = visit(step, at, flow)
    elif at < current["entered"]:
        # A late entry: put where event-time order would have put it.
        before = [v for v in state["history"] if v["entered"] <= at]
        containing = before[-1] if before and (before[-1]["exited"] is None or before[-1]["exited"] > at) else None
        if containing is not None and containing["step"] == step:
            note_reentry(containing, at)  # re-entering the step it was at then
            return
        if containing is not None:
            exit_at = containing["exited"]
            containing["exited"] = at
            items = trim(customer, containing, at, configuration, flow.id)
            resumed = resumption(containing, at, exit_at, flow)
            if resumed is not None:
                items = take_back(customer, resumed, items, configuration)
                state["history"].insert(state["history"].index(containing) + 1, resumed)
            for kind, a, t in items:
                hold_action(customer, t, flow.id, containing["step"], a, kind == "done")
        index = next((i for i, v in enumerate(state["history"]) if v["entered"] > at), len(state["history"]))
        following = state["history"][index] if index < len(state["history"]) else current
        if following["step"] == step:
            # The following entry of the same step was a re-entry.
            old = following["entered"]
            following["entered"] = at
            note_reentry(following, old)
        else:
            late = visit(step, at, flow)
            late["exited"] = following["entered"]
            state["history"].insert(index, late)
    elif current["step"] == step:
        note_reentry(current, at)
    else:
        current["exited"] = at
        items = trim(customer, current, at, configuration, flow.id)
        resumed = resumption(current, at, None, flow)
        if resumed is not None:
            items = take_back(customer, resumed, items, configuration)
        for kind, a, t in items:
            hold_action(customer, t, flow.id, current["step"], a, kind == "done")
        state["history"].append(current)
        state["current"] = visit(step, at, flow)
        if resumed is not None:
            # The customer had re-entered the step it leaves here, later (delivered out of order).
            state["current"]["exited"] = resumed["entered"]
            state["history"].append(state["current"])
            state["current"] = resumed
        # A rep's exit from a step an N-in-a-row rule watches (a step left for another).
        for rule in configuration["inARow"]:
            if event.get("repid") is not None and rule["flow"] == flow.id and rule["step"] == current["step"]:
                missed = rule["action"] in current["required"] and rule["action"] not in current["done"]
                configuration["exits"][(rule["id"], event["repid"])].add((at, event["subject"], missed))


def fold(customer, event, at, flows, configuration):
    kind, data = event["type"], event.get("data") or {}
    # The rep and region of the latest event in event time that names them; the latest decision.
    if event.get("repid") is not None and (customer.rep_at is None or at >= customer.rep_at):
        customer.rep, customer.rep_at = event["repid"], at
    if event.get("region") is not None and (customer.region_at is None or at >= customer.region_at):
        customer.region, customer.region_at = event["region"], at
    customer.first = at if customer.first is None else min(customer.first, at)
    customer.last = at if customer.last is None else max(customer.last, at)
    if kind in COMMUNICATION:
        customer.communication = at if customer.communication is None else max(customer.communication, at)
    if kind == "sales.lead.created":
        customer.lead_at = at if customer.lead_at is None else min(customer.lead_at, at)
    elif kind == "sales.field.updated":
        field = data["field"]
        if field not in customer.fields or customer.fields[field][0] <= at:
            customer.fields[field] = (at, data["value"])
        customer.first_filled[field] = min(customer.first_filled.get(field, at), at)
    elif kind == "sales.step.blocked" and data.get("flow") in flows:
        flow = flows[data["flow"]]
        state = customer.flows.get(flow.id)
        visits = ([state["current"]] if state and state["current"] else []) + (state["history"][::-1] if state else [])
        target = next((v for v in visits if v["step"] == data["step"] and v["entered"] <= at and (v["exited"] is None or at < v["exited"])), None)
        configured = data["reason"] in flow.blockage.get(data["step"], [])
        text = data["reason"] + ("" if configured else " (not a configured reason)")
        if target is None:
            hold(customer, at, flow.id, data["step"], data["reason"], text)
        elif target["blocked_at"] is None or at >= target["blocked_at"]:
            target["blockage"], target["blocked_at"], target["blocked_reason"] = text, at, data["reason"]
    elif kind == "sales.step.entered" and data.get("flow") in flows:
        enter(customer, event, at, flows[data["flow"]], data["step"], configuration)
        place(customer, data["flow"])
        place_actions(customer, data["flow"], configuration)
    elif kind == "sales.action.completed" and data.get("flow") in flows:
        flow = flows[data["flow"]]
        state = customer.flows.get(flow.id)
        step, action = data.get("step"), data.get("action")
        if (step, action) not in flow.evidence:
            customer.misplaced += 1
            return
        valid = evidence_ok(data.get("evidence"), flow.evidence[(step, action)], at)
        target = containing_visit(state, step, at) if state is not None else None
        if target is None:
            # Waits for a step entry delivered later that makes a visit containing it (README).
            customer.misplaced += 1
            hold_action(customer, at, flow.id, step, action, valid)
            return
        execute(customer, target, action, at, valid, configuration)
    elif kind in ("sales.quote.sent", "sales.quote.opened"):
        # Quotes in order of time (a send before an open at one millisecond), at most 64 kept:
        # a send is ineffective when it is the N-th or later since the last open before it.
        def ineffective(events):
            run = count = 0
            for packed in events:
                if packed & 1:
                    run = 0
                    continue
                run += 1
                count += run >= configuration["repeats"]
            return count
        before = ineffective(customer.quote_events)
        customer.quote_events.append(at * 2 + (1 if kind == "sales.quote.opened" else 0))
        customer.quote_events.sort()
        customer.ineffective += ineffective(customer.quote_events) - before
        del customer.quote_events[:-64]
        if kind == "sales.quote.sent":
            customer.executions += 1
    elif kind in ("sales.deal.won", "sales.deal.lost") and (customer.outcome is None or at >= customer.outcome[1]):
        customer.outcome = ("won" if kind == "sales.deal.won" else "lost", at)
        customer.won = at if kind == "sales.deal.won" else None


def stamp(ms, offset_minutes):
    """RFC 3339 in a local offset (the seeds' timezone fault: devices report local time)."""
    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=zone)
    text = moment.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if offset_minutes == 0 else text


# The generator's events around the flows: each type with the upper bound of its share of the
# roll (from 0.49, after flows, blockages and fields) and how its data is drawn.
AMBIENT = [
    (0.54, "sales.quote.sent", lambda rng, index, at: {"quoteId": f"q-{index}", "amount": 12000.5, "currency": "CNY"}),
    (0.57, "sales.quote.opened", lambda rng, index, at: {"quoteId": f"q-{index}"}),
    (0.61, "sales.objection.chosen", lambda rng, index, at: {"objection": rng.choice(["price_too_high", "no_budget", "competitor_cheaper"])}),
    (0.64, "sales.competitor.mentioned", lambda rng, index, at: {"competitor": rng.choice(["acme", "globex", "initech"])}),
    (0.67, "sales.intent.marked", lambda rng, index, at: {"level": rng.choice(["high", "low"])}),
    (0.70, "sales.knowledge.searched", lambda rng, index, at: {"query": rng.choice(["scope blur", "sterile pack"]), "hit": rng.random() < 0.5}),
    (0.79, "sales.message.sent", lambda rng, index, at: {"channel": rng.choice(["wechat", "sms"])}),
    (0.84, "sales.visit.checked_in", lambda rng, index, at: {"location": {"lat": 31.2, "lon": 121.4, "accuracyM": 12}}),
    (0.86, "sales.visit.planned", lambda rng, index, at: {"plannedFor": stamp(at + 86_400_000, 480)}),
    (0.87, "sales.tracecode.scanned", lambda rng, index, at: {"code": f"TC{index}", "sku": "SKU-1"}),
]


def generate(document, count, customers, seed):
    """JSON lines exercising what the soak's generator does not: every flow of the
    configuration, skipped, repeated and revisited steps, unknown steps and flows, blockages
    (configured reasons and others), actions with valid and invalid evidence, at the wrong step
    or unknown, key and activation fields, quotes opened and not, won and lost deals, local
    time offsets, events without rep or region, events delivered hours late (2 %), duplicates
    re-sent up to 50 records later (1 %) and invalid records (0.4 %)."""
    rng = random.Random(seed)
    flows = [definition for definition in document["flows"]]
    key_fields = (document.get("freshness") or {}).get("keyFields", [])
    activation_fields = (document.get("activation") or {}).get("requiredFields", [])
    base = 1_772_413_200_000  # 2026-03-02T01:00:00Z
    spacing = 20 * 86_400_000 // max(1, count)
    people, lines, pending = {}, [], []
    for index in range(count):
        customer = f"cust-{rng.randrange(customers):06d}"
        at = base + index * spacing + rng.randrange(-60_000, 60_000)
        if rng.random() < 0.02:
            at -= rng.randrange(3_600_000, 48 * 3_600_000)  # a device that was offline
        person = people.get(customer)
        if person is None or rng.random() < 0.03:
            rep = rng.randrange(1, 321)
            if person is None:
                person = people[customer] = {"flow": rng.choice(flows), "position": None}
            person["rep"] = rep
        flow, steps = person["flow"], person["flow"]["steps"]
        current = steps[person["position"]] if person["position"] is not None else None
        roll = rng.random()
        if person["position"] is None and not person.get("started"):
            person["started"] = True
            if rng.random() < 0.85:
                kind, data = "sales.lead.created", {"channel": "wechat", "contactMode": rng.choice(["visit", "call"])}
            else:
                person["position"] = 0
                kind, data = "sales.step.entered", {"flow": flow["id"], "step": steps[0]["id"]}
        elif roll < 0.18:
            position = -1 if person["position"] is None else person["position"]
            move = rng.random()
            if move < 0.80:
                position = min(len(steps) - 1, position + 1)
            elif move < 0.88:
                position = min(len(steps) - 1, position + 2)
            elif move < 0.96:
                position = max(0, position - 1)
            position = max(0, position)
            step = steps[position]["id"]
            if move >= 0.98:
                step = "unplanned_step"
            else:
                person["position"] = position
            kind, data = "sales.step.entered", {"flow": flow["id"] if move < 0.99 or move >= 0.995 else "no_such_flow", "step": step}
        elif roll < 0.34:
            target = current if current is not None and rng.random() < 0.85 else rng.choice(steps)
            actions = target.get("actions") or [{"id": "no_such_action", "evidence": {}}]
            action = rng.choice(actions)
            valid = rng.random() < 0.7
            evidence = {}
            for part, rule in (action.get("evidence") or {}).items():
                broken = not valid and rng.random() < 0.6
                if part == "text":
                    length = rng.randrange(rule.get("min", 0), min(rule.get("max", 60), 60) + 1)
                    evidence["text"] = ("病例" * 40)[: max(0, rule.get("min", 1) - 1)] if broken else ("case 病例 " * 20)[:length]
                elif part == "photo":
                    captured = at + 300_000 if broken else at - rng.randrange(0, 600_000)
                    evidence["photo"] = {"hash": f"sha256:{rng.getrandbits(64):016x}", "capturedAt": stamp(captured, 480)}
                elif part == "location":
                    evidence["location"] = {"lat": 31.23, "lon": 121.47, "accuracyM": rule.get("maxAccuracyM", 50) + 70 if broken else rng.randrange(3, 40)}
                elif part == "attachment" and not broken:
                    evidence["attachment"] = {"name": "doc.pdf", "version": f"v{rng.randrange(1, 4)}"}
                elif part == "skus" and not broken:
                    evidence["skus"] = [{"sku": "SKU-1", "quantity": rng.randrange(1, 20)}]
            kind, data = "sales.action.completed", {"flow": flow["id"], "step": target["id"], "action": action["id"], "evidence": evidence}
        elif roll < 0.37:
            target = current if current is not None else steps[0]
            reasons = target.get("blockageReasons") or []
            reason = rng.choice(reasons) if reasons and rng.random() < 0.7 else "rep_on_leave"
            kind, data = "sales.step.blocked", {"flow": flow["id"], "step": target["id"], "reason": reason}
        elif roll < 0.49:
            field = rng.choice(key_fields + activation_fields + ["budget"])
            kind, data = "sales.field.updated", {"field": field, "value": rng.choice(["spine", "joint", "trauma", "tbd"]), "previous": None}
        elif roll < AMBIENT[-1][0]:
            kind, build = next((kind, build) for bound, kind, build in AMBIENT if roll < bound)
            data = build(rng, index, at)
        elif roll < 0.90 and person["position"] is not None and person["position"] >= 2:
            kind, data = "sales.deal.won", {"amount": 50000, "currency": "CNY"}
        elif roll < 0.91:
            kind, data = "sales.deal.lost", {"reason": "budget"} if rng.random() < 0.5 else {}
        else:
            kind, data = "sales.message.sent", {"channel": "wechat"}
        event = {"specversion": "1.0", "id": f"cc-{seed}-{index}", "source": "crosscheck", "type": kind,
                 "time": stamp(at, rng.choice([0, 0, 480, 480, -300, 330])), "subject": customer}
        rep = person["rep"]
        if rng.random() < 0.95:
            event["repid"] = f"rep-{rep:04d}"
            event["region"] = ["east", "north", "south", "west"][rep * 4 // 321]
        event["data"] = data
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        damage = rng.random()
        if damage < 0.001:
            line = line.replace(event["time"], event["time"][:23])  # a time without an offset
        elif damage < 0.002:
            line = line.replace(kind, "sales.unknown.thing")
        elif damage < 0.003:
            line = line[: len(line) // 2]  # broken JSON
        elif damage < 0.004:
            line = line.replace('"data":{', '"data":{"extra":', 1) if False else line.replace('"specversion":"1.0",', "")
        lines.append(line)
        if rng.random() < 0.01:
            pending.append((index + rng.randrange(1, 50), line))
        while pending and pending[0][0] <= index:
            lines.append(pending.pop(0)[1])
        pending.sort()
    lines.extend(line for _, line in pending)
    return lines


class Counter:
    def __init__(self, definition):
        self.id = definition["id"]
        self.type = definition["type"]
        self.where = {k: str(v) for k, v in (definition.get("where") or {}).items()}
        self.group_by = definition.get("groupBy")
        self.distinct = definition.get("distinct")
        self.sum = definition.get("sum")
        self.window = duration(definition["window"]) // 1000
        self.resolution = max(1, self.window // 3600)
        self.entries = []  # (bucket second, group, amount or distinct value)


def attribute(event, name, derived):
    if name in derived:
        return derived[name]
    if name in event and name not in ("data",):
        value = event[name]
    else:
        value = (event.get("data") or {}).get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def count(counter, event, at, derived):
    if event["type"] != counter.type:
        return
    for name, expected in counter.where.items():
        if attribute(event, name, derived) != expected:
            return
    group = attribute(event, counter.group_by, derived) if counter.group_by else "all"
    if group is None:
        return
    second = at // 1000
    second -= second % counter.resolution
    if counter.distinct:
        value = attribute(event, counter.distinct, derived)
        if value is not None:
            counter.entries.append((second, group, value))
    elif counter.sum:
        value = attribute(event, counter.sum, derived)
        if value is not None:
            counter.entries.append((second, group, round(float(value) * 65536) / 65536))
    else:
        counter.entries.append((second, group, 1))


def counter_values(counter, now):
    last = now // 1000
    first = last - max(1, counter.window) + 1
    values = collections.defaultdict(set if counter.distinct else float)
    for second, group, amount in counter.entries:
        if first <= second <= last:
            if counter.distinct:
                values[group].add(amount)
            else:
                values[group] += amount
    result = {group: float(len(v)) if counter.distinct else v for group, v in values.items()}
    return {group: v for group, v in result.items() if v != 0}


def valid(line):
    """The parsed event, or the rejection reason the instance counts it under (the three the
    generators produce by name; any other envelope fault as "other")."""
    try:
        event = json.loads(line)
    except ValueError:
        return None, "malformed-json"
    if not isinstance(event, dict):
        return None, "malformed-json"
    if event.get("type") not in KNOWN_TYPES:
        return None, "unknown-type"
    if not OFFSET.search(event.get("time", "")):
        return None, "timestamp-without-offset"
    if event.get("specversion") != "1.0" or not all(isinstance(event.get(name), str) for name in ("id", "source", "subject")) or not isinstance(event.get("data"), dict):
        return None, "other"
    return event, None


def compute(path, configuration, flows, counters, order):
    """Folds the file: every customer's events in the order published ("arrival", as a
    partition delivers them) or sorted by event time ("time", what an event-time reading of
    the same facts gives), after de-duplication by id (the first copy counts)."""
    events, seen = collections.defaultdict(list), set()
    statistics = collections.Counter()
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            continue
        event, reason = valid(line)
        if event is None:
            statistics[f"rejected {reason}"] += 1
            continue
        if event["id"] in seen:
            statistics["duplicate_total"] += 1
            continue
        seen.add(event["id"])
        statistics["applied_total"] += 1
        events[event["subject"]].append((millis(event["time"]), len(events[event["subject"]]), event))
    customers = {}
    for subject, timeline in events.items():
        if order == "time":
            timeline.sort(key=lambda entry: (entry[0], entry[1]))
        customer = customers[subject] = Customer()
        for at, _, event in timeline:
            fold(customer, event, at, flows, configuration)
            derived = {}
            if event["type"] == "sales.deal.won" and customer.time_to_sign() is not None:
                derived["timeToSignDays"] = repr(customer.time_to_sign() / 86_400_000)
            for counter in counters:
                count(counter, event, at, derived)
    return customers, statistics


def activation(customer, configuration, now):
    """The customer's activation as `/v1/customers` words it, read off event times: the lead's
    first creation, and when each required field was first filled in."""
    if customer.lead_at is None:
        return "not-a-lead"
    deadline = customer.lead_at + configuration["activation"]
    filled = [customer.first_filled.get(field) for field in configuration["requiredFields"]]
    if all(at is not None for at in filled):
        latest = max(filled, default=customer.lead_at)
        if latest <= deadline:
            return f"activated at {utc(latest)}"
        if now > deadline or latest > deadline:
            return f"activated late at {utc(latest)}"
    if now > deadline:
        return f"to be activated since {utc(deadline)}"
    return f"pending until {utc(deadline)}"


def timer_alerts(customer, flows, configuration, now):
    """The customer's open timer alerts as of `now` (its partition's watermark, which timers
    advance to): a step beyond its SLA, a lead not activated in time, an inactivity rule's
    silence — none once the deal is decided. Each as [rule, flow, step, since]."""
    if customer.outcome is not None:
        return []
    alerts = []
    if customer.lead_at is not None and activation(customer, configuration, now).startswith("to be activated"):
        alerts.append(["lead-activation", None, None, utc(customer.lead_at + configuration["activation"])])
    for flow_id, state in customer.flows.items():
        current = state["current"]
        if current is None:
            continue
        step, entered = current["step"], current["entered"]
        sla = flows[flow_id].sla.get(step)
        if sla is not None and now - entered > sla:
            alerts.append(["step-sla", flow_id, step, utc(entered + sla)])
        for rule in configuration["inactivity"]:
            if rule["flow"] == flow_id and rule["step"] == step:
                touched = max(customer.communication if customer.communication is not None else entered, entered)
                if now - touched > duration(rule["after"]):
                    alerts.append([f"inactivity:{rule['id']}", flow_id, step, utc(touched + duration(rule["after"]))])
    return sorted(alerts, key=json.dumps)


def in_a_row_alerts(configuration):
    """Open N-in-a-row alerts: a rep whose exits from the rule's step, in event-time order, end
    in `times` or more that missed the action. Each as [rule, rep, since, evidence]."""
    alerts = []
    times = {rule["id"]: rule["times"] for rule in configuration["inARow"]}
    for (rule, rep), exits in configuration["exits"].items():
        ordered = sorted(exits)
        done_right = [index for index, exit in enumerate(ordered) if not exit[2]]
        run = ordered[done_right[-1] + 1:] if done_right else ordered
        if len(run) >= times[rule]:
            alerts.append([f"in-a-row:{rule}", rep, utc(run[0][0]), [f"{customer} at {utc(at)}" for at, customer, _ in run[: times[rule]]]])
    return sorted(alerts, key=json.dumps)


def organisation(document):
    """rep -> (team, region), from the configuration's ranges like rep-0001..rep-0040."""
    placement = {}
    for region in (document.get("organisation") or {}).get("regions", []):
        for team in region.get("teams", []):
            for entry in team.get("reps", []):
                match = re.fullmatch(r"(.*?)(\d+)\.\.(.*?)(\d+)", entry)
                if match:
                    width = len(match.group(2))
                    names = [f"{match.group(1)}{n:0{width}d}" for n in range(int(match.group(2)), int(match.group(4)) + 1)]
                else:
                    names = [entry]
                for name in names:
                    placement[name] = (team["id"], region["id"])
    return placement


def metric_sums(customers, configuration, now, by):
    """The sums behind the metrics, per rep, team or region: a customer counts for its rep,
    that rep's team and region in the organisation (its own region when the rep is not in it)."""
    sums = collections.defaultdict(collections.Counter)
    placement = configuration["organisation"]
    for customer in customers.values():
        team, region = placement.get(customer.rep, (None, None))
        group = {"rep": customer.rep, "team": team, "region": region or customer.region}[by] or "unassigned"
        s = sums[group]
        s["customers"] += 1
        for state in customer.flows.values():
            for v in state["history"]:
                s["mandatoryRequired"] += len(v["required"])
                s["mandatoryDone"] += sum(1 for a in v["required"] if a in v["done"])
        for field in configuration["keyFields"]:
            s["keyFields"] += 1
            if field in customer.fields and now - customer.fields[field][0] <= configuration["horizon"]:
                s["freshKeyFields"] += 1
        s["actionExecutions"] += customer.executions
        s["ineffectiveExecutions"] += customer.ineffective
        status = activation(customer, configuration, now)
        if status.startswith("activated at"):
            s["leadsActivated"] += 1
        if status.startswith(("activated", "to be activated")):
            s["leadsDecided"] += 1
        if customer.won is not None:
            s["dealsWon"] += 1
            s["timeToSignMillisecondsTotal"] += customer.time_to_sign()
    return sums


def flow_summary(customers, flow, now):
    dwell = {step: [] for step in flow.steps}
    stuck, blocked = collections.Counter(), collections.Counter()
    violations = 0
    for customer in customers.values():
        state = customer.flows.get(flow.id)
        if state is None:
            continue
        violations += sum(1 for v in state["history"] if any(a not in v["done"] for a in v["required"]))
        current = state["current"]
        if current is None or current["step"] not in dwell:
            continue
        waited = now - current["entered"]
        dwell[current["step"]].append(waited / 3_600_000)
        if current["blockage"] is not None:
            blocked[current["step"]] += 1
        if current["step"] in flow.sla and waited > flow.sla[current["step"]]:
            stuck[current["step"]] += 1
    steps = []
    for step in flow.steps:
        values = sorted(dwell[step])

        def percentile(p):
            return values[min(len(values) - 1, int(len(values) * p))] if values else None
        steps.append({"step": step, "customers": len(values), "stuck": stuck[step], "blocked": blocked[step],
                      "dwellHoursP50": percentile(0.5), "dwellHoursP90": percentile(0.9), "dwellHoursMax": values[-1] if values else None})
    return steps, violations


class Instance:
    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.connection = http.client.HTTPConnection(host, self.port, timeout=60)

    def get(self, path):
        for attempt in range(3):
            try:
                self.connection.request("GET", path)
                response = self.connection.getresponse()
                return response.status, response.read().decode()
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                time.sleep(0.5)
        raise SystemExit(f"crosscheck: cannot reach http://{self.host}:{self.port}{path}")

    def json(self, path):
        status, body = self.get(path)
        if status != 200:
            raise SystemExit(f"crosscheck: GET {path} answered {status}: {body[:200]}")
        return json.loads(body)

    def statistics(self):
        _, text = self.get("/metrics")
        return {match[0]: float(match[1]) for match in re.findall(r"^salespulse_events_(\w+(?:\{[^}]*\})?) (\S+)", text, re.M)}


class Differences:
    def __init__(self, shown=20):
        self.shown = shown
        self.by_kind = collections.Counter()
        self.compared = collections.Counter()

    def check(self, kind, where, expected, served):
        self.compared[kind] += 1
        if not same(expected, served):
            self.by_kind[kind] += 1
            if self.by_kind[kind] <= self.shown:
                print(f"differs: {kind} {where}: computed {json.dumps(expected)[:300]}, served {json.dumps(served)[:300]}")


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def visit_view(v):
    return [v["step"], utc(v["entered"]), utc(v["exited"]) if v["exited"] is not None else None, sorted(v["done"]), sorted({a for a, _ in v["invalid"]}), v["blockage"]]


def served_visit(v):
    return [v["step"], v["enteredAt"], v.get("exitedAt"), sorted(v["completed"]), sorted(v.get("invalidEvidence", {})), v.get("blockage")]


def compare_customer(differences, name, customer, view, configuration, now, flows, watermark):
    """`now`: the instance's time (metrics); `watermark`: the customer's partition's, which its
    timers and activation have advanced to."""
    computed = {"region": customer.region, "rep": customer.rep, "firstContactAt": utc(customer.first), "lastEventAt": utc(customer.last),
                "lastCommunicationAt": utc(customer.communication) if customer.communication is not None else None,
                "actionExecutions": customer.executions, "ineffectiveExecutions": customer.ineffective, "misplacedActions": customer.misplaced,
                "activation": activation(customer, configuration, watermark),
                "timeToSignSeconds": customer.time_to_sign() // 1000 if customer.time_to_sign() is not None else None}
    for key, value in computed.items():
        differences.check("customer", f"{name} {key}", value, view.get(key))
    outcome = view.get("outcome")
    if outcome is not None:
        outcome = ("won" if outcome.startswith("won") else "lost", re.search(r" at (\d{4}-[0-9T:.-]+Z)", outcome).group(1))
    differences.check("customer", f"{name} outcome", [customer.outcome[0], utc(customer.outcome[1])] if customer.outcome else None,
                      list(outcome) if outcome else None)
    fields = {field: [value, utc(at)] for field, (at, value) in customer.fields.items()}
    served_fields = {}
    for field, text in (view.get("fields") or {}).items():
        match = re.fullmatch(r"(.*) \(updated (\S+)\)", text, re.S)
        served_fields[field] = [match.group(1), match.group(2)] if match else text
    differences.check("customer", f"{name} fields", fields, served_fields)
    differences.check("customer alerts", f"{name} open timer alerts", timer_alerts(customer, flows, configuration, watermark),
                      sorted(([a["rule"], a.get("flow"), a.get("step"), a["since"]] for a in view.get("openAlerts", [])), key=json.dumps))
    served_flows = view.get("flows") or {}
    for flow_id in sorted(set(customer.flows) | set(served_flows)):
        state, served_flow = customer.flows.get(flow_id), served_flows.get(flow_id) or {}
        current = state["current"] if state else None
        differences.check("customer flow", f"{name} {flow_id} current", visit_view(current) if current else None,
                          served_visit(served_flow["current"]) if served_flow.get("current") else None)
        differences.check("customer flow", f"{name} {flow_id} history", [visit_view(v) for v in state["history"]] if state else [],
                          [served_visit(v) for v in served_flow.get("history", [])])
        differences.check("customer flow", f"{name} {flow_id} violations",
                          sum(1 for v in state["history"] if any(a not in v["done"] for a in v["required"])) if state else 0,
                          len(served_flow.get("violations", [])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", help="the JSON Lines file of events, in the order published")
    parser.add_argument("--config", default="deploy/config/salespulse.yaml")
    parser.add_argument("--http", default="127.0.0.1:8080", help="the instance's HTTP address")
    parser.add_argument("--order", choices=["time", "arrival"], default="time",
                        help="fold each customer's events by event time (default) or in the order published")
    parser.add_argument("--customers", type=int, default=None, help="compare only the first N customers in id order (default: all)")
    parser.add_argument("--show", type=int, default=20, help="differences printed per kind (default 20)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds the applied count and watermark must stand still")
    parser.add_argument("--write-events", action="store_true", help="only write generated events to EVENTS and stop")
    parser.add_argument("--events", dest="count", type=int, default=200_000, help="with --write-events: how many (default 200000)")
    parser.add_argument("--customer-count", type=int, default=20_000, help="with --write-events: over how many customers (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="with --write-events: the generator's seed (default 1)")
    parser.add_argument("--fold-only", action="store_true",
                        help="only fold EVENTS and print the rate, CPU seconds and peak memory (a Python processor's cost for the same rules); no instance is asked")
    options = parser.parse_args()

    try:
        document = yaml.safe_load(open(options.config, encoding="utf-8"))
    except OSError as error:
        raise SystemExit(f"crosscheck: cannot read the configuration {options.config}: {error.strerror} (pass --config FILE)")
    if options.write_events:
        lines = generate(document, options.count, options.customer_count, options.seed)
        with open(options.events, "w", encoding="utf-8") as file:
            file.write("\n".join(lines) + "\n")
        print(f"crosscheck: {len(lines):,} lines written to {options.events} ({options.count:,} events, duplicates and invalid ones included)", file=sys.stderr)
        return
    configuration = {
        "activation": duration((document.get("activation") or {}).get("window", "24h")),
        "requiredFields": (document.get("activation") or {}).get("requiredFields", []),
        "repeats": document.get("ineffectiveRepeats", 3),
        "keyFields": (document.get("freshness") or {}).get("keyFields", []),
        "horizon": duration((document.get("freshness") or {}).get("horizon", "72h")),
        "organisation": organisation(document),
        "inactivity": document.get("inactivity") or [],
        "inARow": [rule for rule in document.get("rules") or [] if rule.get("kind") == "inARow"],
        "exits": collections.defaultdict(set),
    }
    flows = {definition["id"]: Flow(definition) for definition in document.get("flows", [])}
    counters = [Counter(definition) for definition in document.get("counters", [])]

    started, cpu = time.time(), time.process_time()
    customers, expected = compute(options.events, configuration, flows, counters, options.order)
    wall, cpu = time.time() - started, time.process_time() - cpu
    print(f"crosscheck: folded {expected['applied_total']:,} events over {len(customers):,} customers in {wall:.1f} s "
          f"(by {'event time' if options.order == 'time' else 'the order published'})", file=sys.stderr)
    if options.fold_only:
        # ru_maxrss is in KiB on Linux. The events are held, grouped by customer, until folded:
        # the peak is the file's events in Python objects, not a streaming processor's state.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"crosscheck: {expected['applied_total'] / wall:,.0f} events/s, {cpu:.1f} CPU s "
              f"({expected['applied_total'] / cpu:,.0f} events per CPU-second), peak resident {peak:,.0f} MiB; "
              f"{sys.implementation.name} {sys.version.split()[0]}, one thread")
        return

    instance = Instance(options.http)
    latest = max((customer.last for customer in customers.values()), default=0)
    previous, stable, waited = None, 0, time.time()
    while stable < options.settle * 2:
        statistics = instance.statistics()
        at = instance.json("/v1/metrics?by=region")["at"]
        # Live (`run` without --replay), an idle instance's time is the wall clock, later than
        # every event and moving: only the applied count must stand still.
        state = (statistics.get("applied_total"), at if millis(at) <= latest else "live")
        stable = stable + 1 if state == previous and state[0] == expected["applied_total"] else 0
        if time.time() - waited > 10:
            print(f"crosscheck: waiting for the instance: {int(state[0] or 0):,} of {expected['applied_total']:,} events applied", file=sys.stderr)
            waited = time.time()
        previous = state
        time.sleep(0.5)
    now = millis(at)
    live = now > latest
    print(f"crosscheck: the instance has applied every event; comparing as of {at}{' (live: its partitions idle at the wall clock)' if live else ''}",
          file=sys.stderr)
    differences = Differences(options.show)

    served = instance.statistics()
    differences.check("statistic", "applied", expected["applied_total"], int(served.get("applied_total", 0)))
    differences.check("statistic", "duplicates", expected["duplicate_total"], int(served.get("duplicate_total", 0)))
    rejected = {re.search(r'reason="([^"]+)"', name).group(1): int(value) for name, value in served.items() if name.startswith("rejected_total")}
    for reason in ("malformed-json", "unknown-type", "timestamp-without-offset"):
        differences.check("statistic", f"rejected {reason}", expected[f"rejected {reason}"], rejected.get(reason, 0))
    differences.check("statistic", "rejected in all", sum(v for k, v in expected.items() if k.startswith("rejected")), sum(rejected.values()))

    weights = (document.get("health") or {}).get("weights") or {"compliance": 1, "freshness": 1, "effectiveness": 1}
    for by in ("rep", "team"):
        report = instance.json(f"/v1/metrics?by={by}&at={at}")
        sums = metric_sums(customers, configuration, now, by)
        for group in sorted(set(sums) | set(report["sums"])):
            differences.check("metric sum", f"{by} {group}", {k: v for k, v in sums.get(group, {}).items() if v},
                              {k: v for k, v in report["sums"].get(group, {}).items() if v})
    report = instance.json(f"/v1/metrics?by=region&at={at}")
    sums = metric_sums(customers, configuration, now, "region")
    for region in sorted(set(sums) | set(report["sums"])):
        computed, served_sums = sums.get(region, {}), report["sums"].get(region, {})
        for name in ("customers", "mandatoryRequired", "mandatoryDone", "keyFields", "freshKeyFields", "actionExecutions",
                     "ineffectiveExecutions", "leadsActivated", "leadsDecided", "dealsWon", "timeToSignMillisecondsTotal"):
            differences.check("metric sum", f"{region} {name}", computed.get(name, 0), served_sums.get(name))
        parts = []
        for name, numerator, denominator in (("compliance", "mandatoryDone", "mandatoryRequired"), ("freshness", "freshKeyFields", "keyFields")):
            if computed.get(denominator):
                parts.append((computed[numerator] / computed[denominator], weights[name]))
        if computed.get("actionExecutions"):
            parts.append((1 - computed["ineffectiveExecutions"] / computed["actionExecutions"], weights["effectiveness"]))
        if parts and sum(w for _, w in parts):
            phi = 100 * sum(v * w for v, w in parts) / sum(w for _, w in parts)
            differences.check("metric value", f"{region} phi", phi, report["values"]["phi"].get(region))

    for flow in flows.values():
        summary = instance.json(f"/v1/flows/{flow.id}?at={at}")
        steps, violations = flow_summary(customers, flow, now)
        differences.check("flow", f"{flow.id} violations", violations, summary["violations"])
        for computed, step in zip(steps, summary["steps"]):
            for name in ("customers", "stuck", "blocked", "dwellHoursP50", "dwellHoursP90", "dwellHoursMax"):
                differences.check("flow", f"{flow.id}/{computed['step']} {name}", computed[name], step.get(name))

    for counter in counters:
        served_counter = instance.json(f"/v1/counters/{counter.id}")
        differences.check("counter", counter.id, counter_values(counter, millis(served_counter["at"])), {k: float(v) for k, v in served_counter["values"].items()})

    # Each input partition's watermark: the latest event time it applied (librdkafka's default
    # partitioner: CRC-32 of the key, modulo the partition count).
    _, text = instance.get("/metrics")
    partitions = len({match for match in re.findall(r'^salespulse_consumer_lag\{[^}]*topic="(?!salespulse\.)([^"]+)",?[^}]*partition="(\d+)"', text, re.M)})
    if partitions == 0:
        raise SystemExit("crosscheck: the instance reports no input partition (salespulse_consumer_lag)")
    def partition(name):
        return zlib.crc32(name.encode()) % partitions
    watermarks = collections.defaultdict(lambda: None)
    for name, customer in customers.items():
        key = partition(name)
        watermarks[key] = now if live else customer.last if watermarks[key] is None else max(watermarks[key], customer.last)

    served_alerts = instance.json("/v1/alerts?state=open&limit=100000000")
    differences.check("in-a-row alerts", "open", in_a_row_alerts(configuration),
                      sorted(([a["rule"], a["rep"], a["since"], a.get("evidence")] for a in served_alerts if a["rule"].startswith("in-a-row:")), key=json.dumps))

    names = sorted(customers)[: options.customers]
    for index, name in enumerate(names):
        status, body = instance.get(f"/v1/customers/{name}")
        if status != 200:
            differences.check("customer", name, "served", status)
            continue
        compare_customer(differences, name, customers[name], json.loads(body), configuration, now, flows, watermarks[partition(name)])
        if (index + 1) % 20000 == 0:
            print(f"crosscheck: {index + 1:,} of {len(names):,} customers compared", file=sys.stderr)

    print("crosscheck: compared " + ", ".join(f"{n:,} {kind}" for kind, n in sorted(differences.compared.items())))
    if differences.by_kind:
        print("crosscheck: DIFFERENT — " + ", ".join(f"{n:,} {kind}" for kind, n in sorted(differences.by_kind.items())))
        sys.exit(1)
    print("crosscheck: all equal")


if __name__ == "__main__":
    main()
