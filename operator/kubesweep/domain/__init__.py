"""The pure core: search space, samplers, early-termination policies and the planner.

Nothing in this package does I/O or imports kopf, kubernetes, pydantic or an HTTP client; it
takes plain values (trial histories, a clock reading) and returns decisions as data. The API
models in ``kubesweep.api`` translate a SweepJob spec into these types.
"""
