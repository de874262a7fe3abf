#!/bin/sh
# Chooses the Parley process to run in this container (see docker/Dockerfile).
set -e
case "${1:-web}" in
  web)
    # Next.js + the realtime gateway on /ws, one port (apps/web/server.ts).
    cd /app/apps/web
    exec node --import tsx server.ts
    ;;
  realtime)
    # A separate gateway (scale-out with Redis; REALTIME_EMBEDDED=false on web).
    cd /app/apps/realtime
    exec node --import tsx src/main.ts
    ;;
  migrate)
    cd /app
    exec node scripts/migrate.mjs
    ;;
  backup|restore)
    # `parley backup [FILE]`, `parley restore FILE [--force]` (scripts/backup.mjs). A relative
    # FILE is taken from the directory the command was started in; no FILE: $BACKUP_DIR.
    export INIT_CWD="${INIT_CWD:-$PWD}"
    cd /app
    exec node --import tsx scripts/backup.mjs "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
