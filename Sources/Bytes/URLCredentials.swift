/// Keeps passwords out of error messages and logs: URLs that could not be parsed are quoted with
/// their credentials masked, since the text that failed to parse is exactly what a person pasted,
/// secret included.
public enum URLCredentials {
    /// `text` with the password of its user information replaced by `***` (`redis://app:***@host`),
    /// or the whole user information when it has no `:` (a lone token may be a password). The
    /// user information is what precedes the last `@`, after the `://` when there is one, as the
    /// clients' parsers read it; text without `@` is returned unchanged.
    public static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        var start = text.startIndex
        if let scheme = text.firstRange(of: "://"), scheme.upperBound <= at { start = scheme.upperBound }
        let secretStart = text[start..<at].firstIndex(of: ":").map { text.index(after: $0) } ?? start
        return String(text[..<secretStart]) + "***" + String(text[at...])
    }
}
