FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    SORA2API_SERVER__HOST=0.0.0.0

WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY router ./router
COPY plugins ./plugins
COPY config ./config
RUN pip install --no-cache-dir -c requirements.lock . \
    && useradd --create-home --uid 10001 sora2api \
    && mkdir -p /app/data && chown sora2api /app/data

USER sora2api
VOLUME ["/app/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz'); sys.exit(0)"
CMD ["sora2api", "serve"]
