/// AMQP 0-9-1: a codec generated from the RabbitMQ spec and an async RabbitMQ client.
///
/// Layers, each usable on its own:
/// - Codec (pure, no I/O): `AMQPMethod` and one struct per method plus `BasicProperties`, all
///   generated from `spec/amqp-rabbitmq-0.9.1.json` by `swift run amqp-codegen`; `FieldTable` /
///   `FieldValue` with RabbitMQ's field types; `FrameDecoder` (incremental, frame_max checked
///   before buffering, zero-copy bodies) and `FrameEncoder`; `AMQPError` with offsets and reply codes.
/// - Connection state machine (internal, pure): handshake, channels, reply matching, content
///   assembly and close handshakes, driven frame by frame; `ConfirmTracker` and `Topology` keep
///   publisher-confirm and declared-topology bookkeeping the same way.
/// - Client: `AMQPConnection` / `AMQPChannel` over `Transport`, in the manner of amqp091-go:
///   typed declarations, `publishConfirmed` with a bounded confirm window, consumers as
///   sequences of `AMQPDelivery` (ack/nack/reject), qos, `connection.blocked` handling, and
///   endpoint lists with retries.
/// - Recovery: `AMQPClient` (run by `run()` in the application's task group) with
///   `RecoveringChannel` and `RecoveringConsumer`: reconnects through an endpoint list and
///   restores topology, channels, qos, confirm mode and consumers; consumes again after a server
///   cancel and reopens channels the server closed, declaring the recorded topology again; repairs
///   the route of an unroutable mandatory publish; reports each step in `AMQPClient.events`.
