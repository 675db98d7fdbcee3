"""Parses Prometheus text exposition from stdin with the official client's parser and prints
the families as JSON: {name: {"type": ..., "samples": [[sample_name, labels, value], ...]}}.
Any line the parser rejects makes it exit non-zero with the parser's message."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    out[family.name] = {
        "type": family.type,
        "help": family.documentation,
        "samples": [
            [s.name, s.labels, None if math.isnan(s.value) else (str(s.value) if math.isinf(s.value) else s.value)]
            for s in family.samples
        ],
    }
print(json.dumps(out, sort_keys=True))
