import AMQP091
import AMQP091Reflection
import Bytes
import Foundation

/// `amqp`: decodes `{"id","hex"}` frame streams to JSON frames.
/// `amqp-encode`: encodes `{"id","frames"}` back to `{"id","hex"}`.
///
/// Values use spec names; field-table values are `{"t": type letter, "v": value}`. Short and long
/// strings that are not UTF-8 are `{"hex": ...}` both ways. Tables are encoded in sorted key
/// order, since JSON objects carry no order.
///
/// Frames are decoded and encoded through the typed codec the client uses; only frames with a
/// short string that is not UTF-8, which that codec refuses, go through `ReflectedFrame`.
enum AMQPConformance {
    static func decode(arguments: [String]) throws(ConformanceFailure) -> [[String: Any]] {
        var results: [[String: Any]] = []
        guard let path = arguments.first else { throw .usage("amqp FILE [--feed whole|bytewise]") }
        let feed = try FeedMode(arguments: arguments)
        for (line, object) in try VectorIO.objects(inFile: path) {
            let bytes = try VectorIO.hexField(object, line: line)
            var result: [String: Any] = ["id": object["id"] ?? NSNull()]
            var decoder = FrameDecoder()
            var frames: [Any] = []
            do {
                for chunk in feed.chunks(of: bytes) {
                    decoder.append(contentsOf: chunk)
                    while let frame = try decoder.nextReflected() { frames.append(json(frame)) }
                }
                result["end"] = decoder.bufferedBytes > 0 ? "incomplete" : "complete"
            } catch {
                result["end"] = "error"
                result["message"] = error.description
            }
            result["frames"] = frames
            results.append(result)
        }
        return results
    }

    static func encode(arguments: [String]) throws(ConformanceFailure) -> [[String: Any]] {
        var results: [[String: Any]] = []
        guard let path = arguments.first else { throw .usage("amqp-encode FILE") }
        for (line, object) in try VectorIO.objects(inFile: path) {
            guard let frames = object["frames"] as? [[String: Any]] else { throw .input(line: line, "'frames' must be an array of objects") }
            var buffer = ByteBuffer()
            do {
                for frame in frames { try encode(try parseFrame(frame), into: &buffer) }
                results.append(["id": object["id"] ?? NSNull(), "hex": Hex.encode(buffer.readableBytesView)])
            } catch let error as AMQPError {
                results.append(["id": object["id"] ?? NSNull(), "end": "error", "message": error.description])
            } catch {
                throw .input(line: line, "\(error)")
            }
        }
        return results
    }

    // MARK: Frames to JSON

    static func json(_ frame: ReflectedFrame) -> [String: Any] {
        switch frame {
        case .method(let channel, let descriptor, let values):
            var args: [String: Any] = [:]
            for (argument, value) in zip(descriptor.arguments, values) { args[argument.name] = json(value) }
            return ["type": "method", "channel": channel, "class": descriptor.className, "method": descriptor.methodName, "args": args]
        case .header(let channel, let classID, let bodySize, let values):
            var properties: [String: Any] = [:]
            for (name, value) in values { properties[name] = json(value) }
            return ["type": "header", "channel": channel, "class_id": classID, "body_size": NSNumber(value: bodySize), "properties": properties]
        case .body(let channel, let body):
            return ["type": "body", "channel": channel, "hex": Hex.encode(body.readableBytesView)]
        case .heartbeat:
            return ["type": "heartbeat", "channel": 0]
        }
    }

    static func json(_ value: ArgumentValue) -> Any {
        switch value {
        case .octet(let number): NSNumber(value: number)
        case .short(let number): NSNumber(value: number)
        case .long(let number): NSNumber(value: number)
        case .longlong(let number), .timestamp(let number): NSNumber(value: number)
        case .bit(let flag): flag
        case .shortstr(let text): text
        case .binaryShortstr(let bytes): text(bytes)
        case .longstr(let bytes): text(bytes)
        case .table(let table): json(table)
        }
    }

    static func json(_ table: FieldTable) -> [String: Any] {
        var object: [String: Any] = [:]
        for entry in table.entries { object[entry.key] = json(entry.value) }
        return object
    }

