# kubesweep operator image. Stage 1 builds the wheel; stage 2 installs it into a virtualenv
# on a slim base, with no build tools, and runs as a non-root user.
# The base is pinned to an exact Python and Debian release.
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
RUN python -m pip install --no-cache-dir --upgrade pip build \
 && python -m build --wheel --outdir /dist .

FROM python:3.11.7-slim-bookworm
# One BLAS thread: OpenBLAS would start one per core of the node, whatever the pod's CPU
# share, and the bayesian sampler's matrices are too small to gain from them (on two idle
# cores a suggestion at 200 results took 17 ms on one thread, 39 ms on two:
# benchmarks/threads.py).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/kubesweep/bin:$PATH \
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
COPY --from=build /dist/*.whl /tmp/
RUN python -m venv /opt/kubesweep \
 && /opt/kubesweep/bin/pip install --no-cache-dir /tmp/*.whl \
 && rm /tmp/*.whl \
 && groupadd --gid 10001 kubesweep \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin kubesweep
USER 10001:10001
EXPOSE 8080 8081
ENTRYPOINT ["kubesweep", "operator"]
