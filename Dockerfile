# SmartCart Segments bot: `docker build -t smartcart .` then
# `docker run -p 3000:3000 --env-file .env -v smartcart-var:/app/var smartcart`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MPLBACKEND=Agg
WORKDIR /app

COPY pyproject.toml README.md ./
COPY segmentation ./segmentation
COPY bot ./bot
COPY templates ./templates
COPY manifest.json ./
# Editable, so the built-in templates/ beside the packages are found.
RUN pip install --no-cache-dir -e . \
    && useradd --create-home smartcart && mkdir -p /app/var && chown smartcart /app/var
USER smartcart

EXPOSE 3000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz')"
CMD ["smartcart", "serve", "--port", "3000"]
