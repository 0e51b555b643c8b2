"""The SweepJob and SweepTrial APIs: Pydantic models, their translation into the pure core's
types, and the CRDs generated from them (one source of truth, checked in under ``crds/``).
"""
