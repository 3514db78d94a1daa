import CommandLineOptions
import Testing

@Suite struct CommandSyntaxTests {
    let syntax = CommandSyntax(
        "tool", summary: "does things",
        arguments: [.init("TARGET", "what to do it to", repeating: true)],
        options: [
            .value("count", "N", default: "10", environment: "TOOL_COUNT", "how many"),
            .value("url", "URL", "where"),
            .flag("confirm", "ask first"),
        ])

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ParsedCommandLine {
        guard case .run(let parsed) = try syntax.parse(arguments, environment: environment) else {
            throw CommandLineError("asked for help")
        }
        return parsed
    }

    @Test func valuesComeFromTheFlagTheVariableOrTheDefault() throws {
        #expect(try run(["a"]).int("count") == 10)
        #expect(try run(["a"], environment: ["TOOL_COUNT": "7"]).int("count") == 7)
        #expect(try run(["a", "--count", "3"], environment: ["TOOL_COUNT": "7"]).int("count") == 3)
        #expect(try run(["a"]).optionalString("url") == nil)
    }

    @Test func everySpellingOfAnOptionIsRead() throws {
        for arguments in [["--count", "3", "a"], ["--count=3", "a"], ["-count", "3", "a"], ["-count=3", "a"], ["a", "--count=3"]] {
            let parsed = try run(arguments)
            #expect(try parsed.int("count") == 3, "\(arguments)")
            #expect(parsed.arguments == ["a"], "\(arguments)")
        }
        #expect(try run(["--url=amqp://h/?x=1", "a"]).string("url") == "amqp://h/?x=1")
        #expect(try run(["--confirm", "a", "b"]).has("confirm"))
        #expect(try run(["--", "--count", "a"]).arguments == ["--count", "a"])
    }

    @Test func helpIsAskedForAnyWay() throws {
        for flag in ["-h", "--help", "-help"] {
            guard case .help(let text) = try syntax.parse(["a", flag], environment: [:]) else {
                Issue.record("\(flag) did not ask for help")
                continue
            }
            #expect(text.contains("usage: tool TARGET... [options]"))
            #expect(text.contains("--count N") && text.contains("variable TOOL_COUNT (default 10)"))
            #expect(text.contains("TOOL_COUNT") && text.contains("--confirm"))
        }
    }

    @Test func badCommandLinesSayWhatIsWrong() {
        let cases: [([String], String)] = [
            (["a", "--cuont", "3"], "unknown option '--cuont'"),
            (["a", "--count"], "--count needs a value (N)"),
            (["a", "--confirm=yes"], "--confirm is a switch and takes no value"),
            ([], "missing TARGET"),
        ]
        for (arguments, message) in cases {
            #expect(throws: CommandLineError(message), "\(arguments)") { try syntax.parse(arguments, environment: [:]) }
        }
        #expect(throws: CommandLineError("--count takes an integer in 1...5, not '9'")) { try run(["a", "--count=9"]).int("count", in: 1...5) }
        #expect(throws: CommandLineError("--count takes an integer, not 'x'")) { try run(["a", "--count=x"]).int("count") }
        #expect(throws: CommandLineError("--url is required")) { try run(["a"]).string("url") }
    }

    @Test func argumentsAreCounted() throws {
        let pair = CommandSyntax("pair", summary: "two", arguments: [.init("A", "first"), .init("B", "second", optional: true)])
        #expect(throws: CommandLineError("unexpected argument 'c'")) { try pair.parse(["a", "b", "c"], environment: [:]) }
        guard case .run(let parsed) = try pair.parse(["a"], environment: [:]) else { throw CommandLineError("help") }
        #expect(try parsed.intArgument(1, default: 5) == 5)
        #expect(throws: CommandLineError("unknown option '--x' (pair takes none)")) { try pair.parse(["a", "--x"], environment: [:]) }
    }

    @Test func subcommandsHaveSyntaxesOfTheirOwn() throws {
        let tool = CommandSyntax("tool", summary: "does things", subcommands: [
            CommandSyntax("tool load", summary: "loads", options: [.value("rate", "N", default: "100", "per second")]),
            CommandSyntax("tool probe", summary: "probes"),
        ])
        guard case .run(let parsed) = try tool.parse(["load", "--rate=5"], environment: [:]) else { throw CommandLineError("help") }
        #expect(parsed.subcommand == "load")
        #expect(try parsed.int("rate") == 5)
        guard case .help(let help) = try tool.parse(["load", "--help"], environment: [:]) else { throw CommandLineError("no help") }
        #expect(help.hasPrefix("tool load: loads") && help.contains("--rate N"))
        guard case .help(let overview) = try tool.parse(["--help"], environment: [:]) else { throw CommandLineError("no help") }
        #expect(overview.contains("load    loads") && overview.contains("probe   probes"))
        #expect(throws: CommandLineError("unknown command 'lod': expected load, probe")) { try tool.parse(["lod"], environment: [:]) }
        #expect(throws: CommandLineError("missing COMMAND: one of load, probe")) { try tool.parse([], environment: [:]) }
        #expect(throws: CommandLineError("unknown option '--rate' (tool probe takes none)")) { try tool.parse(["probe", "--rate=1"], environment: [:]) }
        // The subcommand's help is the one to read; an error of the command itself names none.
        let inSubcommand = #expect(throws: CommandLineError.self) { try tool.parse(["probe", "--rate=1"], environment: [:]) }
        #expect(inSubcommand?.command == "tool probe")
        let inCommand = #expect(throws: CommandLineError.self) { try tool.parse(["lod"], environment: [:]) }
        #expect(inCommand != nil && inCommand?.command == nil)
    }
}