    static func json(_ value: FieldValue) -> [String: Any] {
        let letter = String(UnicodeScalar(value.typeCode))
        let v: Any? =
            switch value {
            case .bool(let flag): flag
            case .int8(let number): NSNumber(value: number)
            case .uint8(let number): NSNumber(value: number)
            case .int16(let number): NSNumber(value: number)
            case .uint16(let number): NSNumber(value: number)
            case .int32(let number): NSNumber(value: number)
            case .uint32(let number): NSNumber(value: number)
            case .int64(let number): NSNumber(value: number)
            case .float(let number): NSNumber(value: number)
            case .double(let number): NSNumber(value: number)
            case .decimal(let scale, let number): ["scale": NSNumber(value: scale), "value": NSNumber(value: number)]
            case .longString(let bytes): text(bytes)
            case .bytes(let bytes): Hex.encode(bytes.readableBytesView)
            case .array(let values): values.map(json)
            case .timestamp(let seconds): NSNumber(value: seconds)
            case .table(let table): json(table)
            case .void: nil
            }
        guard let v else { return ["t": letter] }
        return ["t": letter, "v": v]
    }

    /// Bytes as a JSON string when they are UTF-8, else as `{"hex": ...}`.
    static func text(_ bytes: ByteBuffer) -> Any {
        let array = Array(bytes.readableBytesView)
        if let string = String(validating: array, as: UTF8.self) { return string }
        return ["hex": Hex.encode(array)]
    }

    // MARK: JSON to frames

    struct BadFrame: Error, CustomStringConvertible {
        let description: String
    }

    /// Encodes through the typed codec when the values fit it, else as a `ReflectedFrame`.
    static func encode(_ frame: ReflectedFrame, into buffer: inout ByteBuffer) throws {
        switch frame {
        case .method(let channel, let descriptor, let values):
            if let method = descriptor.make(values) { return try FrameEncoder().encode(.method(channel: channel, method), into: &buffer) }
        case .header(let channel, _, let bodySize, let values):
            var properties = BasicProperties()
            if values.allSatisfy({ properties.setProperty($0.name, to: $0.value) }) {
                return try FrameEncoder().encode(.header(channel: channel, ContentHeader(bodySize: bodySize, properties: properties)), into: &buffer)
            }
        case .body, .heartbeat:
            break
        }
        try FrameEncoder().encode(frame, into: &buffer)
    }

    static func parseFrame(_ object: [String: Any]) throws -> ReflectedFrame {
        let channel = try integer(object["channel"] ?? 0, "channel", as: UInt16.self)
        switch object["type"] as? String {
        case "method":
            let className = object["class"] as? String
            let methodName = object["method"] as? String
            guard let descriptor = AMQPMethod.descriptors.first(where: { $0.className == className && $0.methodName == methodName }) else {
                throw BadFrame(description: "unknown method \(className ?? "?").\(methodName ?? "?")")
            }
            let args = object["args"] as? [String: Any] ?? [:]
            let values = try descriptor.arguments.map { argument in
                guard let value = args[argument.name] else { throw BadFrame(description: "missing argument \(argument.name)") }
                return try argumentValue(value, argument.type, argument.name)
            }
            return .method(channel: channel, descriptor, values)
        case "header":
            var properties: [(name: String, value: ArgumentValue)] = []
            for (name, value) in object["properties"] as? [String: Any] ?? [:] {
                guard let type = BasicProperties.descriptors.first(where: { $0.name == name })?.type else {
                    throw BadFrame(description: "unknown property \(name)")
                }
                properties.append((name, try argumentValue(value, type, name)))
            }
            let bodySize = try integer(object["body_size"] ?? 0, "body_size", as: UInt64.self)
            return .header(channel: channel, classID: BasicProperties.classID, bodySize: bodySize, properties: properties)
        case "body":
            guard let text = object["hex"] as? String, let bytes = Hex.decode(text) else { throw BadFrame(description: "body needs hex") }
            return .body(channel: channel, ByteBuffer(bytes: bytes))
        case "heartbeat":
            return .heartbeat
        default:
            throw BadFrame(description: "unknown frame type \(object["type"] ?? "nil")")
        }
    }

