# One image for every process; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY pyproject.toml ./
COPY core ./core
COPY api ./api
COPY webhooks ./webhooks
COPY workers ./workers
COPY search_index ./search_index
COPY ops ./ops
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install --no-cache-dir .

RUN useradd --system --home /app livestream && mkdir -p /app/var/media && chown livestream /app/var/media
USER livestream

EXPOSE 8080
CMD ["python", "-m", "api"]
