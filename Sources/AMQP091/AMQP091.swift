/// AMQP 0-9-1: a codec generated from the RabbitMQ spec and an async RabbitMQ client.
