import RESP

/// Fuzzes `RESPDecoder` with small limits, so generated inputs can exceed every one of them.
public struct RESPFuzzTarget: FuzzTarget {
    public let name = "resp"
    public let seeds: [[UInt8]]
    public let isTextual = true
    public let limits = RESPDecoder.Limits(maxBulkLength: 4096, maxArrayCount: 64, maxDepth: 8, maxLineLength: 512)

    public init(seeds: [[UInt8]]) {
        self.seeds = seeds
    }

    public func generate(using rng: inout SplitMix64, maxBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<rng.int(1...3) where bytes.count < maxBytes {
            appendValue(&bytes, depth: 1, until: maxBytes, using: &rng)
        }
        return bytes
    }

    /// Appends one value, keeping the input near `end` bytes (arrays stop adding elements there).
    private func appendValue(_ bytes: inout [UInt8], depth: Int, until end: Int, using rng: inout SplitMix64) {
        let room = max(end - bytes.count, 0)
        switch rng.int(0...9) {
        case 0:
            bytes += Array("+".utf8) + text(rng.size(upTo: min(room, limits.maxLineLength)), using: &rng) + [13, 10]
        case 1:
            bytes += Array("-ERR ".utf8) + text(rng.size(upTo: min(room, 64)), using: &rng) + [13, 10]
        case 2:
            let number = rng.chance(30) ? rng.pick([Int64.min, Int64.max, 0, -1, 1]) : Int64.random(in: -1_000_000...1_000_000, using: &rng)
            bytes += Array(":\(number)\r\n".utf8)
        case 3, 4, 5:
            let length = rng.size(upTo: min(room, limits.maxBulkLength))
            bytes += Array("$\(length)\r\n".utf8) + rng.bytes(length) + [13, 10]
        case 6:
            bytes += Array(rng.chance(50) ? "$-1\r\n".utf8 : "*-1\r\n".utf8)
        default:
            guard depth < limits.maxDepth else {
                bytes += Array(":\(depth)\r\n".utf8)
                return
            }
            let count = rng.size(upTo: min(limits.maxArrayCount, room / 4))
            bytes += Array("*\(count)\r\n".utf8)
            for _ in 0..<count {
                // Past the end, elements shrink to the smallest value, so the array stays valid.
                if bytes.count >= end {
                    bytes += Array(":0\r\n".utf8)
                } else {
                    appendValue(&bytes, depth: depth + 1, until: end, using: &rng)
                }
            }
        }
    }

    /// Line text: any byte but CR and LF.
    private func text(_ count: Int, using rng: inout SplitMix64) -> [UInt8] {
        rng.bytes(count).map { $0 == 13 || $0 == 10 ? UInt8(ascii: "x") : $0 }
    }

    public func probe(using rng: inout SplitMix64) -> (input: [UInt8], expectedError: String) {
        // A valid value first, so limits are also checked mid-stream.
        var prefix: [UInt8] = rng.chance(50) ? Array("+OK\r\n".utf8) : []
        switch rng.int(0...3) {
        case 0:
            let length = rng.pick([limits.maxBulkLength + 1, limits.maxBulkLength * 2, Int(Int32.max), Int.max])
            prefix += Array("$\(length)\r\n".utf8)
            return (prefix, "bulkTooLong")
        case 1:
            let count = rng.pick([limits.maxArrayCount + 1, 1 << 40, Int.max])
            prefix += Array("*\(count)\r\n".utf8)
            return (prefix, "tooManyElements")
        case 2:
            prefix += Array(String(repeating: "*1\r\n", count: limits.maxDepth + rng.int(1...4)).utf8) + Array(":1\r\n".utf8)
            return (prefix, "nestingTooDeep")
        default:
            prefix += [UInt8(ascii: rng.chance(50) ? "+" : "-")] + [UInt8](repeating: 97, count: limits.maxLineLength + rng.int(1...100))
            if rng.chance(50) { prefix += [13, 10] }
            return (prefix, "lineTooLong")
        }
    }

    public func decode(_ chunks: [ArraySlice<UInt8>], asBuffers: Bool) -> DecodeOutcome<RESPValue> {
        var decoder = RESPDecoder(limits: limits)
        var outcome = DecodeOutcome<RESPValue>()
        for chunk in chunks {
            if asBuffers {
                decoder.feed(chunk.offsetBuffer)
            } else {
                decoder.feed(chunk)
            }
            do {
                while let value = try decoder.next() {
                    if let problem = check(value, depth: 1) { outcome.violation = problem }
                    outcome.values.append(value)
                }
            } catch {
                outcome.fail(error, kind: error.code.description, offset: error.offset) {
                    decoder.feed(Array("+OK\r\n".utf8))
                    do throws(RESPError) { _ = try decoder.next() } catch { return error }
                    return nil
                }
                return outcome
            }
        }
        outcome.partial = decoder.hasPartialValue
        return outcome
    }

    /// A limit the decoder should have refused, if `value` breaks one.
    private func check(_ value: RESPValue, depth: Int) -> String? {
        switch value {
        case .bulkString(let bytes) where bytes.readableBytes > limits.maxBulkLength:
            return "bulk string of \(bytes.readableBytes) bytes passed the \(limits.maxBulkLength) limit"
        case .simpleString(let bytes) where bytes.readableBytes > limits.maxLineLength,
             .error(let bytes) where bytes.readableBytes > limits.maxLineLength:
            return "line of \(bytes.readableBytes) bytes passed the \(limits.maxLineLength) limit"
        case .array(let elements):
            if elements.count > limits.maxArrayCount { return "array of \(elements.count) passed the limit" }
            if depth > limits.maxDepth { return "array at depth \(depth) passed the \(limits.maxDepth) limit" }
            for element in elements {
                if let problem = check(element, depth: depth + 1) { return problem }
            }
            return nil
        default:
            return nil
        }
    }
}
