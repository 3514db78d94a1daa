"""AMQP side of scripts/interop/rabbitmq-cluster-check.sh, on pika (an independent client, so the check
does not depend on the project's own AMQP client it is meant to inform).

    declare URL QUEUE                      delete QUEUE if present, declare it as a durable quorum
                                           queue with no x-quorum-initial-group-size
    publish URL QUEUE FIRST COUNT          publish bodies FIRST..FIRST+COUNT-1, persistent and
                                           mandatory, each waiting for its confirm
    probe URL QUEUE SECONDS COMMAND...     run COMMAND (a fault) and, from then on for SECONDS,
                                           publish "probe" messages one after another, each
                                           waiting for its confirm, reconnecting as needed; prints
                                           the longest wait for a confirm; exits as COMMAND did
    consume URL QUEUE FIRST COUNT SECONDS  consume and ack until every body FIRST..FIRST+COUNT-1
                                           came, or SECONDS passed; exits 1 when any is missing
    delete URL QUEUE

Every outcome is one line on stdout; errors exit non-zero with the reason.
"""

import subprocess
import sys
import time

import pika

PROBE = b"probe"


def connect(url):
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = 5
    return pika.BlockingConnection(parameters)


def declare(url, queue):
    with connect(url) as connection:
        channel = connection.channel()
        channel.queue_delete(queue)
        channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    print(f"declared {queue} (x-queue-type quorum)")


def publish_one(channel, queue, body):
    # With confirms on, pika raises NackError or UnroutableError unless the broker confirmed.
    channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2), mandatory=True)


def publish(url, queue, first, count):
    with connect(url) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        for n in range(first, first + count):
            publish_one(channel, queue, str(n).encode())
    print(f"confirmed {count}")


def confirming_channel(url):
    channel = connect(url).channel()
    channel.confirm_delivery()
    return channel


def probe(url, queue, seconds, command):
    channel = confirming_channel(url)  # connected before the fault, so no connect time is counted
    start = time.monotonic()
    fault = subprocess.Popen(command, stdout=sys.stderr)
    longest, confirmed, failed = 0.0, 0, 0
    while time.monotonic() - start < seconds:
        waiting_since = time.monotonic()
        while True:
            try:
                channel = channel or confirming_channel(url)
                publish_one(channel, queue, PROBE)
                break
            except pika.exceptions.AMQPError as error:
                failed += 1
                print(f"probe: {time.monotonic() - start:.2f} s after the fault: {error!r}", file=sys.stderr)
                if channel is not None and channel.connection.is_open:
                    channel.connection.close()
                channel = None
                time.sleep(0.1)
        confirmed += 1
        longest = max(longest, time.monotonic() - waiting_since)
    print(f"longest wait for a confirm {longest:.2f} s ({confirmed} probes confirmed, {failed} attempts failed)")
    return fault.wait()


def consume(url, queue, first, count, seconds):
    expected = set(range(first, first + count))
    seen, duplicates, probes = set(), 0, 0
    deadline = time.monotonic() + seconds
    with connect(url) as connection:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=200)
        for method, _, body in channel.consume(queue, inactivity_timeout=1):
            if method is not None:
                if body == PROBE:
                    probes += 1
                else:
                    n = int(body)
                    duplicates += n in seen
                    seen.add(n)
                channel.basic_ack(method.delivery_tag)
            if expected <= seen or time.monotonic() > deadline:
                break
        channel.cancel()
    missing = len(expected - seen)
    print(f"consumed {len(seen & expected)} of {count}, missing {missing}, duplicates {duplicates}, probes {probes}")
    return 1 if missing else 0


def delete(url, queue):
    with connect(url) as connection:
        connection.channel().queue_delete(queue)
    print(f"deleted {queue}")


def main(argv):
    command, url, queue, *rest = argv
    if command == "probe":
        return probe(url, queue, float(rest[0]), rest[1:])
    numbers = [int(value) for value in rest]
    if command == "declare":
        declare(url, queue)
    elif command == "publish":
        publish(url, queue, *numbers)
    elif command == "consume":
        return consume(url, queue, *numbers)
    elif command == "delete":
        delete(url, queue)
    else:
        raise SystemExit(f"unknown command {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
