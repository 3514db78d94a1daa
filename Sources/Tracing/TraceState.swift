/// The `tracestate` of W3C Trace Context level 1: up to 32 vendor entries (`key=value`), most
/// recently updated first, carried along a trace unchanged by systems that do not own them.
///
/// Parsing is all or nothing: an entry with an invalid key or value, a duplicate key or more
/// than 32 entries make the whole header ignored (as the specification's test suite expects),
/// while empty entries and whitespace around entries are allowed.
public struct TraceState: Sendable, Hashable {
    /// One `key=value` entry.
    public struct Entry: Sendable, Hashable {
        public let key: String
        public let value: String
    }

    /// The entries, leftmost (most recently updated) first.
    public private(set) var entries: [Entry]

    /// No entries. Holds no storage, so an unsampled span carrying it costs nothing.
    public init() {
        entries = []
    }

    /// The most entries a `tracestate` may have.
    public static let maxEntries = 32
    /// The length a formatted header is kept within (the specification's minimum to propagate).
    public static let maxHeaderLength = 512

    /// Parses the values of the `tracestate` fields of a message, combined in order as one
    /// comma-separated list; nil when the combined value is malformed.
    public init?(headerValues: some Sequence<some StringProtocol>) {
        var entries: [Entry] = []
        for value in headerValues {
            for member in String(value).split(separator: ",", omittingEmptySubsequences: false) {
                let entry: Entry
                switch Self.parseMember(member) {
                case .entry(let parsed): entry = parsed
                case .empty: continue
                case .malformed: return nil
                }
                guard entries.count < Self.maxEntries, !entries.contains(where: { $0.key == entry.key }) else { return nil }
                entries.append(entry)
            }
        }
        self.entries = entries
    }

    /// Parses one `tracestate` field value.
    public init?(headerValue: some StringProtocol) {
        self.init(headerValues: CollectionOfOne(headerValue))
    }

    /// Whether there are no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// The value for `key`, or nil.
    public subscript(key: String) -> String? {
        entries.first { $0.key == key }?.value
    }

    /// This state with `key` set to `value` and moved to the front (as a system does with its
    /// own entry when it updates `traceparent`); the rightmost entry is dropped beyond 32.
    /// Nil when `key` or `value` is not valid.
    public func setting(_ key: String, to value: String) -> TraceState? {
        guard Self.isValidKey(Substring(key)), Self.isValidValue(Substring(value)) else { return nil }
        var copy = self
        copy.entries.removeAll { $0.key == key }
        copy.entries.insert(Entry(key: key, value: value), at: 0)
        if copy.entries.count > Self.maxEntries { copy.entries.removeLast() }
        return copy
    }

    /// This state without the entry for `key`.
    public func removing(_ key: String) -> TraceState {
        var copy = self
        copy.entries.removeAll { $0.key == key }
        return copy
    }

    /// The header value, at most 512 characters: when longer, entries over 128 characters go
    /// first, then entries from the right, as the specification's truncation rule says.
    /// Nil when there are no entries (an empty `tracestate` should not be sent).
    public var headerValue: String? {
        guard !entries.isEmpty else { return nil }
        var kept = entries
        func length(_ entries: [Entry]) -> Int {
            entries.reduce(entries.count - 1) { $0 + $1.key.utf8.count + 1 + $1.value.utf8.count }
        }
        if length(kept) > Self.maxHeaderLength {
            kept.removeAll { $0.key.utf8.count + 1 + $0.value.utf8.count > 128 }
            while !kept.isEmpty && length(kept) > Self.maxHeaderLength { kept.removeLast() }
        }
        guard !kept.isEmpty else { return nil }
        return kept.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    private enum Member {
        case entry(Entry)
        /// Nothing or only whitespace between two commas.
        case empty
        case malformed
    }

    private static func parseMember(_ member: Substring) -> Member {
        let trimmed = member.trimmingOWS()
        if trimmed.isEmpty { return .empty }
        guard let equals = trimmed.firstIndex(of: "=") else { return .malformed }
        let key = trimmed[..<equals]
        let value = trimmed[trimmed.index(after: equals)...]
        guard isValidKey(key), isValidValue(value) else { return .malformed }
        return .entry(Entry(key: String(key), value: String(value)))
    }

    /// `simple-key = lcalpha 0*255(keychar)` or `multi-tenant-key = tenant-id "@" system-id`,
    /// `tenant-id = (lcalpha / DIGIT) 0*240(keychar)`, `system-id = lcalpha 0*13(keychar)`, where
    /// keychar is a lowercase letter, a digit, `_`, `-`, `*` or `/`.
    static func isValidKey(_ key: Substring) -> Bool {
        let utf8 = key.utf8
        if let at = utf8.firstIndex(of: UInt8(ascii: "@")) {
            let tenant = utf8[..<at]
            let system = utf8[utf8.index(after: at)...]
            guard let tenantFirst = tenant.first, let systemFirst = system.first else { return false }
            return (isLowercaseLetter(tenantFirst) || isDigit(tenantFirst)) && tenant.count <= 241
                && tenant.dropFirst().allSatisfy(isKeyCharacter)
                && isLowercaseLetter(systemFirst) && system.count <= 14
                && system.dropFirst().allSatisfy(isKeyCharacter)
        }
        guard let first = utf8.first else { return false }
        return isLowercaseLetter(first) && utf8.count <= 256 && utf8.dropFirst().allSatisfy(isKeyCharacter)
    }

    /// `value = 0*255(chr) nblk-chr`: printable ASCII but `,` and `=`, at most 256 characters,
    /// not ending in a space.
    static func isValidValue(_ value: Substring) -> Bool {
        let utf8 = value.utf8
        guard let last = utf8.last, last != UInt8(ascii: " "), utf8.count <= 256 else { return false }
        return utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "=") }
    }

    private static func isLowercaseLetter(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isKeyCharacter(_ byte: UInt8) -> Bool {
        isLowercaseLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "/")
    }
}

extension StringProtocol {
    /// Without the spaces and horizontal tabs (HTTP's optional whitespace) at either end.
    func trimmingOWS() -> SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start, self[index(before: end)] == " " || self[index(before: end)] == "\t" { end = index(before: end) }
        return self[start..<end]
    }
}
