"""Pure scoring mathematics of Review Desk: rubric schema and validation, aggregation,
deviation flags, reliability, quota allocation and stability analysis.

Plain data in, plain data out (dataclasses, numpy, pandas): no storage, no Qt. The
modules arrive with the rubric and consolidation features.
"""
