#!/usr/bin/env python3
"""Evaluates every query of a Grafana dashboard against a live Prometheus and reports the panels without data.

Used by scripts/check-dashboard.sh once Prometheus has scraped a running imagestream for a while; it can also be run
by hand against any Prometheus that scrapes imagestream:

    python3 scripts/check_dashboard.py --prometheus http://127.0.0.1:9090 grafana/dashboards/imagestream.json

Grafana variables are replaced before querying: $instance by .* (every instance), $__rate_interval and $__interval
by --interval, $__range by --range. A target fails when Prometheus rejects the query or when it returns no series
(or only NaN values, e.g. a percentile of an empty histogram). Besides the queries it checks that every panel has a
title, a description and a unit, and that every query is filtered by instance=~"$instance".

Exit status: 0 when every panel passed or is allowed to be missing (--allow-missing, a regex of panel titles);
1 otherwise; 2 on usage errors or when Prometheus cannot be reached. Python 3 standard library only.
"""
import argparse
import json
import math
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

INSTANCE_FILTER = 'instance=~"$instance"'


def panels_with_targets(panels):
    """Every panel that has queries, also those nested in (collapsed) rows, in dashboard order."""
    for panel in panels:
        if panel.get("targets"):
            yield panel
        yield from panels_with_targets(panel.get("panels") or [])


def substitute(expr, interval, range_):
    expr = re.sub(r"\$\{?__rate_interval\}?", interval, expr)
    expr = re.sub(r"\$\{?__interval\}?", interval, expr)
    expr = re.sub(r"\$\{?__range\}?", range_, expr)
    expr = re.sub(r"\$\{instance(:[a-z]+)?\}|\$instance\b|\[\[instance\]\]", ".*", expr)
    return expr


def query(prometheus, expr, timeout=20):
    url = prometheus.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.load(response)
    except urllib.error.HTTPError as e:  # 400/422: the query is invalid; the body says why
        try:
            body = json.load(e)
        except ValueError:
            return None, f"HTTP {e.code}"
    if body.get("status") != "success":
        return None, f"{body.get('errorType', 'error')}: {body.get('error', 'unknown error')}"
    return body["data"], None


def count_values(data):
    """(series, series with a real number) of an instant-query result."""
    kind, result = data["resultType"], data["result"]
    if kind == "scalar":
        return 1, 0 if math.isnan(float(result[1])) else 1
    if kind == "vector":
        real = sum(1 for s in result if not math.isnan(float(s["value"][1])))
        return len(result), real
    if kind == "matrix":
        real = sum(1 for s in result if any(not math.isnan(float(v[1])) for v in s["values"]))
        return len(result), real
    return 0, 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dashboard", help="Grafana dashboard JSON file")
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090", help="Prometheus base URL")
    parser.add_argument("--interval", default="30s", help="value of $__rate_interval and $__interval")
    parser.add_argument("--range", dest="range_", default="2m", help="value of $__range")
    parser.add_argument("--allow-missing", default="",
                        help="regex of panel titles allowed to have no data (reported, not failed)")
    args = parser.parse_args()

    with open(args.dashboard, encoding="utf-8") as f:
        dashboard = json.load(f)
    allow = re.compile(args.allow_missing) if args.allow_missing else None

    try:  # Prometheus must answer at all, or every panel would look broken
        _, error = query(args.prometheus, "vector(1)")
    except (urllib.error.URLError, OSError) as e:
        print(f"cannot reach Prometheus at {args.prometheus}: {e}", file=sys.stderr)
        return 2
    if error:
        print(f"Prometheus at {args.prometheus} does not answer queries: {error}", file=sys.stderr)
        return 2

    failed, allowed, passed = [], [], []
    problems = []  # structural problems: always fatal

    for variable in dashboard.get("templating", {}).get("list", []):
        definition = variable.get("definition", "")
        m = re.fullmatch(r"\s*label_values\((.+),\s*(\w+)\)\s*", definition)
        if variable.get("type") == "query" and m:
            data, error = query(args.prometheus, f"count by ({m.group(2)}) ({m.group(1)})")
            if error or not data["result"]:
                problems.append(f"variable ${variable['name']}: {definition} has no values ({error or 'no series'})")
            else:
                values = sorted(s["metric"].get(m.group(2), "") for s in data["result"])
                print(f"variable ${variable['name']}: {', '.join(values)}")

    for panel in panels_with_targets(dashboard.get("panels", [])):
        title = panel.get("title") or f"(panel id {panel.get('id')} without a title)"
        if not panel.get("title"):
            problems.append(f"panel id {panel.get('id')}: no title")
        if not panel.get("description"):
            problems.append(f"{title}: no description")
        if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            problems.append(f"{title}: no unit")
        notes = []
        for target in panel["targets"]:
            if target.get("hide"):
                continue
            expr = target.get("expr", "")
            legend = target.get("legendFormat") or target.get("refId", "?")
            if not expr:
                problems.append(f"{title} [{legend}]: a target without a PromQL expr")
                continue
            if INSTANCE_FILTER not in expr:
                problems.append(f"{title} [{legend}]: not filtered by {INSTANCE_FILTER}")
            data, error = query(args.prometheus, substitute(expr, args.interval, args.range_))
            if error:
                notes.append(f"[{legend}] INVALID: {error}")
                continue
            series, real = count_values(data)
            if series == 0:
                notes.append(f"[{legend}] no series")
            elif real == 0:
                notes.append(f"[{legend}] only NaN ({series} series)")
        if not notes:
            passed.append(title)
            print(f"ok       {title}")
        elif allow and allow.search(title) and not any("INVALID" in n for n in notes):
            allowed.append(title)
            print(f"ALLOWED  {title}: {'; '.join(notes)}")
        else:
            failed.append(title)
            print(f"FAILED   {title}: {'; '.join(notes)}")

    print()
    print(f"{len(passed)} panels with data, {len(allowed)} without data but allowed "
          f"(DASHBOARD_CHECK_ALLOW_MISSING), {len(failed)} failed")
    if allowed:
        print("no data (allowed): " + " | ".join(allowed))
    for problem in problems:
        print(f"PROBLEM  {problem}")
    if failed:
        print("no data or invalid: " + " | ".join(failed))
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
