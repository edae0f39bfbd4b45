#!/bin/sh
# Picks the process this container runs. Every process gets PROCESS_ROLE (core/roles.py), which
# decides what its readiness requires, and a clean PROMETHEUS_MULTIPROC_DIR for its metrics.
#   web | grpc | worker [QUEUES] | beat | relay | consume GROUP | migrate | <any command>
set -eu

role="${1:-web}"
[ "$#" -gt 0 ] && shift

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

case "$role" in
    web)
        export PROCESS_ROLE=web
        exec gunicorn --config config/gunicorn.py config.wsgi "$@"
        ;;
    grpc)
        export PROCESS_ROLE=grpc
        exec python manage.py run_grpc --grace "${GRPC_GRACE_SECONDS:-20}" "$@"
        ;;
    worker)
        export PROCESS_ROLE=worker
        queues="${1:-${CELERY_QUEUES:-celery}}"
        [ "$#" -gt 0 ] && shift
        exec celery -A config worker --queues "$queues" --loglevel "${LOG_LEVEL:-INFO}" \
            --concurrency "${CELERY_CONCURRENCY:-2}" --hostname "worker-${queues}@%h" "$@"
        ;;
    beat)
        export PROCESS_ROLE=beat
        exec celery -A config beat --loglevel "${LOG_LEVEL:-INFO}" "$@"
        ;;
    relay)
        export PROCESS_ROLE=relay
        exec python manage.py relay_events "$@"
        ;;
    consume)
        export PROCESS_ROLE=consumer
        group="${1:?consume needs a consumer group, e.g. consume orders.payments}"
        shift
        exec python manage.py consume_events --group "$group" "$@"
        ;;
    migrate)
        export PROCESS_ROLE=migrate
        python manage.py migrate --no-input
        if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
            python manage.py create_topics
        fi
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
