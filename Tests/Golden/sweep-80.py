#!/usr/bin/env python3
"""How readable every capture's story is in an 80-column terminal.

Runs `analyze`, `ike` and `ike --summary` on every capture under Fixtures/ and under
../shared/corpus/ (by relative path; nothing is copied) with each key file that goes with it,
through a pseudo-terminal (util-linux `script`) of 80 columns, and counts per kind of line
(packet line, IKE message line, SA table row, IKE SA ladder line, finding, ...):

  lines     the report's lines of that kind
  laid      rows of a multi-row item laid out on purpose (SUBROWS: a message line's second row,
            an evidence item's proposals), not counted as wrapped
  wrapped   lines that were folded at a space by the terminal fitting (a long sentence)
  rows+     their continuation rows
  cut       lines with a field cut to "…" (a compact line's payload list or inner summary)
  clipped   lines with a value clipped with a trailing "…" (an identity, a DN); IKE SPIs shown
            as their first 8 hex digits ("0bc5c74e…") are the documented abbreviation, not counted

A wrapped line is told from a deliberate second row by how the fitter wraps (greedy, at
spaces, continuation rows indented at the line's hang column or two past its own indent): a row
continues the line above when it is indented that way, its first word would not have fit on the
row above, and it does not start a row of the report's own layout (OPENERS: a message line's
SPIs/payload row or inner-packet row, an SA's facts row, a labelled line, an evidence item).

Key files: in Fixtures/, every key file in the capture's folder (as /work/notes/compare.sh picks
them, at most 4, one run each) and a run without keys when the folder has none; in the corpus,
the key files its README's per-source tables name for the capture (backquoted names resolved
in the capture's folder, its project's folder and the project's derived/ folder), all at once.

  Tests/Golden/sweep-80.py [--binary .build/debug/spiglass] [--columns 80] [--only Fixtures/strongswan]
                           [--show KIND] [--list FILE] [--jobs 2]

--show prints every wrapped or cut line of the kinds whose name contains KIND; --list writes
them all to FILE (with the run they come from).
"""
import argparse
import concurrent.futures
import collections
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CORPUS = "../shared/corpus"
CAPTURE = re.compile(r"\.(pcap|pcapng|cap|pcap\.gz)$")
FIXTURE_KEY = re.compile(r"\.(spiglass|log|txt|csv)$|esp_sa|ikev2_decryption_table|ikev1_decryption_table")
NOT_KEY = re.compile(r"expected|tshark|frames|list-conns|README")
CORPUS_KEY = re.compile(
    r"esp_sa|decryption_table|tcpdump-secrets|secrets\.txt|\.cap\.keys$|\.cap\.conf$|\.spiglass$"
)


def fixture_runs(only):
    runs = []
    for directory, _, files in sorted(os.walk("Fixtures")):
        for name in sorted(files):
            if not CAPTURE.search(name):
                continue
            path = os.path.join(directory, name)
            if only and not path.startswith(only):
                continue
            keys = [k for k in sorted(os.listdir(directory)) if FIXTURE_KEY.search(k) and not NOT_KEY.search(k)]
            keys = [k for k in keys if os.path.isfile(os.path.join(directory, k))][:4]
            for key in keys or [None]:
                runs.append((path, [os.path.join(directory, key)] if key else []))
    return runs


def corpus_keys():
    """capture path (inside the corpus) -> key files, from the README's per-source tables."""
    readme = os.path.join(CORPUS, "README.md")
    keys = collections.defaultdict(list)
    if not os.path.isfile(readme):
        return keys
    project = None
    for line in open(readme, encoding="utf-8"):
        heading = re.match(r"### 3\.\d+ `([^`]+)/`", line)
        if heading:
            project = heading.group(1)
            continue
        if project is None or not line.startswith("| `"):
            continue
        cells = line.split(" | ")
        capture = os.path.join(project, cells[0].strip("| `"))
        names = re.findall(r"`([^`\s]+)`", " | ".join(cells[1:])) + re.findall(r"\b(keypair\d+)\b", line)
        for name in names:
            for base in (os.path.dirname(capture), project, os.path.join(project, "derived"), ""):
                found = [os.path.join(base, name)]
                derived = os.path.join(CORPUS, base)
                if name.startswith("keypair") and os.path.isdir(derived):
                    found = [os.path.join(base, f) for f in sorted(os.listdir(derived)) if f.startswith(name + ".")]
                for candidate in found:
                    full = os.path.normpath(os.path.join(CORPUS, candidate))
                    if os.path.isfile(full) and CORPUS_KEY.search(full) and full not in keys[capture]:
                        keys[capture].append(full)
    return keys


