/// Where the slot map sends commands: the slot of their keys, found by the command table
/// without suspending.
///
/// A cluster client routes every command it sends, so this is on the hot path: it remembers the
/// last command's table entry, because the commands of a pipeline mostly share their name.
struct RedisClusterRouter {
    /// Where one command goes.
    enum Placement {
        /// To the node of `slot`, or to any master when the command has no keys.
        case slot(Int?, readOnly: Bool)
        /// Its keys lie in more than one slot.
        case crossSlot
        /// The table cannot place its keys: the server must be asked (`COMMAND GETKEYS`).
        case askServer(readOnly: Bool)
    }

    private let table: RedisCommandTable
    /// The name the last command was sent with (as sent), its upper-case form and its entry;
    /// an entry with subcommands is not remembered, since its subcommand decides.
    private var lastName = ""
    private var lastUpperCased = ""
    private var lastEntry: RedisCommandTable.Entry?

    init(_ table: RedisCommandTable) {
        self.table = table
    }

    /// The placement of `arguments` (name first, not empty) and the command's upper-case name.
    mutating func place(_ arguments: [any RESPArgument]) -> (name: String, placement: Placement) {
        let sent = RedisArgumentBytes.text(arguments[0])
        let entry: RedisCommandTable.Entry?
        let name: String
        if let lastEntry, sent == lastName {
            entry = lastEntry
            name = lastUpperCased
        } else {
            name = RedisArgumentBytes.upperCased(sent)
            entry = table.entry(name) { arguments.count > 1 ? RedisArgumentBytes.text(arguments[1]) : nil }
            if let entry, entry.subcommands.isEmpty {
                lastName = sent
                lastUpperCased = name
                lastEntry = entry
            }
        }
        // A command the server does not know has no keys it could route by.
        guard let entry else { return (name, .slot(nil, readOnly: false)) }
        guard let positions = RedisCommandTable.keyPositions(entry, count: arguments.count, text: { RedisArgumentBytes.text(arguments[$0]) }) else {
            return (name, .askServer(readOnly: entry.readOnly))
        }
        return (name, Self.placement(positions.lazy.map { arguments[$0] }, readOnly: entry.readOnly))
    }

    /// The placement of a command whose keys are `keys`.
    static func placement<Keys: Sequence>(_ keys: Keys, readOnly: Bool) -> Placement where Keys.Element == any RESPArgument {
        var slot: Int?
        for key in keys {
            let keySlot = RedisArgumentBytes.with(key, RedisHashSlot.slot(of:))
            if let slot, slot != keySlot { return .crossSlot }
            slot = keySlot
        }
        return .slot(slot, readOnly: readOnly)
    }
}
