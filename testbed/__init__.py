"""The local test cluster: a real control plane built from source, kwok nodes with GPUs,
Prometheus, and a runner that executes trial pods as host processes.

``python -m testbed up`` / ``down`` / ``status``; ``make testbed-up`` and ``make
testbed-down`` call them, and the session fixture in ``tests/testbed/conftest.py`` does the
same for the tests. This is development tooling, not part of the ``kubesweep`` package.
"""
