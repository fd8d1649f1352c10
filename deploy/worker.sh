#!/bin/sh
# A Celery worker. Run as many as needed, on as many machines as needed, against the same REDIS_URL and
# DATABASE_URL: scoring runs are split into chunks that any worker takes (docs/operations.md, "Scaling out").
set -eu
exec celery -A config worker \
  --loglevel="${LOG_LEVEL:-INFO}" \
  --concurrency="${CELERY_CONCURRENCY:-2}" \
  --pool=prefork \
  --hostname="${CELERY_HOSTNAME:-worker@%h}" \
  --max-tasks-per-child="${CELERY_MAX_TASKS_PER_CHILD:-200}" \
  --without-mingle \
  "$@"
