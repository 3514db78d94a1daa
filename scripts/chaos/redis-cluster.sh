# shellcheck shell=bash
# The Redis Cluster of scripts/chaos/chaos.sh --topology cluster as the script sees it, sourced by
# it: which node masters a slot, which are its replicas, which master holds no inventory. Every
# answer comes from `CLUSTER NODES` as a live node sees it now, since a failover moves masters
# between ports. Needs REDIS_CLUSTER_PORT, REDIS_CLUSTER_MASTERS and REDIS_CLUSTER_REPLICAS (as
# scripts/lib/redis-topologies.sh started it).

# cluster_ports: every node's port, masters and replicas alike.
cluster_ports() { seq "$REDIS_CLUSTER_PORT" $((REDIS_CLUSTER_PORT + REDIS_CLUSTER_MASTERS * (1 + REDIS_CLUSTER_REPLICAS) - 1)); }

# cluster_nodes: `CLUSTER NODES` of the first node that answers with its view of the cluster (a
# node loading its data answers an error instead).
cluster_nodes() {
    local port out
    for port in $(cluster_ports); do
        out="$(timeout 5 redis-cli -p "$port" CLUSTER NODES 2>/dev/null)" && [[ "$out" == *myself* ]] && { echo "$out"; return; }
    done
    say "no Redis Cluster node answers CLUSTER NODES (ports $(cluster_ports | paste -sd ' '))"
    return 1
}

# cluster_slot KEY: the key's hash slot, as the cluster computes it.
cluster_slot() {
    local port
    for port in $(cluster_ports); do timeout 5 redis-cli -p "$port" CLUSTER KEYSLOT "$1" 2>/dev/null | grep -E '^[0-9]+$' && return; done
    return 1
}

# cluster_masters: the ports of the masters that serve slots and are not failed.
cluster_masters() {
    cluster_nodes | awk '$3 ~ /master/ && $3 !~ /fail/ && NF > 8 { split($2, a, "[:@]"); print a[2] }'
}

# cluster_master_of SLOT: the port of the live master serving the slot.
cluster_master_of() {
    cluster_nodes | awk -v slot="$1" '$3 ~ /master/ && $3 !~ /fail/ {
        for (i = 9; i <= NF; i++) {
            n = split($i, r, "-"); lo = r[1]; hi = (n > 1 ? r[2] : r[1])
            if ($i !~ /^\[/ && slot + 0 >= lo + 0 && slot + 0 <= hi + 0) { split($2, a, "[:@]"); print a[2]; exit }
        }
    }'
}

# cluster_replicas_of PORT: the ports of the live replicas of the master on PORT.
cluster_replicas_of() {
    cluster_nodes | awk -v port="$1" '
        { split($2, a, "[:@]"); portOf[$1] = a[2]; line[NR] = $0 }
        END {
            for (n = 1; n <= NR; n++) {
                split(line[n], f, " ")
                if (f[3] ~ /slave/ && f[3] !~ /fail/ && portOf[f[4]] == port) print portOf[f[1]]
            }
        }'
}

# cluster_master_without SLOT...: the port of a live master serving none of the slots.
cluster_master_without() {
    local master slot holders=" "
    for slot in "$@"; do holders+="$(cluster_master_of "$slot") "; done
    for master in $(cluster_masters); do
        [[ "$holders" == *" $master "* ]] || { echo "$master"; return; }
    done
    return 1
}

# cluster_settled: every slot served, every node answering, and every node that is a replica in
# sync with its master, so a later fault finds the cluster whole.
cluster_settled() {
    local port info
    for port in $(cluster_ports); do
        info="$(timeout 5 redis-cli -p "$port" CLUSTER INFO 2>/dev/null)" || return 1
        [[ "$info" == *"cluster_state:ok"* ]] || return 1
        if [[ "$(timeout 5 redis-cli -p "$port" ROLE 2>/dev/null | head -n 1)" == slave ]]; then
            timeout 5 redis-cli -p "$port" INFO replication 2>/dev/null | grep -q '^master_link_status:up' || return 1
        fi
    done
    (($(cluster_masters | wc -l) == REDIS_CLUSTER_MASTERS))
}

# cluster_wait_settled SECONDS: waits until cluster_settled holds, saying so if it never does.
cluster_wait_settled() {
    local i
    for ((i = 0; i < $1 * 5; i++)); do
        cluster_settled && return 0
        sleep 0.2
    done
    say "the Redis Cluster did not settle (every node up, replicas in sync) within $1 s"
    return 1
}
