/// Where each command's keys are, read from the server's own `COMMAND` reply, so a cluster
/// client finds the keys of any command the server knows (modules' included) the way the
/// server does: through the key specifications of Redis 7, or the first/last/step positions of
/// older servers.
struct RedisCommandTable: Sendable {
    /// Where a key specification starts looking.
    enum Begin: Sendable, Hashable {
        /// At a fixed argument.
        case index(Int)
        /// After the first `keyword` found from `startFrom` (from the end when negative).
        case keyword(String, startFrom: Int)
    }

    /// How a key specification finds keys from where it started.
    enum Find: Sendable, Hashable {
        /// Keys up to `lastKey` (relative; negative counts from the end), `step` apart; with
        /// `limit` above 1 and `lastKey` -1, only the first 1/`limit` of the rest are keys.
        case range(lastKey: Int, step: Int, limit: Int)
        /// The number of keys is the argument at `countIndex` (relative); keys start at
        /// `firstKey` (relative), `step` apart.
        case keyCount(countIndex: Int, firstKey: Int, step: Int)
    }

    struct KeySpec: Sendable, Hashable {
        var begin: Begin
        var find: Find
    }

    /// What the table knows of one command. A class: it is looked up for every command a
    /// cluster client sends, and a reference is cheaper to hand out than its fields.
    final class Entry: Sendable {
        /// The command only reads data (it may be sent to a replica).
        let readOnly: Bool
        /// Key specifications; nil when the server gave none (before Redis 7) or one the client
        /// cannot follow.
        let specs: [KeySpec]?
        /// The legacy positions: first key, last key (negative from the end), step; 0 for none.
        let first: Int, last: Int, step: Int
        /// The keys' positions depend on the arguments.
        let movable: Bool
        /// Subcommands (`OBJECT ENCODING`, ...), by upper-case name (`OBJECT|ENCODING`).
        let subcommands: [String: Entry]
        /// The key positions when they do not depend on the arguments (`GET`: [1]), so the
        /// common commands are routed without working them out each time.
        let fixed: [Int]?

        init(readOnly: Bool, specs: [KeySpec]?, first: Int, last: Int, step: Int, movable: Bool, subcommands: [String: Entry]) {
            self.readOnly = readOnly
            self.specs = specs
            self.first = first
            self.last = last
            self.step = step
            self.movable = movable
            self.subcommands = subcommands
            fixed = RedisCommandTable.fixedPositions(specs)
        }
    }

    private var entries: [String: Entry]

    /// Reads a `COMMAND` reply; nil when it has no usable entry.
    init?(_ reply: RESPValue) {
        guard case .array(let items) = reply else { return nil }
        entries = Self.entries(items)
        if entries.isEmpty { return nil }
    }

    /// The entry of the command named `name` (upper case), or of its subcommand when it has them.
    func entry(_ name: String, subcommand: () -> String?) -> Entry? {
        guard let entry = entries[name] else { return nil }
        guard !entry.subcommands.isEmpty, let sub = subcommand(), let inner = entry.subcommands["\(name)|\(sub.uppercased())"] else { return entry }
        return inner
    }

    /// The positions of the keys among `count` arguments (the name at 0); `text` reads an
    /// argument when a specification needs one (a keyword, a key count). Nil when the entry
    /// cannot tell: the server must be asked (`COMMAND GETKEYS`).
    static func keyPositions(_ entry: Entry, count: Int, text: (Int) -> String) -> [Int]? {
        if let fixed = entry.fixed { return fixed.last.map { $0 < count } ?? true ? fixed : fixed.filter { $0 < count } }
        if let specs = entry.specs {
            var all: [Int] = []
            for spec in specs {
                guard let found = positions(spec, count: count, text: text) else { return nil }
                all += found
            }
            return all
        }
        if entry.movable { return nil }
        guard entry.first > 0 else { return [] }
        let last = entry.last < 0 ? count + entry.last : entry.last
        return Array(stride(from: entry.first, through: min(last, count - 1), by: max(entry.step, 1)))
    }

