#!/bin/sh
# linuxserver.io-style start: run as PUID:PGID with UMASK, state in /config.
# Only /config is ever chowned: media and downloads volumes keep their owners.
set -eu
umask "${UMASK:-022}"
if [ "$(id -u)" = 0 ]; then
    PUID="${PUID:-1000}"
    PGID="${PGID:-1000}"
    mkdir -p /config
    find /config -xdev \( ! -user "$PUID" -o ! -group "$PGID" \) -exec chown "$PUID:$PGID" {} +
    exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- privateindexer "$@"
fi
exec privateindexer "$@"
