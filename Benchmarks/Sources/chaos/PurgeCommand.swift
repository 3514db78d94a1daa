import AMQP091
import CommandLineOptions

/// `chaos purge`: empties queues over AMQP, one channel per queue (a missing queue closes its
/// channel with 404 and is only reported). Between scenarios it is the cheap way to make sure no
/// message of an earlier scenario is decided against the next one's stock: `rabbitmqctl` starts
/// an Erlang VM for each call.
struct PurgeCommand {
    var url: AMQPURL
    var queues: [String]

    init(_ options: ParsedCommandLine) throws(CommandLineError) {
        let text = try options.string("amqp")
        do {
            url = try AMQPURL(parsing: text)
        } catch {
            throw CommandLineError("--amqp takes an amqp:// URL: \(error)")
        }
        queues = try options.string("queues").split(separator: ",").map(String.init)
    }

    func run() async throws -> Int32 {
        let connection = try await AMQPConnection.connect(to: url, timeout: .seconds(5))
        var purged: [String] = []
        for queue in queues {
            do {
                let channel = try await connection.openChannel(timeout: .seconds(5))
                let count = try await channel.queuePurge(queue, timeout: .seconds(5))
                purged.append("\(queue) \(count)")
                try? await channel.close(timeout: .seconds(5))
            } catch {
                purged.append("\(queue) not purged (\(error))")
            }
        }
        try? await connection.close(timeout: .seconds(5))
        log("purged \(url.host):\(url.port): \(purged.joined(separator: ", "))")
        return 0
    }
}
