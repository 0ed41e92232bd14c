#!/usr/bin/env python3
"""Prints the criterion medians of one benchmark group, from the last run.

    python3 benches/scripts/medians.py 'ring write+read' [TARGET_DIR]

One line per benchmark: its id and median in ns, read from
<target>/criterion/<group>/**/new/estimates.json. BENCHMARKS.md tables quote
these medians; their ratios are computed from them.
"""
import json
import os
import sys

group = sys.argv[1]
target = sys.argv[2] if len(sys.argv) > 2 else "target"
root = os.path.join(target, "criterion", group)
rows = []
for dirpath, _, files in os.walk(root):
    if os.path.basename(dirpath) == "new" and "estimates.json" in files:
        with open(os.path.join(dirpath, "estimates.json")) as f:
            median = json.load(f)["median"]["point_estimate"]
        rows.append((os.path.relpath(os.path.dirname(dirpath), root), median))
for name, median in sorted(rows):
    print(f"{median:12.1f} ns  {name}")