def corpus_runs(only):
    if not os.path.isdir(CORPUS):
        return []
    named = corpus_keys()
    runs = []
    for directory, _, files in sorted(os.walk(CORPUS)):
        for name in sorted(files):
            path = os.path.join(directory, name)
            if not CAPTURE.search(name) or "/generated/" in path or (only and not path.startswith(only)):
                continue
            runs.append((path, named.get(os.path.relpath(path, CORPUS), [])))
    return runs


def terminal(binary, arguments, columns):
    command = " ".join(shlex.quote(a) for a in [binary] + arguments + ["--no-progress", "--threads", "1"])
    environment = dict(os.environ, COLUMNS=str(columns), TERM="xterm", NO_COLOR="1")
    done = subprocess.run(
        ["script", "-q", "-e", "-c", command + " 2>/dev/null", "/dev/null"],
        env=environment, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=600,
    )
    return done.stdout.decode("utf-8", "replace").replace("\r\n", "\n")


FRAME_LINE = re.compile(r"^ *\d+ (\[[^\]]*\] )?-?\d+\.\d+ ")


def indent(row):
    return len(row) - len(row.lstrip(" "))


# Rows of the report's own multi-row items, laid out on purpose, never a continuation: a
# message line's second row (its IKE SPIs and payloads, after the words of its first row that
# did not fit there, or the inner packet, or a failure's detail), an IKE message's protection
# ("(not decrypted: …)") and bracketed problems ("[…]") on rows of their own, an IKE SA's
# peers, an evidence item's proposals and key exchange, the NAT line's caveat, a CHILD_SA's
# mode and selectors, an SA's algorithms and key.
SUBROWS = re.compile(
    r" +(\S+ ){0,4}([0-9a-f]{8}…|0)/"
    r"| +\S+ → \S+ "
    r"| {14,}[(\[]"
    r"| +peers: "
    r"| +#\d+ \S+ "
    r"| +KE \S+$"
    r"| +\(or a peer faking"
    r"| +(tunnel|transport)( |$)"
    r"| +algorithms: "
)
# `ike --summary`: an IKE SA's algorithms and counts on rows of their own.
SUMMARY_SUBROWS = re.compile(r" +(proposal|CHILD_SAs): ")
# Rows that start a line of their own: an SA's facts row, a labelled line ("outcome: "), a
# ladder's message row ("→ frame 3: ").
OPENERS = re.compile(r" *\d+ packets, | *[A-Za-z][A-Za-z_ -]*( \(frame [0-9,]+\))?:( |$)| *[→←] frame")


def logical_lines(text, columns, summary=False):
    """The report's lines, each as its rows: (row, how) with how "first", "laid out" (a row of
    a multi-row item) or "folded" (a continuation the fitter made)."""
    lines = []
    for row in text.split("\n"):
        if lines and row.strip() and not FRAME_LINE.match(row) and (SUBROWS.match(row) or summary and SUMMARY_SUBROWS.match(row)):
            lines[-1].append((row, "laid out"))
        elif lines and row.strip() and continues([r for r, _ in lines[-1]], row, columns):
            lines[-1].append((row, "folded"))
        else:
            lines.append([(row, "first")])
    return lines


