/// A command line read by a `CommandSyntax`: the subcommand chosen, the positional arguments, and
/// the options, each given by its flag, its environment variable or its default, in that order.
/// The typed accessors throw `CommandLineError` naming the option and what was wrong.
public struct ParsedCommandLine: Sendable {
    /// The syntax it was read by (the subcommand's, when one was chosen).
    public let syntax: CommandSyntax
    /// The subcommand chosen, by name; nil for a command without subcommands.
    public let subcommand: String?
    public let arguments: [String]
    /// Values given on the command line, by option name; switches given have "".
    let given: [String: String]
    let environment: [String: String]

    /// Whether the option was given on the command line (for a switch: whether it is on).
    public func has(_ name: String) -> Bool { given[name] != nil }

    /// The option's value: from its flag, its variable or its default; nil when none has one.
    public func optionalString(_ name: String) -> String? {
        if let value = given[name] { return value }
        let option = syntax.options.first { $0.name == name }
        precondition(option != nil, "\(syntax.command) has no option --\(name)")
        if let variable = option?.environment, let value = environment[variable], !value.isEmpty { return value }
        return option?.defaultValue
    }

    /// The option's value; throws when it has none.
    public func string(_ name: String) throws(CommandLineError) -> String {
        guard let value = optionalString(name) else { throw CommandLineError("--\(name) is required") }
        return value
    }

    /// The option's value as an integer in `range`.
    public func int(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(CommandLineError) -> Int {
        let text = try string(name)
        guard let value = Int(text), range.contains(value) else {
            throw CommandLineError("--\(name) takes an integer\(Self.describe(range)), not '\(text)'")
        }
        return value
    }

    /// The option's value as an integer in `range`, or nil when it has none.
    public func optionalInt(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(CommandLineError) -> Int? {
        optionalString(name) == nil ? nil : try int(name, in: range)
    }

    /// The option's value as a number.
    public func double(_ name: String) throws(CommandLineError) -> Double {
        let text = try string(name)
        guard let value = Double(text), value.isFinite else { throw CommandLineError("--\(name) takes a number, not '\(text)'") }
        return value
    }

    /// The option's value, which must be one of `choices`.
    public func choice(_ name: String, _ choices: [String]) throws(CommandLineError) -> String {
        let value = try string(name)
        guard choices.contains(value) else { throw CommandLineError("--\(name) takes \(choices.joined(separator: ", ")), not '\(value)'") }
        return value
    }

    /// The positional argument `index` as an integer in `range`, or `fallback` when it was left out.
    public func intArgument(_ index: Int, default fallback: Int, in range: ClosedRange<Int> = Int.min...Int.max) throws(CommandLineError) -> Int {
        guard index < arguments.count else { return fallback }
        let name = syntax.arguments[min(index, syntax.arguments.count - 1)].name
        guard let value = Int(arguments[index]), range.contains(value) else {
            throw CommandLineError("\(name) takes an integer\(Self.describe(range)), not '\(arguments[index])'")
        }
        return value
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        switch (range.lowerBound, range.upperBound) {
        case (Int.min, Int.max): ""
        case (let low, Int.max): " of at least \(low)"
        case (let low, let high): " in \(low)...\(high)"
        }
    }
}

/// A command line that does not fit its syntax, saying what was wrong.
public struct CommandLineError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    /// The subcommand whose syntax the command line broke (`chaos probe`), when parsing found it
    /// there: its help is the one to read. Nil for the command itself.
    public internal(set) var command: String?

    public init(_ description: String) { self.description = description }

    /// Errors are equal when they say the same.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.description == rhs.description }
}
