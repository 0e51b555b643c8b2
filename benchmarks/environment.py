"""What a benchmark ran on, for the report: the libraries' versions, the BLAS kernels they
dispatched to, and the processor. Our bayesian sampler repeats exactly under its seed with
the same libraries and BLAS kernels, but a different rounding in the last bit grows, over
100 trials, into a different search: OpenBLAS's AVX-512 kernels gave other results than its
AVX2 ones for the same code and seeds, so ``samplers.py`` asks for the AVX2 kernels
(``OPENBLAS_CORETYPE=Haswell``) on every x86-64 machine. A run reproduces a report where
this line matches."""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = ("numpy", "scipy", "optuna", "torch")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _processor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    try:
        import numpy  # noqa: F401  (loads the BLAS libraries threadpoolctl reports)
        import scipy.linalg  # noqa: F401
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    found = {
        f"{info.get('internal_api')} {info.get('version')} ({info.get('architecture')})"
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    }
    return ", ".join(sorted(found)) or "unknown"


def describe() -> str:
    """One line: Python, the packages, BLAS and its kernels, the processor."""
    packages = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    return (
        f"Environment: Python {platform.python_version()}, {packages}; BLAS {_blas()}; "
        f"processor {_processor()}."
    )
