/// `--name value` command-line flags of one subcommand, read once into a dictionary.
struct Options {
    private var values: [String: String] = [:]

    /// Errors name the flag and what was wrong with it, so a script's typo is obvious.
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    init(_ arguments: ArraySlice<String>) throws(Invalid) {
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let flag = arguments[index]
            guard flag.hasPrefix("--"), index + 1 < arguments.endIndex else {
                throw Invalid(description: "expected --name value, got '\(flag)'")
            }
            values[String(flag.dropFirst(2))] = arguments[index + 1]
            index += 2
        }
    }

    func string(_ name: String, default fallback: String? = nil) throws(Invalid) -> String {
        guard let value = values[name] ?? fallback else { throw Invalid(description: "missing --\(name)") }
        return value
    }

    func optionalString(_ name: String) -> String? { values[name] }

    func int(_ name: String, default fallback: Int? = nil) throws(Invalid) -> Int {
        let text = try string(name, default: fallback.map(String.init))
        guard let value = Int(text) else { throw Invalid(description: "--\(name) must be an integer, got '\(text)'") }
        return value
    }

    func double(_ name: String, default fallback: Double? = nil) throws(Invalid) -> Double {
        let text = try string(name, default: fallback.map { String($0) })
        guard let value = Double(text) else { throw Invalid(description: "--\(name) must be a number, got '\(text)'") }
        return value
    }

    /// `host:port`, for flags naming a TCP endpoint.
    func endpoint(_ name: String, default fallback: String? = nil) throws(Invalid) -> (host: String, port: Int) {
        let text = try string(name, default: fallback)
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw Invalid(description: "--\(name) must be host:port, got '\(text)'")
        }
        return (String(text[..<colon]), port)
    }
}
