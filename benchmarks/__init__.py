"""Reproducible benchmarks of macroattr against what users would otherwise run.

One script per issue-7 target, each runnable as ``python -m benchmarks.<name>`` and all
together by ``make bench`` (:mod:`benchmarks.run_all`). Results and machine details are
recorded in ``benchmarks/RESULTS.md``; raw figures of the last full run in
``benchmarks/results/*.json``.
"""
