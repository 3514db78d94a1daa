/// Non-blocking TCP sockets on an epoll event loop, with an async/await surface.
