#!/bin/sh
# Starts a Redis node or Sentinel of docker-compose.distributed.yml from the local cluster's templates
# (deploy/redis/*.conf.template, mounted read-only): each ${MUTIROES_*} placeholder takes the value of the
# environment variable of that name, as deploy/cluster/cluster.py fills them in.
#
#   start.sh TEMPLATE CONF [--sentinel]
#
# The configuration is written only when absent, as the cluster does: Sentinel rewrites it after a failover
# (replicaof, known Sentinels, epochs) and a restarted container must keep what Sentinel wrote.
set -eu
template="$1"
conf="$2"
shift 2

if [ ! -s "$conf" ]; then
    awk '{
        while (match($0, /\$\{MUTIROES_[A-Z0-9_]+\}/)) {
            name = substr($0, RSTART + 2, RLENGTH - 3)
            if (!(name in ENVIRON)) { print "start.sh: no value for " name > "/dev/stderr"; exit 1 }
            $0 = substr($0, 1, RSTART - 1) ENVIRON[name] substr($0, RSTART + RLENGTH)
        }
        print
    }' "$template" >"$conf.tmp"
    if [ "${1:-}" = "--sentinel" ]; then
        # Containers keep their names, not their addresses: Sentinel must resolve redis-master by name.
        sed -i 's/^sentinel resolve-hostnames no$/sentinel resolve-hostnames yes/' "$conf.tmp"
    fi
    mv "$conf.tmp" "$conf"
    echo "start.sh: $conf written from $template"
fi
# The image's entrypoint hands /data to the redis user and drops root before starting the server.
exec docker-entrypoint.sh redis-server "$conf" "$@"
