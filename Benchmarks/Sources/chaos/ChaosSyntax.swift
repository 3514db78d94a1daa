import CommandLineOptions

/// The command line of every chaos subcommand, with the defaults `--help` shows and the commands
/// read.
enum ChaosSyntax {
    static let gateway = CommandSyntax.Option.value("gateway", "HOST:PORT", default: "127.0.0.1:8080", "the gateway to send orders to")
    /// The SKU of the probe's orders, which tells them from the load's in a ledger.
    static let probeSKU = "chaos-probe"
    static let redis = CommandSyntax.Option.value("redis", "URL", default: "redis://127.0.0.1:6379/0", "the pipeline's Redis")
    static let nonce = CommandSyntax.Option.value("nonce", "TEXT", "part of every order id, so runs do not collide (default random)")
    static let skus = CommandSyntax.Option.value("skus", "N", default: "4", "SKUs the orders spread over")

    static let command = CommandSyntax(
        "chaos",
        summary: "fault-injection tools for the order pipeline: open-loop load with a client ledger, a recovery probe, "
            + "reconciliation of the ledger against Redis, a faulty TCP proxy and HTTP abuse checks",
        subcommands: [load, probe, reconcile, purge, proxy, abuse])

    static let load = CommandSyntax(
        "chaos load", summary: "sends open-loop orders at a fixed rate and writes each request's outcome to the ledger",
        options: [
            .value("ledger", "FILE", "where each request's outcome goes, one JSON line each (required)"),
            .value("gateway", "HOST:PORT[,...]", default: "127.0.0.1:8080", "the gateways to send orders to, each request to the next in turn"),
            .value("rate", "PER_SECOND", default: "100", "requests per second"),
            .value("duration", "SECONDS", default: "10", "how long to send"),
            .value("timeout-ms", "MS", default: "5000", "client timeout of one request"),
            .value("retry-fraction", "FRACTION", default: "0.08", "requests that retry an earlier one (same or other payload), 0...0.5"),
            .value("plain-fraction", "FRACTION", default: "0.3", "orders sent without Idempotency-Key, 0...1"),
            skus, nonce,
            .value("redis", "URL", "Redis to sample inventory:<sku> from every 100 ms (with --samples)"),
            .value("samples", "FILE", "where the inventory samples go (with --redis)"),
            .value("rss-pid-file", "FILE", "also sample the VmRSS of the process whose pid FILE holds (with --samples)"),
        ])

    static let probe = CommandSyntax(
        "chaos probe", summary: "posts an order every interval until one gets 202, then waits until it is notified",
        options: [
            .value("ledger", "FILE", "the probe's ledger (required)"),
            .value("result", "FILE", "where the recovery times go, as JSON (required)"),
            gateway, redis,
            .value("sku", "SKU", default: probeSKU, "the probe orders' SKU"),
            .value("give-up-seconds", "SECONDS", default: "60", "how long to try"),
            .value("interval-ms", "MS", default: "200", "time between attempts"),
            .value("timeout-ms", "MS", default: "2000", "client timeout of one request"),
            nonce,
        ])

    static let reconcile = CommandSyntax(
        "chaos reconcile", summary: "waits for quiescence and checks the ledger against Redis and the notifier's log of sends",
        options: [
            .value("ledger", "FILE", "the load's ledger (required)"),
            .value("sender-log", "FILE", "the notifier's log of sends (required)"),
            .value("initial-stock", "N", "each SKU's stock before the load (required)"),
            .value("sender-log-offset", "BYTES", default: "0", "where this scenario's part of the sender log starts"),
            .value("samples", "FILE", "the load's inventory samples, checked never to go negative"),
            skus, redis,
            .value("wait-seconds", "SECONDS", default: "60", "how long to wait for every accepted order to be decided"),
            .value("scenario", "NAME", default: "run", "the scenario's name, for the report"),
            .value("record-faults", "yes|no", default: "no", "whether the scenario may lose replies, so a send may repeat"),
            .value("deadline-ms", "MS", "the services' REQUEST_DEADLINE_MS: checks claim times against it (with --inflight-ttl-ms)"),
            .value("inflight-ttl-ms", "MS", "the services' in-flight TTL, in milliseconds"),
            .value("deadline-slack-ms", "MS", default: "0", "lateness tolerated beyond the deadline"),
            .value("recovery", "FILE", "the probe's result, checked against the bounds below"),
            .value("accept-bound-seconds", "SECONDS", default: "5", "longest time from the fault's end to the probe's 202"),
            .value("notify-bound-seconds", "SECONDS", default: "15", "longest time from the fault's end to the probe's notification"),
            .value("pids-before", "\"ROLE=PID ...\"", "the services' pids before the scenario"),
            .value("pids-after", "\"ROLE=PID ...\"", "and after it: only the roles in --restarted may differ"),
            .value("restarted", "\"ROLE ...\"", "roles the scenario itself restarted"),
            .value("rss-limit-mib", "MIB", default: "64", "the gateway's resident memory limit"),
        ])

    static let purge = CommandSyntax(
        "chaos purge", summary: "empties queues; a missing one is reported, not an error",
        options: [
            .value("amqp", "URL", "the broker, amqp://user:pass@host:port/vhost (required)"),
            .value("queues", "A,B,...", "the queues, comma-separated (required)"),
        ])

    static let proxy = CommandSyntax(
        "chaos proxy", summary: "a loopback TCP proxy: SIGUSR1 cuts every connection mid-frame, SIGUSR2 toggles a stall, "
            + "SIGHUP toggles lost replies (ending in a cut)",
        options: [
            .value("listen", "PORT", "the port to listen on, on 127.0.0.1 (required)"),
            .value("target", "HOST:PORT", "where to forward (required)"),
            .value("cut-every-ms", "MS", "also cut every connection this often"),
        ])

    static let abuse = CommandSyntax(
        "chaos abuse", summary: "request smuggling vectors, oversized requests, slowloris, idle connections and a pipelined flood "
            + "against a running gateway, while a side client keeps ordering",
        options: [
            gateway,
            .value("idle-connections", "N", default: "10000", "idle connections to hold open"),
            .value("pipelined", "N", default: "20000", "requests in the pipelined flood"),
        ])
}

extension ParsedCommandLine {
    /// `host:port`, for options naming a TCP endpoint.
    func endpoint(_ name: String) throws(CommandLineError) -> (host: String, port: Int) {
        try Self.endpoint(try string(name), name)
    }

    /// A comma-separated list of `host:port`.
    func endpoints(_ name: String) throws(CommandLineError) -> [(host: String, port: Int)] {
        var endpoints: [(host: String, port: Int)] = []
        for text in try string(name).split(separator: ",") { endpoints.append(try Self.endpoint(String(text), name)) }
        guard !endpoints.isEmpty else { throw CommandLineError("--\(name) takes host:port[,host:port...]") }
        return endpoints
    }

    private static func endpoint(_ text: String, _ name: String) throws(CommandLineError) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw CommandLineError("--\(name) takes host:port, not '\(text)'")
        }
        return (String(text[..<colon]), port)
    }
}
