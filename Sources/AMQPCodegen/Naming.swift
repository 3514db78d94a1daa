/// How spec names and types map to Swift names, types and runtime helpers.
enum Naming {
    /// Spec words whose plain camel case would read badly in Swift.
    private static let renamed = ["nowait": "noWait"]
    /// Swift keywords that must be back-quoted where they are declared.
    private static let keywords: Set<String> = ["internal", "public", "private", "default", "class", "in", "is"]

    /// "routing-key" -> "routingKey".
    static func memberName(_ specName: String) -> String {
        if let name = renamed[specName] { return name }
        let words = specName.split(separator: "-")
        guard let first = words.first else { return specName }
        // Swift spells the "id" word as an initialism: classID, messageID.
        return String(first) + words.dropFirst().map { $0 == "id" ? "ID" : $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// "start-ok" -> "StartOk".
    static func typeName(_ specName: String) -> String {
        let member = memberName(specName)
        return member.prefix(1).uppercased() + member.dropFirst()
    }

    /// `member` back-quoted when it is a keyword.
    static func escaped(_ member: String) -> String {
        keywords.contains(member) ? "`\(member)`" : member
    }

    static func structName(_ c: Spec.Class, _ m: Spec.Method) -> String {
        typeName(c.name) + typeName(m.name)
    }

    static func caseName(_ c: Spec.Class, _ m: Spec.Method) -> String {
        memberName(c.name) + typeName(m.name)
    }

    static func swiftType(_ wire: String, _ argument: String) throws -> String {
        switch wire {
        case "octet": "UInt8"
        case "short": "UInt16"
        case "long": "UInt32"
        case "longlong", "timestamp": "UInt64"
        case "bit": "Bool"
        case "shortstr": "String"
        case "longstr": "ByteBuffer"
        case "table": "FieldTable"
        default: throw CodegenError.unknownType(wire, argument: argument)
        }
    }

    /// The `ArgumentValue` case for a wire type.
    static func argumentType(_ wire: String, _ argument: String) throws -> String {
        switch wire {
        case "octet", "short", "long", "longlong", "timestamp", "bit", "shortstr", "longstr", "table": wire
        default: throw CodegenError.unknownType(wire, argument: argument)
        }
    }

    /// The ByteBuffer method that reads a value of `wire` type (see WireFormat.swift).
    static func reader(_ wire: String) -> String {
        switch wire {
        case "octet": "readOctet"
        case "short": "readShort"
        case "long": "readLong"
        case "longlong", "timestamp": "readLongLong"
        case "shortstr": "readShortString"
        case "longstr": "readLongString"
        default: "readFieldTable"
        }
    }

    /// A statement writing `value` of `wire` type.
    static func writer(_ wire: String, _ value: String, _ name: String) -> String {
        switch wire {
        case "octet", "short", "long", "longlong", "timestamp": "buffer.writeInteger(\(value))"
        case "shortstr": "try buffer.writeShortString(\(value), \"\(name)\")"
        case "longstr": "try buffer.writeLongString(\(value), \"\(name)\")"
        default: "try buffer.writeFieldTable(\(value), \"\(name)\")"
        }
    }

    static func defaultLiteral(_ wire: String, _ value: Spec.DefaultValue?, _ argument: String) throws -> String {
        switch (wire, value) {
        case ("bit", nil): return "false"
        case ("bit", .bool(let flag)): return String(flag)
        case ("octet", nil), ("short", nil), ("long", nil), ("longlong", nil), ("timestamp", nil): return "0"
        case ("octet", .int(let number)), ("short", .int(let number)), ("long", .int(let number)), ("longlong", .int(let number)):
            return String(number)
        case ("shortstr", nil), ("longstr", nil): return "\"\""
        case ("shortstr", .string(let text)), ("longstr", .string(let text)): return "\"\(text)\""
        case ("table", nil), ("table", .emptyTable): return "FieldTable()"
        default: throw CodegenError.badDefault(argument: argument)
        }
    }
}
