// amqp-interop-peer echoes messages with amqp091-go, for the AMQP interoperability test: it
// consumes -n messages from queue -from and publishes each to queue -to with the same
// properties, headers and body, as amqp091-go decoded them, waiting for the broker's confirm.
//
//	amqp-interop-peer -url URL -from QUEUE -to QUEUE [-n N]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "amqp-interop-peer: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	url := flag.String("url", "amqp://guest:guest@127.0.0.1:5672/", "broker URL")
	from := flag.String("from", "", "queue to consume from")
	to := flag.String("to", "", "queue to publish to")
	n := flag.Int("n", 1, "messages to echo")
	flag.Parse()

	conn, err := amqp.Dial(*url)
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		fail("channel: %v", err)
	}
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	if err := ch.Confirm(false); err != nil {
		fail("confirm: %v", err)
	}
	// A listener registered before any publish, not PublishWithDeferredConfirm: amqp091-go 1.5
	// (Debian's) registers a deferred confirmation only after sending, so a broker that confirms
	// quickly enough can confirm before it is registered, and Wait then times out
	// (rabbitmq/amqp091-go#182, fixed in 1.8.1).
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, *n))
	deliveries, err := ch.Consume(*from, "", false, false, false, false, nil)
	if err != nil {
		fail("consume: %v", err)
	}
	for i := 0; i < *n; i++ {
		var d amqp.Delivery
		select {
		case d = <-deliveries:
		case <-time.After(10 * time.Second):
			fail("no message %d within 10 s", i+1)
		}
		p := amqp.Publishing{
			Headers: d.Headers, ContentType: d.ContentType, ContentEncoding: d.ContentEncoding,
			DeliveryMode: d.DeliveryMode, Priority: d.Priority, CorrelationId: d.CorrelationId, ReplyTo: d.ReplyTo,
			Expiration: d.Expiration, MessageId: d.MessageId, Timestamp: d.Timestamp, Type: d.Type, UserId: d.UserId,
			AppId: d.AppId, Body: d.Body,
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := ch.PublishWithContext(ctx, "", *to, false, false, p)
		cancel()
		if err != nil {
			select {
			case reason := <-closed:
				fail("publish: %v (channel closed: %v)", err, reason)
			case <-time.After(time.Second):
				fail("publish: %v", err)
			}
		}
		select {
		case confirm := <-confirms:
			if !confirm.Ack {
				fail("publish nacked")
			}
		case reason := <-closed:
			fail("channel closed before the confirm: %v", reason)
		case <-time.After(10 * time.Second):
			fail("no confirm within 10 s")
		}
		if err := d.Ack(false); err != nil {
			fail("ack: %v", err)
		}
	}
}
