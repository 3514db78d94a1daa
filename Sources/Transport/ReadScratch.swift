#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Space of the current thread that a read without room in its buffer receives into, before the
/// bytes are copied into a buffer of their size.
///
/// Without it such a read (a new request on a keep-alive connection, a batch of Redis replies)
/// would first grow its buffer to a full read's size, 16 KiB, for what is mostly a few hundred
/// bytes: a large allocation and free per read, and buffers far larger than their contents
/// where they are kept. The space is per thread because a receive and the copy that follows it
/// run on one thread with no suspension between them; it is allocated on a thread's first use
/// and freed when the thread ends.
enum ReadScratch {
    /// Bytes of scratch space per thread: the most one read receives through it.
    static let size = 65536

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { free($0) }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    /// Runs `body` with the calling thread's scratch space.
    static func withSpace<Result>(_ body: (UnsafeMutableRawBufferPointer) throws -> Result) rethrows -> Result {
        var space = pthread_getspecific(key)
        if space == nil {
            guard let allocated = malloc(size) else { fatalError("out of memory for a \(size)-byte read scratch") }
            pthread_setspecific(key, allocated)
            space = allocated
        }
        return try body(UnsafeMutableRawBufferPointer(start: space, count: size))
    }
}
