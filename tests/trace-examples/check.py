#!/usr/bin/env python3
"""Run a trace-printing tool over these cases and judge it against `expect` / `also_ok`.

    python3 check.py -- CMD [ARGS...]            # e.g.  -- cargo run -q --example explain --
    python3 check.py --traces DIR                 # judge saved traces DIR/NAME.jsonl instead of running
    options: --cases DIR (default: cases/ next to this file), --only PREFIX, --save DIR, -v

For each case the tool is run as  CMD... --role ROLE [--requests M1,M2]  < NAME.bin  and its
stdout (trace v1, JSON Lines) is compared with the case.  Comparison rules (README.md, "Judging"):

  * only the trace-v1 fields are compared (extra fields such as `detail`, `unread` are ignored);
    header/trailer names are lower-cased; consecutive `data` lines are merged, empty ones dropped;
    `error` lines compare on `status` only;
  * a trace matches if it equals `expect` or one of the `also_ok` alternatives, with three
    tolerances: (1) after a final `cycle` with keep_alive false, one trailing `eof` line is
    ignored; (2) before a final `error`, the data delivered may be any prefix of the expected
    data (streaming granularity); (3) before a final `error`, one extra `request`/`response`
    line is tolerated where the expected trace rejects the head itself.

Exit status 0 when every case matches, 1 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

FIELDS = {
    "request": ("method", "target", "version", "headers"),
    "informational": ("status", "headers"),
    "response": ("status", "version", "headers"),
    "data": ("data",),
    "end": ("trailers",),
    "cycle": ("keep_alive",),
    "switch": ("kind", "trailing"),
    "error": ("status",),
    "eof": ("clean",),
}


def norm(lines):
    out = []
    for o in lines:
        t = o.get("type")
        if t not in FIELDS:
            out.append({"type": "?", "raw": o})
            continue
        n = {"type": t}
        for k in FIELDS[t]:
            v = o.get(k, [] if k == "trailers" else None)
            if k in ("headers", "trailers") and v is not None:
                v = [[str(a).lower(), b] for a, b in v]
            n[k] = v
        if t == "data":
            if not n["data"]:
                continue
            if out and out[-1]["type"] == "data":
                out[-1] = {"type": "data", "data": out[-1]["data"] + n["data"]}
                continue
        out.append(n)
    return out


def matches(actual, expected):
    a, e = norm(actual), norm(expected)
    if e and e[-1] == {"type": "cycle", "keep_alive": False} and len(a) == len(e) + 1 and a[-1]["type"] == "eof":
        a = a[:-1]
    if a == e:
        return True
    if not (a and e and a[-1]["type"] == "error" and e[-1]["type"] == "error" and a[-1]["status"] == e[-1]["status"]):
        return False
    aa, ea = a[:-1], e[:-1]
    ad = aa.pop()["data"] if aa and aa[-1]["type"] == "data" else ""
    ed = ea.pop()["data"] if ea and ea[-1]["type"] == "data" else ""
    if not ed.startswith(ad):
        return False
    if aa == ea:
        return True
    return (not ad and len(aa) == len(ea) + 1 and aa[:-1] == ea
            and aa[-1]["type"] in ("request", "response"))


def judge(actual, case):
    alts = [case["expect"]] + case.get("also_ok", [])
    for i, alt in enumerate(alts):
        if matches(actual, alt):
            return "expect" if i == 0 else f"also_ok[{i - 1}]"
    return None


def parse_jsonl(text):
    out = []
    for line in text.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                out.append({"type": "?", "raw": line[:200]})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=os.path.join(HERE, "cases"))
    ap.add_argument("--traces", help="directory of saved traces NAME.jsonl (instead of running CMD)")
    ap.add_argument("--save", help="directory to save the traces produced by CMD")
    ap.add_argument("--only", default="", help="only cases whose name starts with this prefix")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("-v", "--verbose", action="store_true", help="print both traces for mismatches")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd and not args.traces:
        ap.error("give -- CMD ... or --traces DIR")
    if args.save:
        os.makedirs(args.save, exist_ok=True)

    names = sorted(f[:-5] for f in os.listdir(args.cases) if f.endswith(".json") and f != "index.json")
    names = [n for n in names if n.startswith(args.only)]
    stats = {}
    failures = []
    for name in names:
        case = json.load(open(os.path.join(args.cases, name + ".json"), encoding="utf-8"))
        if args.traces:
            p = os.path.join(args.traces, name + ".jsonl")
            text = open(p, encoding="utf-8").read() if os.path.exists(p) else ""
        else:
            argv = list(cmd) + ["--role", case["role"]]
            if case["role"] == "client":
                argv += ["--requests", ",".join(case["requests"])]
            with open(os.path.join(args.cases, name + ".bin"), "rb") as f:
                try:
                    p = subprocess.run(argv, stdin=f, capture_output=True, timeout=args.timeout)
                    text = p.stdout.decode("utf-8", "replace")
                except subprocess.TimeoutExpired:
                    text = ""
            if args.save:
                with open(os.path.join(args.save, name + ".jsonl"), "w", encoding="utf-8") as f:
                    f.write(text)
        actual = parse_jsonl(text)
        verdict = judge(actual, case)
        s = stats.setdefault(case.get("strictness", "example"), [0, 0])
        if verdict:
            s[0] += 1
        else:
            s[1] += 1
            failures.append((name, case, actual))
    for name, case, actual in failures:
        print(f"MISMATCH {name} [{case.get('strictness','example')}] {case.get('why','')}")
        if args.verbose:
            for o in norm(case["expect"]):
                print("   expect ", json.dumps(o)[:300])
            for o in norm(actual):
                print("   actual ", json.dumps(o)[:300])
    total_ok = sum(v[0] for v in stats.values())
    total = sum(sum(v) for v in stats.values())
    print(f"{total_ok}/{total} cases match; by strictness: "
          + ", ".join(f"{k} {v[0]}/{v[0] + v[1]}" for k, v in sorted(stats.items())))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
