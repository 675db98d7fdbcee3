#!/usr/bin/env python3
"""Per-source-line instruction counts of one function in a callgrind profile.

valgrind 3.19 gives up on the release binary's DWARF ("Possibly corrupted debuginfo file"), so
profile a copy without it and map the addresses back with the original (the text is the same):

    objcopy --strip-debug .build/release/wick /tmp/wick.nodebug
    valgrind --tool=callgrind --dump-instr=yes --separate-threads=yes \
      --callgrind-out-file=/tmp/cg.out /tmp/wick.nodebug backtest ...
    Benchmarks/profile/callgrind-lines.py /tmp/cg.out-01 .build/release/wick processSlice

Prints the function's own instructions and its calls (with the callee) per source line, inlined
frames innermost first, the costliest first. Thread 01 is the main thread.
"""
import collections
import re
import subprocess
import sys


def position(token, previous):
    if token == "*":
        return previous
    if token[0] in "+-":
        step = int(token[1:], 16) if token[1:].startswith("0x") else int(token[1:])
        return previous + step if token[0] == "+" else previous - step
    return int(token, 16) if token.startswith("0x") else int(token)


def costs(path, wanted):
    """(kind, address, callee) -> instructions, for functions whose name contains `wanted`."""
    names, total = {}, collections.Counter()
    function = callee = None
    address, after_call = 0, False
    for line in open(path):
        line = line.rstrip("\n")
        named = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
        if named:
            if named.group(3):
                names[named.group(2)] = named.group(3)
            if named.group(1) == "fn":
                function = names.get(named.group(2), "")
            else:
                callee = names.get(named.group(2), "")
            continue
        if line.startswith("calls="):
            after_call = True
            continue
        if not line or not (line[0].isdigit() or line[0] in "+-*"):
            continue
        fields = line.split()
        address = position(fields[0], address)
        inside = function is not None and wanted in function
        if after_call:
            after_call = False
            if inside:
                total[("call", address, callee)] += int(fields[-1])
        elif inside and len(fields) > 2:
            total[("self", address, "")] += int(fields[-1])
    return total


def source_lines(binary, addresses):
    """address -> "file:line <- caller's file:line ..." (inlined frames, innermost first)."""
    out = subprocess.run(
        ["addr2line", "-a", "-i", "-e", binary] + [hex(a) for a in addresses],
        capture_output=True, text=True, check=True).stdout
    frames, current = [], None
    for line in out.splitlines():
        if line.startswith("0x"):
            if current is not None:
                frames.append(current)
            current = []
        elif line and current is not None:
            current.append(line.split("/")[-1].split(" ")[0])
    if current is not None:
        frames.append(current)
    return {a: " <- ".join(f[:3]) for a, f in zip(addresses, frames)}


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, binary, wanted = sys.argv[1:4]
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    total = costs(path, wanted)
    where = source_lines(binary, sorted({a for _, a, _ in total}))
    by_line = collections.Counter()
    for (kind, address, callee), n in total.items():
        by_line[(kind, where.get(address, "?"), callee[:60])] += n
    print(f"{sum(total.values()):,} instructions in functions matching {wanted!r}")
    for (kind, line, callee), n in by_line.most_common(top):
        print(f"{n:>14,} {kind:4} {line}" + (f"  -> {callee}" if callee else ""))


main()
