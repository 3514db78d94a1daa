import HTTPCodec

/// Outcome of scanning a request line.
enum RequestLineScan {
    case needMore
    /// An empty line before the request line, this many bytes long.
    case skip(Int)
    /// The request line ended; field lines follow from `searchFrom`.
    case complete
    case failed(HTTPParserError)
}

extension HTTPRequestParser {
    /// Judges the bytes of `method SP request-target SP HTTP-version CRLF` from `searchFrom` on.
    ///
    /// The target is origin-form (`/...`), absolute-form (`scheme:...`), or `*` for OPTIONS;
    /// CONNECT's authority-form is not implemented. Only HTTP/1.0 and HTTP/1.1 are accepted:
    /// another version is refused (505) at its first digit that differs.
    mutating func scanRequestLine(_ p: UnsafePointer<UInt8>, count: Int) -> RequestLineScan {
        let table = byteClasses
        let end = min(count, limits.maxRequestLineLength)
        if headPhase == .requestLineStart, searchFrom == 0, let next = commonRequestLine(p, end: end) {
            headPhase = .lineStart
            lineStart = next
            searchFrom = next
            return .complete
        }
        var phase = headPhase
        var i = searchFrom
        scan: while i < end {
            let c = p[i]
            switch phase {
            case .requestLineStart:
                if c == .cr {
                    phase = .leadingLineFeed
                    i &+= 1
                    continue scan
                }
                if c == .lf { return .failed(error(.bareLineFeed, at: i)) }
                guard table[Int(c)] & HTTPByteClass.token != 0 else { return .failed(error(.invalidMethod, at: i)) }
                phase = .method
            case .leadingLineFeed:
                guard c == .lf else { return .failed(error(.bareCarriageReturn, at: i)) }
                return .skip(i + 1)
            case .method:
                while i < end && table[Int(p[i])] & HTTPByteClass.token != 0 { i &+= 1 }
                guard i < end else { break scan }
                let c = p[i]
                guard c == .space else { return .failed(error(c == .cr ? .invalidRequestLine : .invalidMethod, at: i)) }
                head.methodLength = i
                head.targetStart = i + 1
                phase = .targetStart
                i &+= 1
            case .targetStart:
                if c == UInt8(ascii: "/") {
                    phase = .target
                } else if c == .space || c == .cr {
                    return .failed(error(.invalidRequestLine, at: i))
                } else if method(p, is: "CONNECT") {
                    return .failed(error(.connectNotSupported, at: i))
                } else if c == UInt8(ascii: "*") {
                    guard method(p, is: "OPTIONS") else { return .failed(error(.invalidTarget, at: i)) }
                    phase = .asterisk
                } else if (c | 0x20) &- UInt8(ascii: "a") < 26 {
                    phase = .scheme
                } else {
                    return .failed(error(.invalidTarget, at: i))
                }
                i &+= 1
            case .target:
                while i < end && table[Int(p[i])] & HTTPByteClass.target != 0 { i &+= 1 }
                guard i < end else { break scan }
                guard let next = targetEnd(p[i], at: i) else { return .failed(error(p[i] == .cr ? .invalidRequestLine : .invalidTarget, at: i)) }
                phase = next
                i &+= 1
            case .scheme:
                // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed by ":".
                let schemeByte = (c | 0x20) &- UInt8(ascii: "a") < 26 || c &- 0x30 < 10
                    || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
                if c == .colon {
                    phase = .schemeColon
                } else if !schemeByte {
                    return .failed(error(.invalidTarget, at: i))
                }
                i &+= 1
            case .schemeColon:
                guard table[Int(c)] & HTTPByteClass.target != 0 else { return .failed(error(.invalidTarget, at: i)) }
                phase = .target
                i &+= 1
            case .asterisk:
                guard let next = targetEnd(c, at: i) else { return .failed(error(c == .cr ? .invalidRequestLine : .invalidTarget, at: i)) }
                phase = next
                i &+= 1
            case .version:
                if let failure = versionByte(c, at: i) { return .failed(failure) }
                head.versionIndex &+= 1
                if head.versionIndex == 8 { phase = .requestLineCarriageReturn }
                i &+= 1
            case .requestLineCarriageReturn:
                guard c == .cr else { return .failed(error(c == .lf ? .bareLineFeed : .invalidVersion, at: i)) }
                phase = .requestLineLineFeed
                i &+= 1
            case .requestLineLineFeed:
                guard c == .lf else { return .failed(error(.bareCarriageReturn, at: i)) }
                headPhase = .lineStart
                lineStart = i + 1
                searchFrom = i + 1
                return .complete
            default:
                preconditionFailure("request line scanned in phase \(phase)")
            }
        }
        if end < count { return .failed(error(.requestLineTooLong, at: end)) }
        headPhase = phase
        searchFrom = i
        return .needMore
    }

