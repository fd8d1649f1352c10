#!/bin/sh
# The Celery scheduler (nightly scoring run, pruning). Run EXACTLY ONE per deployment: two would queue every
# scheduled task twice. The schedule file lives in a writable state directory.
set -eu
state_dir="${CELERY_BEAT_STATE_DIR:-/tmp}"
mkdir -p "$state_dir"
exec celery -A config beat \
  --loglevel="${LOG_LEVEL:-INFO}" \
  --schedule="$state_dir/celerybeat-schedule" \
  "$@"
