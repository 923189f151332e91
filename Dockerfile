# syntax=docker/dockerfile:1
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install .

FROM python:3.11-slim-bookworm AS runtime
# The documents' Chinese font (issue 30), embedded in every PDF: the same package and version
# the tests print with, so a document's digest is the same here as there.
RUN apt-get update \
  && apt-get install -y --no-install-recommends fonts-wqy-microhei=0.2.0-beta-3.1 \
  && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 bangfu && useradd --system --uid 10001 --gid 10001 --home-dir /srv bangfu
WORKDIR /srv
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 ENVIRONMENT=production PORT=8000
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health/live', timeout=2)"]
CMD ["bangfu", "serve", "--host", "0.0.0.0", "--no-migrate", "--workers", "2"]
