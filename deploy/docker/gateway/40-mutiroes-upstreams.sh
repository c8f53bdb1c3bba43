#!/bin/sh
# Runs in the official nginx image before nginx starts (/docker-entrypoint.d/), after its envsubst step has
# rendered deploy/nginx/*.template into $NGINX_ENVSUBST_OUTPUT_DIR (docker-compose.distributed.yml mounts both).
#
# mutiroes.conf includes upstreams.conf. The static list (upstreams.static.conf, rendered from the compose
# file's backend names) is what nginx starts with, unless `mutiroes consul-render` (the gateway-upstreams
# service) has already written upstreams.conf from Consul's healthy instances. Afterwards a loop here reloads
# nginx whenever consul-render changes that file, after `nginx -t` accepts it.
set -eu

conf_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/mutiroes}"
static="$conf_dir/upstreams.static.conf"
live="$conf_dir/upstreams.conf"
interval=5

if [ ! -s "$live" ]; then
    cp "$static" "$live"
    echo "$0: no upstreams from Consul yet: starting with the static list ($static)"
fi
# UID 10001 is the `mutiroes` user of deploy/docker/Dockerfile: consul-render replaces files in this directory.
chown 10001 "$conf_dir"

(
    last="$(md5sum "$live" 2>/dev/null || true)"
    while sleep "$interval"; do
        now="$(md5sum "$live" 2>/dev/null || true)"
        [ "$now" = "$last" ] && continue
        last="$now"
        if nginx -t -q -c "$conf_dir/nginx.conf"; then
            nginx -s reload -c "$conf_dir/nginx.conf" && echo "$0: upstreams changed: nginx reloaded"
        else
            echo "$0: upstreams changed but nginx -t refused them: kept the running configuration" >&2
        fi
    done
) &
