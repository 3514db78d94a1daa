/// What a command line accepts, written once: `parse` reads arguments by it and `help` prints it.
///
/// Options are written `--name value`, `--name=value` (one dash works too, as Go's flag package
/// reads them) or, for switches, `--name`; `--` ends them. An option may fall back on an
/// environment variable, then on its default. A command may have subcommands, each a syntax of
/// its own (`chaos load --help`). `-h`, `--help` and `-help` ask for the help text.
public struct CommandSyntax: Sendable {
    /// A named option.
    public struct Option: Sendable {
        /// The name, without dashes: `count` is written `--count`.
        public let name: String
        /// What the value is called in the help (`N`, `URL`); nil for a switch, which takes none.
        public let valueName: String?
        /// The value when neither the flag nor its variable is given; nil when there is none.
        public let defaultValue: String?
        /// The environment variable read when the flag is not given.
        public let environment: String?
        public let help: String

        /// An option taking a value.
        public static func value(_ name: String, _ valueName: String, default defaultValue: String? = nil, environment: String? = nil,
                                 _ help: String) -> Option {
            Option(name: name, valueName: valueName, defaultValue: defaultValue, environment: environment, help: help)
        }

        /// A switch: present or not.
        public static func flag(_ name: String, _ help: String) -> Option {
            Option(name: name, valueName: nil, defaultValue: nil, environment: nil, help: help)
        }
    }

    /// A positional argument.
    public struct Argument: Sendable {
        public let name: String
        public let help: String
        /// Whether it may be left out (then so may every argument after it).
        public let optional: Bool
        /// Whether it takes every remaining argument (the last one only).
        public let repeating: Bool

        public init(_ name: String, _ help: String, optional: Bool = false, repeating: Bool = false) {
            self.name = name
            self.help = help
            self.optional = optional
            self.repeating = repeating
        }
    }

    /// The command as it is typed: `fuzz`, or `chaos load` for a subcommand.
    public let command: String
    /// What it does, in a line or two.
    public let summary: String
    public let arguments: [Argument]
    public let options: [Option]
    /// Environment variables read other than through an option: name, meaning and default.
    public let environment: [(name: String, help: String, defaultValue: String?)]
    /// Subcommands, chosen by the first argument; a command with them takes no other arguments.
    public let subcommands: [CommandSyntax]
    /// More text for the help, after everything else.
    public let notes: String

    public init(
        _ command: String, summary: String, arguments: [Argument] = [], options: [Option] = [],
        environment: [(name: String, help: String, defaultValue: String?)] = [], subcommands: [CommandSyntax] = [], notes: String = ""
    ) {
        self.command = command
        self.summary = summary
        self.arguments = arguments
        self.options = options
        self.environment = environment
        self.subcommands = subcommands
        self.notes = notes
    }

    /// The subcommand's name: the last word of `command`.
    var name: String { String(command.split(separator: " ").last ?? "") }

    /// The usage line, `usage: fuzz TARGET... [options]`.
    var usage: String {
        var words = ["usage:", command]
        if !subcommands.isEmpty { words.append("COMMAND") }
        for argument in arguments {
            let shown = argument.name + (argument.repeating ? "..." : "")
            words.append(argument.optional ? "[\(shown)]" : shown)
        }
        if !options.isEmpty || !subcommands.isEmpty { words.append("[options]") }
        return words.joined(separator: " ")
    }

    /// What `--help` prints: the summary, the usage, the arguments, every option with its
    /// variable and default, the environment read, and the subcommands.
    public var help: String {
        var text = "\(command): \(summary)\n\n\(usage)\n"
        if !subcommands.isEmpty {
            text += "\ncommands (`\(command) COMMAND --help` tells more):\n"
            text += Self.table(subcommands.map { ($0.name, $0.summary) })
        }
        if !arguments.isEmpty {
            text += "\narguments:\n" + Self.table(arguments.map { ($0.name, $0.help) })
        }
        var rows = options.map { option -> (String, String) in
            var flag = "--\(option.name)"
            if let valueName = option.valueName { flag += " \(valueName)" }
            var help = option.help
            if let variable = option.environment { help += "; variable \(variable)" }
            if let defaultValue = option.defaultValue { help += " (default \(defaultValue.isEmpty ? "empty" : defaultValue))" }
            return (flag, help)
        }
        rows.append(("-h, --help", "print this help and exit"))
        text += "\noptions (--name value or --name=value):\n" + Self.table(rows)
        let variables = options.compactMap { option in option.environment.map { ($0, "--\(option.name)") } }
        text += "\nenvironment:\n"
        if variables.isEmpty && environment.isEmpty {
            text += "  none read\n"
        } else {
            text += Self.table(variables.map { ($0.0, "as \($0.1)") }
                + environment.map { ($0.name, $0.help + ($0.defaultValue.map { " (default \($0.isEmpty ? "empty" : $0))" } ?? "")) })
        }
        if !notes.isEmpty { text += "\n\(notes)\n" }
        return text
    }

    /// Rows of two columns, the second aligned.
    private static func table(_ rows: [(String, String)]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { "  " + $0.0 + String(repeating: " ", count: width - $0.0.count) + "   " + $0.1 }.joined(separator: "\n") + "\n"
    }
}
