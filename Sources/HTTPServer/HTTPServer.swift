/// HTTP/1.1: a strict incremental request parser and an async server.