    /// The usual request line, `METHOD /origin-form HTTP/1.x CRLF` whole in `p[0..<end]`, read
    /// without judging byte by byte: returns the index after its LF, or nil for any other line,
    /// which `scanRequestLine` then reads from its start.
    @inline(__always)
    private mutating func commonRequestLine(_ p: UnsafePointer<UInt8>, end: Int) -> Int? {
        let table = byteClasses
        var i = 0
        while i < end && table[Int(p[i])] & HTTPByteClass.token != 0 { i &+= 1 }
        guard i > 0, i &+ 1 < end, p[i] == .space, p[i &+ 1] == UInt8(ascii: "/") else { return nil }
        let methodLength = i
        i &+= 1
        let targetStart = i
        while i < end && table[Int(p[i])] & HTTPByteClass.target != 0 { i &+= 1 }
        // SP, `HTTP/1.x` as one little-endian word, CR, LF.
        guard i &+ 11 <= end, p[i] == .space, p[i &+ 9] == .cr, p[i &+ 10] == .lf else { return nil }
        let version = UnsafeRawPointer(p).loadUnaligned(fromByteOffset: i &+ 1, as: UInt64.self)
        switch version {
        case 0x312E_312F_5054_5448: head.version = .http1_1
        case 0x302E_312F_5054_5448: head.version = .http1_0
        default: return nil
        }
        head.methodLength = methodLength
        head.targetStart = targetStart
        head.targetLength = i - targetStart
        return i &+ 11
    }

    /// The phase after a byte that does not continue a target: the version after SP, else nil.
    @inline(__always)
    private mutating func targetEnd(_ c: UInt8, at i: Int) -> HeadPhase? {
        guard c == .space else { return nil }
        head.targetLength = i - head.targetStart
        head.versionIndex = 0
        return .version
    }

    /// Judges byte `head.versionIndex` of `HTTP/D.D`: nil when it may stand there.
    @inline(__always)
    private mutating func versionByte(_ c: UInt8, at i: Int) -> HTTPParserError? {
        let index = head.versionIndex
        switch index {
        case 0..<5:
            return c == Self.versionPrefix[index] ? nil : error(.invalidVersion, at: i)
        case 5, 7:
            // The digits: major 1, minor 0 or 1. Another digit is a version we do not speak.
            guard c &- 0x30 < 10 else { return error(.invalidVersion, at: i) }
            let allowed = index == 5 ? c == UInt8(ascii: "1") : c == UInt8(ascii: "0") || c == UInt8(ascii: "1")
            guard allowed else { return error(.unsupportedVersion, at: i) }
            if index == 7 { head.version = c == UInt8(ascii: "0") ? .http1_0 : .http1_1 }
            return nil
        default:
            return c == UInt8(ascii: ".") ? nil : error(.invalidVersion, at: i)
        }
    }

    private static let versionPrefix: [UInt8] = Array("HTTP/".utf8)

    /// Whether the method, at the start of the buffered bytes, is `name`.
    private func method(_ p: UnsafePointer<UInt8>, is name: StaticString) -> Bool {
        guard head.methodLength == name.utf8CodeUnitCount else { return false }
        let q = name.utf8Start
        for k in 0..<head.methodLength where p[k] != q[k] { return false }
        return true
    }
}
