import Foundation

/// Fault-injection tools for the order pipeline: an open-loop load generator with a client
/// ledger, a recovery probe, a Jepsen-style reconciliation of the ledger against Redis, a loopback
/// proxy that cuts or stalls connections or loses replies, and HTTP abuse checks against a running
/// gateway.
let usage = """
    usage: chaos <command> [--name value ...]
      load       --ledger FILE [--gateway 127.0.0.1:8080] [--rate 100] [--duration 10] [--timeout-ms 5000]
                 [--retry-fraction 0.08] [--plain-fraction 0.3] [--skus 4] [--nonce TEXT]
                 [--redis URL --samples FILE]   (samples inventory:<sku> every 100 ms during the load)
                 [--rss-pid-file FILE]          (and the VmRSS of the process whose pid FILE holds)
      probe      --ledger FILE --result FILE [--gateway 127.0.0.1:8080] [--redis URL] [--sku chaos-probe]
                 [--give-up-seconds 60] [--interval-ms 200] [--timeout-ms 2000] [--nonce TEXT]
                 (posts an order every interval until one gets 202, then waits until it is notified)
      reconcile  --ledger FILE --sender-log FILE --initial-stock N [--sender-log-offset BYTES] [--samples FILE]
                 [--skus 4] [--redis URL] [--wait-seconds 60] [--scenario NAME] [--record-faults no|yes]
                 [--deadline-ms N --inflight-ttl-ms N [--deadline-slack-ms N]]   (claim times against deadlines)
                 [--recovery FILE] [--accept-bound-seconds 5] [--notify-bound-seconds 15]
                 [--pids-before "role=pid ..." --pids-after "role=pid ..." [--restarted "role ..."]] [--rss-limit-mib 64]
      purge      --amqp URL --queues a,b,c   (empties the queues; a missing one is reported, not an error)
      proxy      --listen PORT --target HOST:PORT [--cut-every-ms N]
                 (SIGUSR1 cuts mid-frame, SIGUSR2 toggles a stall, SIGHUP toggles lost replies, ending in a cut)
      abuse      [--gateway 127.0.0.1:8080] [--idle-connections 10000]
    """

let arguments = CommandLine.arguments.dropFirst()
do {
    let options = try Options(arguments.dropFirst())
    let status: Int32
    switch arguments.first {
    case "load": status = try await LoadCommand(options).run()
    case "probe": status = try await ProbeCommand(options).run()
    case "reconcile": status = try await ReconcileCommand(options).run()
    case "purge": status = try await PurgeCommand(options).run()
    case "proxy": status = try await ProxyCommand(options).run()
    case "abuse": status = try await AbuseCommand(options).run()
    default:
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        status = 2
    }
    exit(status)
} catch {
    log("error: \(error)")
    exit(1)
}
