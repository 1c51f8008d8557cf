# syntax=docker/dockerfile:1
# SmartCart Segments, one image for every mode:
#   docker build -t smartcart-segments .
#   docker run -p 3000:3000 --env-file .env -v smartcart-var:/app/var smartcart-segments
#   docker run --env-file .env -v smartcart-var:/app/var smartcart-segments smartcart scheduler
# docker-compose.yml runs the bot, one scheduler and PostgreSQL together (docs/operators/deploying.md).
#
# Layers: the dependencies come from uv.lock alone (exported with hashes by `uv export`, then
# hash-checked by pip), in a stage of their own, so a change to the code rebuilds only the small
# code layer; the code is installed as the
# project's wheel, which carries the built-in templates as package data.

# An exact tag; pin a digest too with `python:3.11.7-slim-bookworm@sha256:...` where your registry
# tells you it (`docker buildx imagetools inspect python:3.11.7-slim-bookworm`).
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# The runtime pins of uv.lock as a requirements file with hashes (no dev group, no extras).
FROM base AS lock
RUN pip install uv==0.13.9
WORKDIR /lock
COPY pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-emit-project --format requirements-txt -o requirements.txt

# The dependencies: only the exported lock is copied, so this layer is reused until it changes.
FROM base AS deps
RUN python -m venv /opt/venv
COPY --from=lock /lock/requirements.txt /tmp/requirements.txt
RUN pip install --require-hashes --no-deps -r /tmp/requirements.txt

# The project's wheel (what `pip install .` would install), built from the sources.
FROM base AS wheel
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM base AS runtime
ENV MPLBACKEND=Agg \
    SMARTCART_HEALTH_FILE=/tmp/smartcart-health.json
RUN useradd --create-home --uid 10001 smartcart \
    && mkdir -p /app/var && chown smartcart:smartcart /app/var
COPY --from=deps /opt/venv /opt/venv
COPY --from=wheel /wheels /tmp/wheels
# --no-deps: every dependency is already in from the lock; `pip check` fails the build, naming
# it, if pyproject.toml asks for one the lock lacks (run `make lock`).
RUN pip install --no-deps --no-index /tmp/wheels/*.whl && rm -rf /tmp/wheels && pip check
USER smartcart
WORKDIR /app
# The templates come from the installed package, not from a source tree.
RUN smartcart templates check

VOLUME ["/app/var"]
EXPOSE 3000
# Fits every mode: the running process writes a liveness file; in HTTP mode `smartcart health`
# also asks its /healthz, in Socket Mode it needs a live connection to Slack, and `smartcart
# scheduler` a running scheduler.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["smartcart", "health"]
CMD ["smartcart", "serve", "--port", "3000"]
