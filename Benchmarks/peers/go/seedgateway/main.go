// Command seedgateway is the order gateway as the seed implementation wrote it, in Go with
// redigo and amqp091-go: what a user of the seed would run. scripts/bench/pipeline.sh puts the
// same wrk load on it and on this project's gateway and compares accepted orders per second.
//
// POST /orders with {"id","sku","qty"}:
//
//	405 Method not allowed         for any other method
//	400 Invalid JSON               a body that is not JSON
//	400 Missing or invalid fields  a field of the wrong type, an empty id or sku, qty <= 0
//	409 Duplicate order            SET idemp:<id> 1 NX EX 300 found the key in Redis
//	500 Failed to publish order    the publish failed (the idempotency key is deleted again)
//	202 Order received: <id>       the order went to the durable direct exchange orders.direct
//
// As in the seed, Redis is reached through a redigo pool and the broker through one channel that
// every request shares. With -confirm the channel is in confirm mode and a request is answered
// 202 only once the broker confirmed its message, which is what this project's gateway promises.
// Confirms are matched to requests through a listener registered before the first publish
// rather than PublishWithDeferredConfirm, because amqp091-go 1.5 (Debian 12's) registers a
// deferred confirmation only after sending and can lose a quick confirm
// (rabbitmq/amqp091-go#182).
//
// Built by scripts/bench/pipeline.sh (scripts/lib/bench.sh) in GOPATH mode against Debian's
// golang-go, golang-github-gomodule-redigo-dev and golang-github-rabbitmq-amqp091-go-dev:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o .build-bench/peers/seedgateway ./Benchmarks/peers/go/seedgateway
//
// Usage: seedgateway [-confirm] [-listen ADDR] [-redis HOST:PORT] [-amqp URL]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/gomodule/redigo/redis"
	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	ordersExchange = "orders.direct"
	ordersQueue    = "orders.queue"
	ordersKey      = "orders"
	confirmTimeout = 5 * time.Second
)

type order struct {
	ID  string `json:"id"`
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// broker publishes orders on the one shared channel and, in confirm mode, hands each publisher
// the broker's verdict on its own message.
type broker struct {
	channel *amqp.Channel
	confirm bool

	// sending serialises publishes, as the seed did, and with them the delivery tags: the n-th
	// message sent on a confirm-mode channel has tag n.
	sending sync.Mutex
	lastTag uint64

	pendingLock sync.Mutex
	pending     map[uint64]chan bool
}

func openBroker(url string, confirm bool) (*amqp.Connection, *broker, error) {
	connection, err := amqp.Dial(url)
	if err != nil {
		return nil, nil, err
	}
	channel, err := connection.Channel()
	if err == nil {
		err = channel.ExchangeDeclare(ordersExchange, "direct", true, false, false, false, nil)
	}
	if err == nil {
		// Bound so that accepted orders are stored somewhere, as in the seed's topology.
		_, err = channel.QueueDeclare(ordersQueue, true, false, false, false, nil)
	}
	if err == nil {
		err = channel.QueueBind(ordersQueue, ordersKey, ordersExchange, false, nil)
	}
	b := &broker{channel: channel, confirm: confirm, pending: map[uint64]chan bool{}}
	if err == nil && confirm {
		if err = channel.Confirm(false); err == nil {
			go b.settle(channel.NotifyPublish(make(chan amqp.Confirmation, 1024)))
		}
	}
	if err != nil {
		connection.Close()
		return nil, nil, err
	}
	return connection, b, nil
}

// settle passes each confirmation (one per delivery tag, in order) to the request waiting for
// it; when the channel closes, every request still waiting is told its message was not confirmed.
func (b *broker) settle(confirmations <-chan amqp.Confirmation) {
	for c := range confirmations {
		if waiter := b.take(c.DeliveryTag); waiter != nil {
			waiter <- c.Ack
		}
	}
	b.pendingLock.Lock()
	defer b.pendingLock.Unlock()
	for tag, waiter := range b.pending {
		waiter <- false
		delete(b.pending, tag)
	}
}

func (b *broker) take(tag uint64) chan bool {
	b.pendingLock.Lock()
	defer b.pendingLock.Unlock()
	waiter := b.pending[tag]
	delete(b.pending, tag)
	return waiter
}

func (b *broker) publish(body []byte) error {
	message := amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body}
	if !b.confirm {
		b.sending.Lock()
		defer b.sending.Unlock()
		return b.channel.PublishWithContext(context.Background(), ordersExchange, ordersKey, false, false, message)
	}

	verdict := make(chan bool, 1)
	b.sending.Lock()
	tag := b.lastTag + 1
	b.pendingLock.Lock()
	b.pending[tag] = verdict
	b.pendingLock.Unlock()
	err := b.channel.PublishWithContext(context.Background(), ordersExchange, ordersKey, false, false, message)
	if err == nil {
		b.lastTag = tag
	}
	b.sending.Unlock()
	if err != nil {
		b.take(tag)
		return err
	}

	// Waiting outside the lock lets concurrent requests share the broker's confirm batches.
	timer := time.NewTimer(confirmTimeout)
	defer timer.Stop()
	select {
	case ack := <-verdict:
		if !ack {
			return errors.New("the broker nacked the order or closed the channel")
		}
		return nil
	case <-timer.C:
		b.take(tag)
		return errors.New("no confirm within " + confirmTimeout.String())
	}
}

