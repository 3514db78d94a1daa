// Command amqpbench measures AMQP 0-9-1 throughput with amqp091-go, the Go client most RabbitMQ
// users pick; scripts/bench/amqp.sh runs it and this project's amqp-bench with the same flags
// against the same broker and queue, and compares messages per second.
//
//	amqpbench publish [-confirm [-window W]] [-n N] [-size B]  N persistent messages of B bytes
//	amqpbench consume [-qos Q] [-multiple M] [-n N]            N deliveries, acked one by one (M=1)
//	                                                           or every M-th with multiple=true
//	amqpbench purge                                            empties the queue once it settles
//
// Common flags: -url (broker), -queue (a durable queue, declared if missing), -timeout.
// Messages go through the default exchange to the queue. Without -confirm the clock stops after a
// synchronous round trip on the publishing channel, so every message has reached the broker; with
// -confirm no more than W messages are unconfirmed at any moment. publish and consume print
// msgs/s=<rate>; purge prints purged=<count>.
//
// Built by scripts/bench/amqp.sh (scripts/lib/bench.sh) in GOPATH mode against Debian's golang-go
// and golang-github-rabbitmq-amqp091-go-dev:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o .build-bench/peers/amqpbench ./Benchmarks/peers/go/amqpbench
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

type settings struct {
	url, queue         string
	count, size        int
	confirm            bool
	window, qos, every int
	timeout            time.Duration
}

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "amqpbench: "+format+"\n", args...)
	os.Exit(1)
}

func parse(mode string, arguments []string) settings {
	var s settings
	flags := flag.NewFlagSet("amqpbench "+mode, flag.ExitOnError)
	flags.StringVar(&s.url, "url", "amqp://guest:guest@127.0.0.1:5672/", "broker URL")
	flags.StringVar(&s.queue, "queue", "peer.bench", "durable queue to use")
	flags.IntVar(&s.count, "n", 100000, "messages to publish or consume")
	flags.IntVar(&s.size, "size", 200, "message body in bytes (publish)")
	flags.BoolVar(&s.confirm, "confirm", false, "put the channel in confirm mode (publish)")
	flags.IntVar(&s.window, "window", 256, "most unconfirmed messages at once (publish -confirm)")
	flags.IntVar(&s.qos, "qos", 200, "prefetch count (consume)")
	flags.IntVar(&s.every, "multiple", 1, "ack every M-th delivery with multiple=true; 1 acks each (consume)")
	flags.DurationVar(&s.timeout, "timeout", 2*time.Minute, "give up after this long")
	flags.Parse(arguments)
	if s.count < 1 || s.window < 1 || s.every < 1 || s.size < 0 {
		die("-n, -window and -multiple must be at least 1, -size at least 0")
	}
	return s
}

func main() {
	if len(os.Args) < 2 {
		die("usage: amqpbench publish|consume|purge [flags]")
	}
	mode := os.Args[1]
	run := map[string]func(*amqp.Channel, settings){"publish": publish, "consume": consume, "purge": purge}[mode]
	if run == nil {
		die("unknown mode %q: publish, consume or purge", mode)
	}
	s := parse(mode, os.Args[2:])
	// A broker in flow control or under an alarm must not hang the benchmark that runs us.
	time.AfterFunc(s.timeout, func() { die("%s did not finish within %v", mode, s.timeout) })

	connection, err := amqp.Dial(s.url)
	if err != nil {
		die("connecting to %s: %v", s.url, err)
	}
	defer connection.Close()
	channel, err := connection.Channel()
	if err != nil {
		die("opening a channel: %v", err)
	}
	if _, err := channel.QueueDeclare(s.queue, true, false, false, false, nil); err != nil {
		die("declaring queue %s: %v", s.queue, err)
	}
	run(channel, s)
}

// report prints the rate of count messages handled since start.
func report(count int, start time.Time) {
	fmt.Printf("msgs/s=%.0f\n", float64(count)/time.Since(start).Seconds())
}

func publish(channel *amqp.Channel, s settings) {
	message := amqp.Publishing{DeliveryMode: amqp.Persistent, ContentType: "application/octet-stream", Body: make([]byte, s.size)}
	var confirmations chan amqp.Confirmation
	if s.confirm {
		if err := channel.Confirm(false); err != nil {
			die("confirm.select: %v", err)
		}
		confirmations = channel.NotifyPublish(make(chan amqp.Confirmation, s.window))
	}
	unconfirmed := 0
	settleOne := func() {
		c, open := <-confirmations
		if !open {
			die("the channel closed with %d messages unconfirmed", unconfirmed)
		}
		if !c.Ack {
			die("the broker nacked message %d", c.DeliveryTag)
		}
		unconfirmed--
	}

	start := time.Now()
	for sent := 0; sent < s.count; sent++ {
		if err := channel.PublishWithContext(context.Background(), "", s.queue, false, false, message); err != nil {
			die("publish: %v", err)
		}
		if s.confirm {
			unconfirmed++
			for unconfirmed >= s.window {
				settleOne()
			}
		}
	}
	for unconfirmed > 0 {
		settleOne()
	}
	if !s.confirm {
		// queue.declare-ok comes back after every earlier publish on the channel was handled.
		if _, err := channel.QueueDeclarePassive(s.queue, true, false, false, false, nil); err != nil {
			die("closing round trip: %v", err)
		}
	}
	report(s.count, start)
}

func consume(channel *amqp.Channel, s settings) {
	if err := channel.Qos(s.qos, 0, false); err != nil {
		die("basic.qos: %v", err)
	}
	deliveries, err := channel.Consume(s.queue, "", false, false, false, false, nil)
	if err != nil {
		die("basic.consume: %v", err)
	}
	start := time.Now()
	for received := 1; received <= s.count; received++ {
		delivery, open := <-deliveries
		if !open {
			die("deliveries stopped after %d of %d", received-1, s.count)
		}
		if received%s.every == 0 || received == s.count {
			if err := delivery.Ack(s.every > 1); err != nil {
				die("basic.ack: %v", err)
			}
		}
	}
	report(s.count, start)
}

// purge waits until the queue's length stops changing (publishes without confirms may still be
// arriving), then empties it.
func purge(channel *amqp.Channel, s settings) {
	previous := -1
	for attempt := 0; attempt < 50; attempt++ {
		state, err := channel.QueueDeclarePassive(s.queue, true, false, false, false, nil)
		if err != nil {
			die("queue.declare passive: %v", err)
		}
		if state.Messages == previous {
			break
		}
		previous = state.Messages
		time.Sleep(200 * time.Millisecond)
	}
	purged, err := channel.QueuePurge(s.queue, false)
	if err != nil {
		die("queue.purge: %v", err)
	}
	fmt.Printf("purged=%d\n", purged)
}
