import Foundation

extension CommandSyntax {
    /// What a command line asks for: a run, or the help text of the (sub)command it names.
    public enum Request: Sendable {
        case run(ParsedCommandLine)
        case help(String)
    }

    /// Reads `arguments` (without the program's name) by this syntax; `environment` supplies the
    /// options' variables.
    /// - Throws: `CommandLineError` saying what does not fit: an unknown option or command, a
    ///   missing value or argument, a value given to a switch, an argument too many.
    public func parse(_ arguments: [String], environment: [String: String]) throws(CommandLineError) -> Request {
        var positionals: [String] = []
        var given: [String: String] = [:]
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if !optionsEnded && argument == "--" {
                optionsEnded = true
                continue
            }
            if !optionsEnded && argument.hasPrefix("-") && argument.count > 1 && Double(argument) == nil {
                var name = Substring(argument.dropFirst(argument.hasPrefix("--") ? 2 : 1))
                var inline: String?
                if let equals = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: equals)...])
                    name = name[..<equals]
                }
                if name == "h" || name == "help" { return .help(help) }
                guard let option = options.first(where: { $0.name == name }) else {
                    // Named without its value, which may be a secret (a URL with a password).
                    let flag = argument.prefix { $0 != "=" }
                    throw CommandLineError("unknown option '\(flag)'" + (options.isEmpty ? " (\(command) takes none)" : ""))
                }
                if option.valueName == nil {
                    guard inline == nil else { throw CommandLineError("--\(name) is a switch and takes no value") }
                    given[option.name] = ""
                } else if let inline {
                    given[option.name] = inline
                } else {
                    guard index < arguments.count else { throw CommandLineError("--\(name) needs a value (\(option.valueName ?? "VALUE"))") }
                    given[option.name] = arguments[index]
                    index += 1
                }
                continue
            }
            if !subcommands.isEmpty {
                guard let subcommand = subcommands.first(where: { $0.name == argument }) else {
                    throw CommandLineError("unknown command '\(argument)': expected \(subcommands.map(\.name).joined(separator: ", "))")
                }
                let request: Request
                do {
                    request = try subcommand.parse(Array(arguments[index...]), environment: environment)
                } catch {
                    var error = error
                    error.command = error.command ?? subcommand.command
                    throw error
                }
                switch request {
                case .help(let text): return .help(text)
                case .run(let parsed):
                    return .run(ParsedCommandLine(syntax: subcommand, subcommand: subcommand.name, arguments: parsed.arguments,
                                                  given: parsed.given, environment: environment))
                }
            }
            positionals.append(argument)
        }
        if !subcommands.isEmpty {
            throw CommandLineError("missing COMMAND: one of \(subcommands.map(\.name).joined(separator: ", "))")
        }
        if let missing = firstMissingArgument(in: positionals) { throw CommandLineError("missing \(missing)") }
        if self.arguments.last?.repeating != true && positionals.count > self.arguments.count {
            throw CommandLineError("unexpected argument '\(positionals[self.arguments.count])'")
        }
        return .run(ParsedCommandLine(syntax: self, subcommand: nil, arguments: positionals, given: given, environment: environment))
    }

    /// The first required argument `positionals` lacks.
    private func firstMissingArgument(in positionals: [String]) -> String? {
        let required = arguments.prefix { !$0.optional }
        return positionals.count < required.count ? required[positionals.count].name : nil
    }

    /// Reads the process's command line: prints the help and exits 0 when asked for it; prints
    /// what was wrong and exits 2 when the command line does not fit.
    public func parseOrExit(_ arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                            environment: [String: String] = ProcessInfo.processInfo.environment) -> ParsedCommandLine {
        do {
            switch try parse(arguments, environment: environment) {
            case .run(let parsed): return parsed
            case .help(let text):
                print(text, terminator: "")
                exit(0)
            }
        } catch {
            fail(error)
        }
    }

    /// Prints `error` as a bad command line, with where to find help, and exits 2.
    public func fail(_ error: CommandLineError) -> Never {
        let program = command.split(separator: " ").first.map(String.init) ?? command
        FileHandle.standardError.write(Data("\(program): \(error) (see '\(error.command ?? command) --help')\n".utf8))
        exit(2)
    }
}
