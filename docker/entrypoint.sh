#!/bin/sh
# Chooses the Parley process to run in this container (see docker/Dockerfile).
set -e
case "${1:-web}" in
  web)
    cd /app/apps/web
    exec node /app/node_modules/next/dist/bin/next start -p "${PORT:-3000}" -H 0.0.0.0
    ;;
  realtime)
    cd /app/apps/realtime
    exec node --import tsx src/main.ts
    ;;
  migrate)
    cd /app
    exec node scripts/migrate.mjs
    ;;
  *)
    exec "$@"
    ;;
esac