def continues(line, row, columns):
    above = line[-1]
    if FRAME_LINE.match(row) or OPENERS.match(row):
        return False
    if len(above) + 1 + len(row.split()[0]) <= columns:
        return False
    hang = FRAME_LINE.match(line[0])
    allowed = {min(indent(line[0]) + 2, columns // 2), min(indent(above) + 2, columns // 2)}
    if hang:
        allowed.add(min(hang.end() - 1, columns // 2))
    return indent(row) in allowed


SPI_PREFIX = re.compile(r"^[(\[]?[0-9a-f]{8}…")


def kind(command, first):
    """What a line is, from its first row."""
    if FRAME_LINE.match(first):
        rest = FRAME_LINE.sub("", first)
        if re.match(r"(AH|ESP) ", rest) or " ESP" in rest[:60] and "IKE" not in rest[:60]:
            return "packet: ESP/AH"
        if re.search(r"IKE_|INFORMATIONAL|CREATE_CHILD|Main Mode|Aggressive|Quick Mode|Informational|ISAKMP|IKE|exchange-\d+ (?:request|response)", rest):
            return f"{command}: IKE message"
        return "packet: other"
    stripped = first.strip()
    if command == "ike --summary" and re.match(r"#\d+ ", stripped):
        return "ike --summary: IKE SA line"
    if re.match(r"0x[0-9a-f]{8} +(ESP|AH)", stripped) and indent(first) == 0:
        return "SA table: SA row"
    if stripped.startswith("SPI ") and "Proto" in stripped:
        return "SA table: header"
    if indent(first) == 2 and re.match(r"\d+ packets", stripped):
        return "SA table: SA facts row"
    if re.match(r"0x[0-9a-f]{8} ", stripped) and indent(first) == 2:
        return "finding"
    if stripped.startswith("IKE SA #"):
        return "ike: IKE SA heading"
    if re.match(r"(→|←) frame", stripped):
        return "ike: exchange payloads"
    if indent(first) == 4 and re.match(r"\S+ mid=", stripped):
        return "ike: exchange"
    if stripped.startswith("CHILD_SA #"):
        return "ike: CHILD_SA heading"
    if indent(first) >= 4 and re.match(r"(ESP|AH) [0-9a-fx]+ ", stripped):
        return "ike: CHILD_SA traffic"
    word = re.match(r"[A-Za-z_/ -]+?:|\S+", stripped)
    label = word.group(0) if word else stripped
    label = re.sub(r"\d+", "N", label)
    section = "ike" if command.startswith("ike") else "analyze"
    return f"{section}: {' ' * indent(first)}{label}"


def measure(binary, run, columns, commands):
    capture, keys = run
    arguments = ["-r", capture] + [a for key in keys for a in ("-k", key)]
    found = []
    for command in commands:
        text = terminal(binary, command.split() + arguments, columns)
        for line in logical_lines(text.rstrip("\n"), columns, summary=command == "ike --summary"):
            rows = [row for row, _ in line]
            if not rows[0].strip():
                continue
            laid = sum(how == "laid out" for _, how in line)
            folded = sum(how == "folded" for _, how in line)
            tokens = " ".join(rows).split()
            cut = "…" in tokens
            clipped = any("…" in t for t in tokens if t != "…" and not SPI_PREFIX.match(t))
            found.append((command, kind(command, rows[0]), rows, laid, folded, cut, clipped))
    return run, found


COLUMNS = ["lines", "laid", "wrapped", "rows+", "cut", "clipped"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/debug/spiglass")
    parser.add_argument("--columns", type=int, default=80)
    parser.add_argument("--only", default=None, help="only captures whose path starts with this")
    parser.add_argument("--show", default=None, help="print the wrapped or cut lines of kinds containing this")
    parser.add_argument("--list", default=None, help="write every wrapped or cut line to this file")
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    os.chdir(ROOT)
    binary = os.path.abspath(options.binary)
    runs = fixture_runs(options.only) + corpus_runs(options.only)
    commands = ["analyze", "ike", "ike --summary"]
    totals = collections.defaultdict(lambda: [0] * len(COLUMNS))
    listing = []
    with concurrent.futures.ThreadPoolExecutor(options.jobs) as pool:
        for run, found in pool.map(lambda r: measure(binary, r, options.columns, commands), runs):
            for command, what, rows, laid, folded, cut, clipped in found:
                counts = totals[what]
                for index, value in enumerate([1, laid, folded > 0, folded, cut, clipped]):
                    counts[index] += value
                if folded or cut or clipped:
                    listing.append((what, f"{command} -r {run[0]} {' '.join('-k ' + k for k in run[1])}", rows))
    print(f"{len(runs)} runs x {len(commands)} commands at {options.columns} columns")
    print(f"{'kind of line':<40}" + "".join(f"{c:>8}" for c in COLUMNS))
    for what in sorted(totals, key=lambda k: (-totals[k][2], -totals[k][4], k)):
        print(f"{what[:40]:<40}" + "".join(f"{v:>8}" for v in totals[what]))
    sums = [sum(t[i] for t in totals.values()) for i in range(len(COLUMNS))]
    print(f"{'total':<40}" + "".join(f"{v:>8}" for v in sums))
    if options.list:
        with open(options.list, "w", encoding="utf-8") as out:
            for what, origin, rows in listing:
                out.write(f"[{what}] {origin}\n" + "\n".join(rows) + "\n\n")
    if options.show:
        for what, origin, rows in listing:
            if options.show in what:
                print(f"\n[{what}] {origin}\n" + "\n".join(rows))


if __name__ == "__main__":
    sys.exit(main())
