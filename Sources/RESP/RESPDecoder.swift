import Bytes

/// An incremental, strict RESP2 reply decoder (sans-I/O).
///
/// Feed it bytes as they arrive, in any fragmentation, and call `next()` until it returns nil:
///
///     var decoder = RESPDecoder()
///     decoder.feed(bytesFromSocket)
///     while let value = try decoder.next() { handle(value) }
///
/// Any split of the same bytes yields the same values and the same error (offsets count from the
/// start of the stream). A value is returned only once all of it has arrived; the elements of a
/// partly received array are kept between calls, so a large array arriving in many pieces is
/// still decoded in time linear in its size.
///
/// Strictness: integers, lengths and counts are canonical decimal within the Int64 range (no `+`,
/// no leading zeros, no spaces). `-0` is rejected, because it is not the canonical form of zero
/// and no server sends it; the only negative length or count is `-1` (null). Every line ends in
/// CRLF, including the one after a bulk payload. After an error the decoder is unusable: every
/// later `next()` throws the same error, because the stream position is lost.
public struct RESPDecoder: Sendable {
    /// Bounds on what the decoder accepts, so a hostile or broken peer cannot make it buffer or
    /// nest without limit.
    public struct Limits: Sendable, Hashable {
        /// Largest bulk string in bytes; Redis's own default `proto-max-bulk-len` is 512 MiB.
        public var maxBulkLength: Int
        /// Most elements in one array.
        public var maxArrayCount: Int
        /// Deepest nesting of arrays (a top-level array has depth 1).
        public var maxDepth: Int
        /// Longest simple string or error line in bytes.
        public var maxLineLength: Int

        /// Limits with the given bounds; the defaults suit replies from a Redis server.
        public init(
            maxBulkLength: Int = 512 * 1024 * 1024,
            maxArrayCount: Int = 1 << 24,
            maxDepth: Int = 1024,
            maxLineLength: Int = 64 * 1024
        ) {
            self.maxBulkLength = maxBulkLength
            self.maxArrayCount = maxArrayCount
            self.maxDepth = maxDepth
            self.maxLineLength = maxLineLength
        }
    }

    /// An array whose header has been read but not all of its elements.
    struct Frame {
        var remaining: Int
        var elements: [RESPValue]
        /// Slots reserved in `elements` for elements not yet received.
        var reserved: Int
    }

    /// What one pass over the buffered bytes produced; bytes before `consumed` are used up.
    enum Step {
        case value(RESPValue, consumed: Int)
        case incomplete(consumed: Int)
        case failed(RESPError)
    }

    /// The accepted limits.
    public let limits: Limits
    private var buffer: ByteBuffer
    /// Stream offset of `buffer.readerIndex`, for error offsets.
    private var streamOffset = 0
    private var open: [Frame] = []
    /// Sum of `reserved` over `open`. A new array reserves at most a slot per 3 bytes received and
    /// not already promised to an enclosing array, so nested headers cannot multiply the memory
    /// reserved for the same bytes.
    private var unfilledReservation = 0
    private var failure: RESPError?
    /// How far the scan for the CR of an unfinished simple string or error line got, keyed by
    /// the line's stream offset, so a long line arriving in small pieces is scanned only once.
    private var lineScan: (lineOffset: Int, scanned: Int) = (-1, 0)
    /// Tokens (type byte and what follows) the parser has started on, counting a partial token
    /// again each time more bytes arrive: the decoder's work, which must grow linearly with the
    /// input however it is fragmented. Read by tests.
    private(set) var tokensStarted = 0

    /// Bytes the decoder's buffer can hold without growing. Read by tests: it must follow the
    /// bytes fed, never a length or count read off the wire.
    var bufferCapacity: Int { buffer.capacity }

    /// Element slots reserved by the arrays still being decoded. Read by tests, like `bufferCapacity`.
    var reservedElements: Int { open.reduce(0) { $0 + $1.elements.capacity } }

    /// A decoder at the start of a stream.
    public init(limits: Limits = Limits()) {
        self.limits = limits
        buffer = ByteBuffer()
    }

    /// True when bytes of a value not yet returned are held (the stream stopped mid-value).
    public var hasPartialValue: Bool { buffer.readableBytes > 0 || !open.isEmpty }