    static func argumentValue(_ value: Any, _ type: ArgumentType, _ name: String) throws -> ArgumentValue {
        switch type {
        case .octet: return .octet(try integer(value, name))
        case .short: return .short(try integer(value, name))
        case .long: return .long(try integer(value, name))
        case .longlong: return .longlong(try integer(value, name))
        case .timestamp: return .timestamp(try integer(value, name))
        case .bit:
            return .bit(try boolean(value, name))
        case .shortstr:
            let bytes = try bytes(value, name)
            guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else { return .binaryShortstr(bytes) }
            return .shortstr(text)
        case .longstr: return .longstr(try bytes(value, name))
        case .table: return .table(try table(value, name))
        }
    }

    static func table(_ value: Any, _ name: String) throws -> FieldTable {
        guard let object = value as? [String: Any] else { throw BadFrame(description: "\(name) must be an object") }
        return FieldTable(try object.keys.sorted().map { key in (key, try fieldValue(object[key]!, "\(name).\(key)")) })
    }

    static func fieldValue(_ value: Any, _ name: String) throws -> FieldValue {
        guard let object = value as? [String: Any], let letter = object["t"] as? String else {
            throw BadFrame(description: "\(name) must be {\"t\", \"v\"}")
        }
        let v = object["v"] ?? NSNull()
        switch letter {
        case "t":
            return .bool(try boolean(v, name))
        case "b": return .int8(try integer(v, name, as: Int8.self))
        case "B": return .uint8(try integer(v, name, as: UInt8.self))
        case "s": return .int16(try integer(v, name, as: Int16.self))
        case "u": return .uint16(try integer(v, name, as: UInt16.self))
        case "I": return .int32(try integer(v, name, as: Int32.self))
        case "i": return .uint32(try integer(v, name, as: UInt32.self))
        case "l": return .int64(try integer(v, name, as: Int64.self))
        case "f": return .float(Float(try number(v, name)))
        case "d": return .double(try number(v, name))
        case "D":
            guard let decimal = v as? [String: Any] else { throw BadFrame(description: "\(name) must be {scale, value}") }
            return .decimal(scale: try integer(decimal["scale"] ?? NSNull(), name, as: UInt8.self), value: try integer(decimal["value"] ?? NSNull(), name, as: Int32.self))
        case "S": return .longString(try bytes(v, name))
        case "x":
            guard let text = v as? String, let data = Hex.decode(text) else { throw BadFrame(description: "\(name) must be hex") }
            return .bytes(ByteBuffer(bytes: data))
        case "A":
            guard let array = v as? [Any] else { throw BadFrame(description: "\(name) must be an array") }
            return .array(try array.map { try fieldValue($0, name) })
        case "T": return .timestamp(try integer(v, name, as: UInt64.self))
        case "F": return .table(try table(v, name))
        case "V": return .void
        default: throw BadFrame(description: "\(name): unknown field type \(letter)")
        }
    }

    /// A JSON number that is a whole number fitting `T`.
    static func integer<T: FixedWidthInteger>(_ value: Any, _ name: String, as type: T.Type = T.self) throws -> T {
        guard let number = value as? NSNumber, !isBoolean(value) else { throw BadFrame(description: "\(name) must be an integer") }
        let result: T? =
            switch String(cString: number.objCType) {
            case "d", "f": T(exactly: number.doubleValue)
            case "Q": T(exactly: number.uint64Value)
            default: T(exactly: number.int64Value)
            }
        guard let result else { throw BadFrame(description: "\(name) must be an integer that fits \(T.self)") }
        return result
    }

    static func number(_ value: Any, _ name: String) throws -> Double {
        guard let number = value as? NSNumber, !isBoolean(value) else { throw BadFrame(description: "\(name) must be a number") }
        return number.doubleValue
    }

    /// A JSON boolean, not a number (Foundation hands both out as NSNumber).
    static func boolean(_ value: Any, _ name: String) throws -> Bool {
        guard isBoolean(value), let flag = value as? Bool else { throw BadFrame(description: "\(name) must be a boolean") }
        return flag
    }

    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    static func bytes(_ value: Any, _ name: String) throws -> ByteBuffer {
        if let text = value as? String { return ByteBuffer(string: text) }
        if let object = value as? [String: Any], let text = object["hex"] as? String, let data = Hex.decode(text) {
            return ByteBuffer(bytes: data)
        }
        throw BadFrame(description: "\(name) must be a string or {\"hex\"}")
    }
}
