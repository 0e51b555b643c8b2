"""kubesweep: hyperparameter sweeps on Kubernetes.

The package is split in rooms that import in one direction only (checked by import-linter):
``domain`` (pure decisions), ``api`` (the SweepJob models and the CRDs generated from them)
and, on top, the command line in ``cli``.
"""

__version__ = "0.1.0"
