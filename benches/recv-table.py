#!/usr/bin/env python3
"""Prints the criterion medians of the last `cargo bench --bench recv` as the
Markdown table of BENCHMARKS.md: ns per message for raw httparse, the
yardstick and keepalive, and keepalive / yardstick (a stream is 1000
messages, so the median in ns / 1000 is ns per message)."""
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
print("| corpus | raw httparse head ns/msg | yardstick ns/msg | keepalive ns/msg | keepalive ÷ yardstick |")
print("|---|---:|---:|---:|---:|")
for corpus in ["req_tiny", "req_browser", "req_post1k", "resp_cl13", "resp_chunked"]:
    ns = {}
    for side in ["httparse", "yardstick", "keepalive"]:
        est = root / f"recv_{corpus}" / side / "new" / "estimates.json"
        ns[side] = json.loads(est.read_text())["median"]["point_estimate"] / 1000
    print(f"| {corpus} | {ns['httparse']:.1f} | {ns['yardstick']:.1f} | {ns['keepalive']:.1f} "
          f"| {ns['keepalive'] / ns['yardstick']:.2f} |")
