#!/usr/bin/env python3
"""Every process metric over a whole consumer group: the answer one instance owning every
partition would give to `GET /v1/metrics?by=...`.

Each instance's `/v1/metrics` covers the customers of the partitions it owns, and gives beside
the values the sums they are worked out from. Sums add exactly, so this script asks every
instance, adds each group's sums, and works the metrics out again from the totals, by the
definitions in schemas/openapi.yaml (MetricSums). Ratios are never averaged. Some metrics depend
on the time they are worked out at (freshness, activation), and each instance's own is the
watermark of its partitions: the script first asks every instance its time, then asks them all
as of the latest (`?at=`), which is the time one instance owning everything would use.

    python3 scripts/group_metrics.py http://127.0.0.1:8080 http://127.0.0.1:8081 [--by region]

Prints the merged answer as JSON (`values`, `customers`, `sums`, like /v1/metrics, and the
instances asked). Every instance must answer; one that does not stops the script with the
reason, since a partial sum would be silently wrong.
"""

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

NAMES = ["compliance", "freshness", "effectiveness", "ineffective", "activation", "time-to-sign", "phi"]


def ratio(numerator, denominator):
    return None if denominator == 0 else numerator / denominator


def values(sums, weights):
    """The metrics worked out from one group's sums (MetricSums' definitions)."""
    compliance = ratio(sums["mandatoryDone"], sums["mandatoryRequired"])
    freshness = ratio(sums["freshKeyFields"], sums["keyFields"])
    ineffective = ratio(sums["ineffectiveExecutions"], sums["actionExecutions"])
    effectiveness = None if ineffective is None else 1 - ineffective
    total = weight = 0.0
    for value, name in [(compliance, "compliance"), (freshness, "freshness"), (effectiveness, "effectiveness")]:
        if value is not None and weights[name] > 0:
            total += value * weights[name]
            weight += weights[name]
    return {
        "compliance": compliance,
        "freshness": freshness,
        "effectiveness": effectiveness,
        "ineffective": ineffective,
        "activation": ratio(sums["leadsActivated"], sums["leadsDecided"]),
        "time-to-sign": None if sums["dealsWon"] == 0 else sums["timeToSignMillisecondsTotal"] / sums["dealsWon"] / 3_600_000,
        "phi": None if weight == 0 else 100 * total / weight,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("instances", nargs="+", help="base URL of every instance of the group, e.g. http://127.0.0.1:8080")
    parser.add_argument("--by", choices=["rep", "team", "region"], help="grouping (default: overall)")
    options = parser.parse_args()
    def ask(instance, query):
        url = instance.rstrip("/") + "/v1/metrics?" + urllib.parse.urlencode(query)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return json.load(response)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise SystemExit(f"group_metrics: {url}: {error}; every instance must answer (a partial sum would be wrong)")

    at = max((ask(instance, {})["at"] for instance in options.instances), key=lambda text: text)
    merged, weights = {}, None
    for instance in options.instances:
        url = instance
        answer = ask(instance, {"at": at, **({"by": options.by} if options.by else {})})
        if "sums" not in answer:
            print(f"group_metrics: {url} gives no sums: upgrade that instance", file=sys.stderr)
            return 1
        if weights is not None and answer["healthWeights"] != weights:
            print(f"group_metrics: {url} has other PHI weights ({answer['healthWeights']} against {weights}): "
                  "instances run different configurations", file=sys.stderr)
            return 1
        weights = answer["healthWeights"]
        for group, sums in answer["sums"].items():
            total = merged.setdefault(group, dict.fromkeys(sums, 0))
            for field, value in sums.items():
                total[field] += value
    result = {
        "by": options.by or "overall",
        "at": at,
        "instances": options.instances,
        "values": {name: {group: values(sums, weights)[name] for group, sums in merged.items()} for name in NAMES},
        "customers": {group: sums["customers"] for group, sums in merged.items()},
        "sums": merged,
    }
    print(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
