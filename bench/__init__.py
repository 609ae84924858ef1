"""`make bench`: One Window's end-to-end throughput and latency, side by side with the
raw broker on the same machine, in one run (issue 9).

Run from the repository root: `python -m bench --help`.
"""
