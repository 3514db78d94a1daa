/// Redis serialization protocol (RESP2): a sans-I/O codec and an async Redis client.