    /// Appends received bytes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        makeRoom()
        buffer.writeBytes(bytes)
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        makeRoom()
        buffer.writeBytes(bytes)
    }

    /// Appends received bytes; when nothing is buffered the buffer is adopted without copying.
    public mutating func feed(_ bytes: ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = bytes
        } else {
            makeRoom()
            buffer.writeBuffer(bytes)
        }
    }

    /// Reuses space of consumed bytes: all of it when everything was consumed, otherwise by
    /// compaction once the consumed prefix outweighs what is left, which keeps copying linear.
    private mutating func makeRoom() {
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex >= 4096 && buffer.readerIndex >= buffer.readableBytes {
            buffer.discardReadBytes()
        }
    }

    /// The next complete top-level value, or nil when more bytes are needed.
    public mutating func next() throws(RESPError) -> RESPValue? {
        if let failure { throw failure }
        // A local copy so the pointer scan can read it while `self.open` is mutated.
        let bytes = buffer
        let step = bytes.withUnsafeReadableBytes { raw in
            parse(raw, in: bytes)
        }
        switch step {
        case .value(let value, let consumed):
            buffer.moveReaderIndex(forwardBy: consumed)
            streamOffset &+= consumed
            return value
        case .incomplete(let consumed):
            buffer.moveReaderIndex(forwardBy: consumed)
            streamOffset &+= consumed
            return nil
        case .failed(let error):
            failure = error
            throw error
        }
    }

    /// Scans tokens from the start of `raw` (the readable bytes of `bytes`) until a top-level
    /// value completes, the bytes run out, or they break a rule.
    private mutating func parse(_ raw: UnsafeRawBufferPointer, in bytes: ByteBuffer) -> Step {
        let count = raw.count
        let origin = streamOffset
        let sliceBase = bytes.readerIndex
        var position = 0
        var tokens = 0
        defer { tokensStarted &+= tokens }
        while true {
            tokens &+= 1
            let tokenStart = position
            guard position < count else { return .incomplete(consumed: tokenStart) }
            var value: RESPValue
            switch raw[position] {
            case UInt8(ascii: "$"):
                let scan = Self.scanNumber(raw, from: position &+ 1, isLength: true, limit: limits.maxBulkLength)
                let length: Int
                switch scan {
                case .done(let number, let end):
                    length = Int(number)
                    position = end
                case .incomplete: return .incomplete(consumed: tokenStart)
                case .invalid(let at): return .failed(.invalidLength(offset: origin &+ at))
                case .badLineEnding(let at): return .failed(.invalidLineEnding(offset: origin &+ at))
                case .overLimit: return .failed(.bulkTooLong(offset: origin &+ tokenStart, limit: limits.maxBulkLength))
                }
                if length < 0 {
                    value = .nullBulkString
                    break
                }
                let payloadEnd = position &+ length
                guard payloadEnd < count else { return .incomplete(consumed: tokenStart) }
                guard raw[payloadEnd] == 13 else { return .failed(.invalidLineEnding(offset: origin &+ payloadEnd)) }
                guard payloadEnd &+ 1 < count else { return .incomplete(consumed: tokenStart) }
                guard raw[payloadEnd &+ 1] == 10 else { return .failed(.invalidLineEnding(offset: origin &+ payloadEnd &+ 1)) }
                value = .bulkString(bytes.getSlice(at: sliceBase &+ position, length: length)!)
                position = payloadEnd &+ 2
            case UInt8(ascii: ":"):
                switch Self.scanNumber(raw, from: position &+ 1, isLength: false, limit: 0) {
                case .done(let number, let end):
                    value = .integer(number)
                    position = end
                case .incomplete: return .incomplete(consumed: tokenStart)
                case .invalid(let at), .overLimit(let at): return .failed(.invalidInteger(offset: origin &+ at))
                case .badLineEnding(let at): return .failed(.invalidLineEnding(offset: origin &+ at))
                }
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let contentStart = position &+ 1
                let scanEnd = min(count, contentStart &+ limits.maxLineLength &+ 1)
                let lineOffset = origin &+ tokenStart
                var index = lineScan.lineOffset == lineOffset ? contentStart &+ lineScan.scanned : contentStart
                while index < scanEnd {
                    let byte = raw[index]
                    if byte == 13 || byte == 10 { break }
                    index &+= 1
                }
                guard index &- contentStart <= limits.maxLineLength else {
                    return .failed(.lineTooLong(offset: origin &+ tokenStart, limit: limits.maxLineLength))
                }
                guard index < count else {
                    lineScan = (lineOffset, index &- contentStart)
                    return .incomplete(consumed: tokenStart)
                }
                guard raw[index] == 13 else { return .failed(.invalidLineEnding(offset: origin &+ index)) }
                guard index &+ 1 < count else { return .incomplete(consumed: tokenStart) }
                guard raw[index &+ 1] == 10 else { return .failed(.invalidLineEnding(offset: origin &+ index)) }
                let text = bytes.getSlice(at: sliceBase &+ contentStart, length: index &- contentStart)!
                value = raw[position] == UInt8(ascii: "+") ? .simpleString(text) : .error(text)
                position = index &+ 2
            case UInt8(ascii: "*"):
                let elements: Int
                switch Self.scanNumber(raw, from: position &+ 1, isLength: true, limit: limits.maxArrayCount) {
                case .done(let number, let end):
                    elements = Int(number)
                    position = end
                case .incomplete: return .incomplete(consumed: tokenStart)
                case .invalid(let at): return .failed(.invalidLength(offset: origin &+ at))
                case .badLineEnding(let at): return .failed(.invalidLineEnding(offset: origin &+ at))
                case .overLimit: return .failed(.tooManyElements(offset: origin &+ tokenStart, limit: limits.maxArrayCount))
                }
                if elements < 0 {
                    value = .nullArray
                    break
                }
                guard open.count < limits.maxDepth else {
                    return .failed(.nestingTooDeep(offset: origin &+ tokenStart, limit: limits.maxDepth))
                }
                if elements == 0 {
                    value = .array([])
                    break
                }
                // Capacity bounded by bytes actually received (every value takes at least 3), never by the count alone.
                let reserved = min(elements, max((count &- position) / 3 &- unfilledReservation, 0))
                var storage: [RESPValue] = []
                storage.reserveCapacity(reserved)
                unfilledReservation &+= reserved
                open.append(Frame(remaining: elements, elements: storage, reserved: reserved))
                continue
            case let byte:
                return .failed(.unknownType(byte: byte, offset: origin &+ position))
            }
            // Attach the finished value to the innermost open array, closing arrays it completes.
            while let last = open.indices.last {
                open[last].elements.append(value)
                if open[last].reserved > 0 {
                    open[last].reserved &-= 1
                    unfilledReservation &-= 1
                }
                open[last].remaining &-= 1
                guard open[last].remaining == 0 else { break }
                value = .array(open.removeLast().elements)
            }
            if open.isEmpty { return .value(value, consumed: position) }
        }
    }

    /// Result of reading a decimal number and its CRLF.
    enum NumberScan {
        case done(Int64, end: Int)
        case incomplete
        /// A byte that cannot continue a canonical number.
        case invalid(at: Int)
        /// A LF, or a CR not followed by LF, where the number's CRLF belongs.
        case badLineEnding(at: Int)
        /// A length or count above the limit (or an integer outside Int64) at this digit.
        case overLimit(at: Int)
    }

    /// Reads a canonical decimal number starting at `start`, followed by CRLF. A length
    /// (`isLength`) is `-1` or in `0...limit`; otherwise any Int64 but `-0`.
    @inline(__always)
    static func scanNumber(_ raw: UnsafeRawBufferPointer, from start: Int, isLength: Bool, limit: Int) -> NumberScan {
        let count = raw.count
        var index = start
        guard index < count else { return .incomplete }
        let negative = raw[index] == UInt8(ascii: "-")
        if negative {
            index &+= 1
            guard index < count else { return .incomplete }
        }
        let first = raw[index] &- 48
        guard first <= 9, !(negative && first == 0), !(isLength && negative && first != 1) else {
            return .invalid(at: index)
        }
        var magnitude = UInt64(first)
        if isLength && !negative && magnitude > UInt64(limit) { return .overLimit(at: index) }
        index &+= 1
        if first != 0 {
            // Int64.max is 9223372036854775807; the magnitude of Int64.min is one more.
            let bound: UInt64 = negative ? 9_223_372_036_854_775_808 : 9_223_372_036_854_775_807
            while index < count {
                let digit = raw[index] &- 48
                guard digit <= 9 else { break }
                if isLength && negative { return .invalid(at: index) }
                guard magnitude <= 922_337_203_685_477_580 else { return .overLimit(at: index) }
                magnitude = magnitude &* 10 &+ UInt64(digit)
                guard magnitude <= bound else { return .overLimit(at: index) }
                if isLength && magnitude > UInt64(limit) { return .overLimit(at: index) }
                index &+= 1
            }
        }
        guard index < count else { return .incomplete }
        let terminator = raw[index]
        guard terminator == 13 else {
            return terminator == 10 ? .badLineEnding(at: index) : .invalid(at: index)
        }
        guard index &+ 1 < count else { return .incomplete }
        guard raw[index &+ 1] == 10 else { return .badLineEnding(at: index) }
        let value = negative ? Int64(bitPattern: 0 &- magnitude) : Int64(bitPattern: magnitude)
        return .done(value, end: index &+ 2)
    }
}
