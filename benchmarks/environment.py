"""What a benchmark ran on, for the report: the libraries' versions, the BLAS kernels they
dispatched to, and the processor. Our bayesian sampler repeats exactly under its seed with
the same libraries and BLAS kernels, but a different rounding in the last bit grows, over
100 trials, into a different search: OpenBLAS's AVX-512 kernels gave other results than its
AVX2 ones for the same code and seeds, so ``samplers.py`` asks for the AVX2 kernels
(``OPENBLAS_CORETYPE=Haswell``) on every x86-64 machine. A run of ours reproduces a report
where this line matches. Optuna's GP runs on torch, whose MKL (linked into torch, so
threadpoolctl does not see it) and own kernels choose their code by processor: its runs
differ between an Intel and an AMD machine, so the line names torch's MKL, its CPU
capability and any ``MKL_CBWR`` setting too."""

from __future__ import annotations

import os
import platform
import re
import sys
from importlib import metadata, util

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


def _torch() -> str:
    """torch's MKL version, its CPU capability and ``MKL_CBWR`` if set; empty without torch."""
    if "torch" not in sys.modules and util.find_spec("torch") is None:
        return ""
    import torch

    found = re.search(r"Math Kernel Library Version (\S+)", torch.__config__.show())
    mkl = found.group(1) if found else "absent"
    branch = os.environ.get("MKL_CBWR")
    return (
        f"; torch's MKL {mkl}{f' (MKL_CBWR={branch})' if branch else ''}, CPU capability "
        f"{torch.backends.cpu.get_cpu_capability()}"
    )


def describe() -> str:
    """One line: Python, the packages, BLAS and its kernels, torch's MKL and CPU capability
    (where torch is installed), the processor."""
    packages = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    return (
        f"Environment: Python {platform.python_version()}, {packages}; BLAS {_blas()}"
        f"{_torch()}; processor {_processor()}."
    )