    /// The positions one specification finds, following the server's own algorithm; nil when
    /// the arguments do not fit it.
    private static func positions(_ spec: KeySpec, count: Int, text: (Int) -> String) -> [Int]? {
        var first: Int
        switch spec.begin {
        case .index(let index):
            first = index
        case .keyword(let keyword, let startFrom):
            let start = startFrom > 0 ? startFrom : count + startFrom
            let indices = startFrom > 0 ? Array(start..<count) : Array(stride(from: start, through: 1, by: -1))
            guard let found = indices.first(where: { $0 >= 1 && $0 < count && text($0).caseInsensitiveEquals(keyword) }) else {
                return []
            }
            first = found + 1
        }
        guard first < count else { return [] }
        let last: Int
        let step: Int
        switch spec.find {
        case .range(let lastKey, let keyStep, let limit):
            step = keyStep
            if lastKey >= 0 {
                last = first + lastKey
            } else if limit <= 1 {
                last = count + lastKey
            } else {
                last = first + (count - first) / limit + lastKey
            }
        case .keyCount(let countIndex, let firstKey, let keyStep):
            step = keyStep
            guard first + countIndex < count, let keys = Int(text(first + countIndex)), keys >= 0 else { return nil }
            first += firstKey
            last = first + keys - 1
        }
        guard step > 0, last < count else { return nil }
        return first <= last ? Array(stride(from: first, through: last, by: step)) : []
    }

    private static func entries(_ items: [RESPValue]) -> [String: Entry] {
        var entries: [String: Entry] = [:]
        for item in items {
            guard case .array(let fields) = item, fields.count >= 6, let name = fields[0].string,
                  case .array(let flags) = fields[2],
                  case .integer(let first) = fields[3], case .integer(let last) = fields[4], case .integer(let step) = fields[5]
            else { continue }
            let flagNames = Set(flags.compactMap(\.string))
            var specs: [KeySpec]? = nil
            if fields.count > 8, case .array(let specItems) = fields[8] {
                specs = keySpecs(specItems)
            }
            var subcommands: [String: Entry] = [:]
            if fields.count > 9, case .array(let subItems) = fields[9] {
                subcommands = Self.entries(subItems)
            }
            entries[name.uppercased()] = Entry(
                readOnly: flagNames.contains("readonly"), specs: specs,
                first: Int(first), last: Int(last), step: Int(step),
                movable: flagNames.contains("movablekeys"), subcommands: subcommands
            )
        }
        return entries
    }

    /// The key positions of an entry with `specs` when every specification starts at a fixed
    /// index and ends at a fixed distance from it.
    private static func fixedPositions(_ specs: [KeySpec]?) -> [Int]? {
        guard let specs else { return nil }
        var positions: [Int] = []
        for spec in specs {
            guard case .index(let first) = spec.begin, case .range(let lastKey, let step, _) = spec.find, lastKey >= 0, step > 0 else { return nil }
            positions += stride(from: first, through: first + lastKey, by: step)
        }
        return positions
    }

    /// The specifications in a `COMMAND` entry; nil when one is of a kind the client cannot follow.
    private static func keySpecs(_ items: [RESPValue]) -> [KeySpec]? {
        var specs: [KeySpec] = []
        for item in items {
            let fields = item.fields
            let beginSpec = fields["begin_search"]?.fields["spec"]?.fields ?? [:]
            let findSpec = fields["find_keys"]?.fields["spec"]?.fields ?? [:]
            let beginType = fields["begin_search"]?.fields["type"]?.string
            let findType = fields["find_keys"]?.fields["type"]?.string
            let begin: Begin
            switch beginType {
            case "index":
                guard let index = beginSpec["index"]?.int else { return nil }
                begin = .index(index)
            case "keyword":
                guard let keyword = beginSpec["keyword"]?.string, let startFrom = beginSpec["startfrom"]?.int else { return nil }
                begin = .keyword(keyword, startFrom: startFrom)
            default:
                return nil
            }
            let find: Find
            switch findType {
            case "range":
                guard let lastKey = findSpec["lastkey"]?.int, let step = findSpec["keystep"]?.int, let limit = findSpec["limit"]?.int else { return nil }
                find = .range(lastKey: lastKey, step: step, limit: limit)
            case "keynum":
                guard let countIndex = findSpec["keynumidx"]?.int, let firstKey = findSpec["firstkey"]?.int, let step = findSpec["keystep"]?.int else { return nil }
                find = .keyCount(countIndex: countIndex, firstKey: firstKey, step: step)
            default:
                return nil
            }
            specs.append(KeySpec(begin: begin, find: find))
        }
        return specs
    }
}

extension String {
    /// ASCII case-insensitive equality, as the server compares keywords.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= UInt8(ascii: "a") && (a | 0x20) <= UInt8(ascii: "z"))
        }
    }
}