type gateway struct {
	redis  *redis.Pool
	broker *broker
}

// readOrder decodes and checks a request body; a non-empty message is the 400 to answer.
func readOrder(r *http.Request) (order, string) {
	var o order
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
		var wrongType *json.UnmarshalTypeError
		if errors.As(err, &wrongType) {
			return o, "Missing or invalid fields"
		}
		return o, "Invalid JSON"
	}
	if o.ID == "" || o.SKU == "" || o.Qty <= 0 {
		return o, "Missing or invalid fields"
	}
	return o, ""
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return
	}
	o, invalid := readOrder(r)
	if invalid != "" {
		http.Error(w, invalid, http.StatusBadRequest)
		return
	}

	conn := g.redis.Get()
	defer conn.Close()
	key := "idemp:" + o.ID
	if _, err := redis.String(conn.Do("SET", key, "1", "NX", "EX", 300)); err == redis.ErrNil {
		http.Error(w, "Duplicate order", http.StatusConflict)
		return
	} else if err != nil {
		log.Printf("redis SET %s: %v", key, err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}

	body, _ := json.Marshal(o)
	if err := g.broker.publish(body); err != nil {
		log.Printf("publish %s: %v", o.ID, err)
		conn.Do("DEL", key)
		http.Error(w, "Failed to publish order", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	w.Write([]byte("Order received: " + o.ID))
}

func main() {
	listen := flag.String("listen", "127.0.0.1:18082", "HTTP address to serve on")
	redisAddress := flag.String("redis", "127.0.0.1:6379", "Redis host:port")
	amqpURL := flag.String("amqp", "amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ URL")
	confirm := flag.Bool("confirm", false, "answer 202 only once the broker confirmed the order")
	flag.Parse()

	pool := &redis.Pool{
		MaxIdle:     128,
		IdleTimeout: 4 * time.Minute,
		Dial: func() (redis.Conn, error) {
			return redis.Dial("tcp", *redisAddress, redis.DialConnectTimeout(2*time.Second),
				redis.DialReadTimeout(2*time.Second), redis.DialWriteTimeout(2*time.Second))
		},
	}
	connection, broker, err := openBroker(*amqpURL, *confirm)
	if err != nil {
		log.Fatalf("broker %s: %v", *amqpURL, err)
	}

	server := &http.Server{Addr: *listen, Handler: &gateway{redis: pool, broker: broker}}
	// SIGTERM or SIGINT: finish the requests under way, then close the AMQP connection properly;
	// a connection dropped without connection.close can lose the last unconfirmed publishes.
	stopped := make(chan struct{})
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		server.Shutdown(ctx)
		close(stopped)
	}()

	log.Printf("seedgateway on %s, confirms %v", *listen, *confirm)
	if err := server.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-stopped
	if err := connection.Close(); err != nil {
		log.Printf("closing the broker connection: %v", err)
	}
}
