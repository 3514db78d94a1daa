import Foundation

/// The parts of RabbitMQ's machine-readable AMQP 0-9-1 spec (`spec/amqp-rabbitmq-0.9.1.json`)
/// that the generator uses.
public struct Spec: Decodable, Sendable {
    public struct Constant: Decodable, Sendable {
        public var name: String
        public var value: Int
        /// `soft-error` (closes a channel) or `hard-error` (closes the connection); nil for others.
        public var `class`: String?
    }

    public struct Argument: Decodable, Sendable {
        public var name: String
        public var type: String?
        public var domain: String?
        public var defaultValue: DefaultValue?

        enum CodingKeys: String, CodingKey {
            case name, type, domain
            case defaultValue = "default-value"
        }
    }

    /// A `default-value` as the spec writes it: a number, a string, a boolean or an empty table.
    public enum DefaultValue: Decodable, Sendable, Equatable {
        case bool(Bool)
        case int(Int)
        case string(String)
        case emptyTable

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int.self) {
                self = .int(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let table = try? container.decode([String: Int].self), table.isEmpty {
                self = .emptyTable
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "unsupported default-value")
            }
        }
    }

    public struct Method: Decodable, Sendable {
        public var id: Int
        public var name: String
        public var arguments: [Argument]
        public var synchronous: Bool?
        public var content: Bool?
    }

    public struct Property: Decodable, Sendable {
        public var name: String
        public var type: String
    }

    public struct Class: Decodable, Sendable {
        public var id: Int
        public var name: String
        public var methods: [Method]
        public var properties: [Property]?
    }

    public var name: String
    public var majorVersion: Int
    public var minorVersion: Int
    public var revision: Int
    public var port: Int
    public var domains: [[String]]
    public var constants: [Constant]
    public var classes: [Class]

    enum CodingKeys: String, CodingKey {
        case name, port, domains, constants, classes, revision
        case majorVersion = "major-version"
        case minorVersion = "minor-version"
    }

    public init(json: Data) throws {
        self = try JSONDecoder().decode(Spec.self, from: json)
    }

    /// The wire type of an argument: its `type`, or the type its `domain` stands for.
    public func wireType(of argument: Argument) throws -> String {
        if let type = argument.type { return type }
        guard let domain = argument.domain,
            let entry = domains.first(where: { $0.first == domain }), entry.count == 2
        else {
            throw CodegenError.unknownDomain(argument.domain ?? "<none>", argument: argument.name)
        }
        return entry[1]
    }
}

/// Why the spec could not be turned into Swift.
public enum CodegenError: Error, CustomStringConvertible {
    case unknownDomain(String, argument: String)
    case unknownType(String, argument: String)
    case badDefault(argument: String)

    public var description: String {
        switch self {
        case .unknownDomain(let domain, let argument): "argument '\(argument)': unknown domain '\(domain)'"
        case .unknownType(let type, let argument): "argument '\(argument)': unknown type '\(type)'"
        case .badDefault(let argument): "argument '\(argument)': default-value does not fit its type"
        }
    }
}
