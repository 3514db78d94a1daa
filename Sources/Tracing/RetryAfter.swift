#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The `Retry-After` field (RFC 9110 §10.2.3): how long a server asks a client to wait, as
/// delta-seconds or as an HTTP-date.
enum RetryAfter {
    /// The wait `value` asks for, or nil when it is neither form. A date in the past is no wait.
    /// - Parameter nowUnixSeconds: the current time, for the date form.
    static func delay(_ value: String, nowUnixSeconds: Int) -> Duration? {
        let text = value.trimmingOWS()
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Clamped rather than refused: a huge delay is simply longer than any deadline.
            return .seconds(Int(text) ?? Int(Int32.max))
        }
        guard let date = HTTPDateParser.unixSeconds(String(text)) else { return nil }
        return .seconds(max(date - nowUnixSeconds, 0))
    }
}

/// Reads the three HTTP-date formats a recipient must accept (RFC 9110 §5.6.7):
/// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
/// `Sunday, 06-Nov-94 08:49:37 GMT` and asctime's `Sun Nov  6 08:49:37 1994`.
enum HTTPDateParser {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// Seconds since the Unix epoch, or nil when `text` is in none of the formats.
    static func unixSeconds(_ text: String) -> Int? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if parts.count == 6, parts[0].hasSuffix(","), days.contains(String(parts[0].dropLast())), parts[5] == "GMT",
           parts[1].count == 2, let day = Int(parts[1]), let month = months.firstIndex(of: parts[2]),
           parts[3].count == 4, let year = Int(parts[3]) {
            return seconds(year: year, month: month, day: day, time: parts[4])
        }
        if parts.count == 4, parts[0].hasSuffix(","), longDays.contains(String(parts[0].dropLast())), parts[3] == "GMT" {
            let date = parts[1].split(separator: "-").map(String.init)
            guard date.count == 3, date[0].count == 2, let day = Int(date[0]), let month = months.firstIndex(of: date[1]),
                  date[2].count == 2, let shortYear = Int(date[2]) else { return nil }
            // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
            let year = shortYear < 70 ? 2000 + shortYear : 1900 + shortYear
            return seconds(year: year, month: month, day: day, time: parts[2])
        }
        if parts.count == 5, days.contains(parts[0]), let month = months.firstIndex(of: parts[1]),
           (1...2).contains(parts[2].count), let day = Int(parts[2]), parts[4].count == 4, let year = Int(parts[4]) {
            return seconds(year: year, month: month, day: day, time: parts[3])
        }
        return nil
    }

    /// `hh:mm:ss` on the given day, UTC.
    private static func seconds(year: Int, month: Int, day: Int, time: String) -> Int? {
        let clock = time.split(separator: ":").map(String.init)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }), let hour = Int(clock[0]), let minute = Int(clock[1]),
              let second = Int(clock[2]), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              (1...31).contains(day) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Int(timegm(&parts))
    }
}
