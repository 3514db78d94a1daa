/// Writes compact JSON straight into bytes, without an intermediate document or a Foundation
/// encoder: the fields appear in the order they are written (so callers that want canonical
/// output write keys in a fixed order), strings are escaped as RFC 8259 §7 requires, and
/// numbers are written without a `String` in between.
///
/// ```swift
/// var writer = JSONWriter()
/// writer.beginObject()
/// writer.field("id", "order-1")
/// writer.field("qty", 2)
/// writer.beginArray("tags")
/// writer.value("new")
/// writer.endArray()
/// writer.endObject()
/// // writer.bytes: {"id":"order-1","qty":2,"tags":["new"]}
/// ```
///
/// The writer does not check nesting: a caller that writes an object's field outside an object
/// gets invalid JSON, as with any streaming writer.
public struct JSONWriter: Sendable {
    /// The JSON written so far.
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    /// A writer whose buffer starts with room for `capacity` bytes.
    public init(capacity: Int = 128) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Containers

    /// Opens an object as the next value (an array element, or the document).
    public mutating func beginObject() {
        separate()
        open(UInt8(ascii: "{"))
    }

    /// Opens an object as the value of field `name`.
    public mutating func beginObject(_ name: String) {
        key(name)
        open(UInt8(ascii: "{"))
    }

    /// Closes the innermost object.
    public mutating func endObject() {
        close(UInt8(ascii: "}"))
    }

    /// Opens an array as the next value.
    public mutating func beginArray() {
        separate()
        open(UInt8(ascii: "["))
    }

    /// Opens an array as the value of field `name`.
    public mutating func beginArray(_ name: String) {
        key(name)
        open(UInt8(ascii: "["))
    }

    /// Closes the innermost array.
    public mutating func endArray() {
        close(UInt8(ascii: "]"))
    }

    // MARK: Fields of an object

    /// `"name":"value"`, the value escaped.
    public mutating func field(_ name: String, _ value: String) {
        key(name)
        Self.appendQuoted(value, to: &bytes)
    }

    /// `"name":value` for an integer.
    public mutating func field(_ name: String, _ value: Int) {
        key(name)
        appendInteger(Int64(value))
    }

    /// `"name":value` for a 64-bit integer.
    public mutating func field(_ name: String, _ value: Int64) {
        key(name)
        appendInteger(value)
    }

    /// `"name":value` for an unsigned 64-bit integer.
    public mutating func field(_ name: String, _ value: UInt64) {
        key(name)
        appendUnsigned(value)
    }

    /// `"name":"digits"`: an integer written as a JSON string, as the proto3 JSON mapping writes
    /// 64-bit integers (a JSON number loses precision above 2^53 in many readers).
    public mutating func field(_ name: String, quoting value: Int64) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        appendInteger(value)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `"name":"digits"` for an unsigned 64-bit integer.
    public mutating func field(_ name: String, quoting value: UInt64) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        appendUnsigned(value)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `"name":value` for a finite double; see `value(_:)` for doubles.
    public mutating func field(_ name: String, _ value: Double) {
        key(name)
        appendDouble(value)
    }

    /// `"name":true` or `"name":false`.
    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: value ? Self.trueLiteral : Self.falseLiteral)
    }

    /// `"name":null`.
    public mutating func nullField(_ name: String) {
        key(name)
        bytes.append(contentsOf: Self.nullLiteral)
    }

    /// `"name":` followed by `encoded`, an already-encoded JSON value.
    public mutating func rawField(_ name: String, _ encoded: some Sequence<UInt8>) {
        key(name)
        bytes.append(contentsOf: encoded)
    }

    // MARK: Array elements

    /// A string element.
    public mutating func value(_ value: String) {
        separate()
        Self.appendQuoted(value, to: &bytes)
        needsComma = true
    }

    /// An integer element.
    public mutating func value(_ value: Int) {
        separate()
        appendInteger(Int64(value))
        needsComma = true
    }

    /// An integer element written as a JSON string (see `field(_:quoting:)`).
    public mutating func value(quoting value: Int64) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        appendInteger(value)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A double element. JSON has no NaN or infinity: a non-finite value is a programming error
    /// (callers that can meet one decide how to spell it, as a string or null).
    public mutating func value(_ value: Double) {
        separate()
        appendDouble(value)
        needsComma = true
    }

    /// A boolean element.
    public mutating func value(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Self.trueLiteral : Self.falseLiteral)
        needsComma = true
    }

    /// A null element.
    public mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullLiteral)
        needsComma = true
    }

    /// Appends an already-encoded JSON value as the next element.
    public mutating func raw(_ encoded: some Sequence<UInt8>) {
        separate()
        bytes.append(contentsOf: encoded)
        needsComma = true
    }

    // MARK: Encoding

    private mutating func key(_ name: String) {
        separate()
        Self.appendQuoted(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    private mutating func open(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    // Integers are written by concrete functions: generic ones are not specialised across
    // modules, and unspecialised FixedWidthInteger arithmetic made a number cost microseconds.
    private mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendUnsigned(value.magnitude)
    }

    private mutating func appendUnsigned(_ value: UInt64) {
        // Digits built backwards in a fixed buffer: no String, no allocation.
        var magnitude = value
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = digits.count
            repeat {
                let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
                index -= 1
                digits[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remainder)
                magnitude = quotient
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index...]))
        }
    }

    private mutating func appendDouble(_ value: Double) {
        precondition(value.isFinite, "JSON has no representation for \(value)")
        // Swift prints the shortest text that reads back as the same double, in a form JSON
        // accepts ("1.5", "1e-07", "5e+20"), except that it writes integral values as "5.0",
        // which is valid JSON too.
        bytes.append(contentsOf: value.description.utf8)
    }

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped, the
    /// rest as UTF-8 (RFC 8259 §7 requires no more).
    public static func appendQuoted(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var clean = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<index]))
                appendEscaped(byte, to: &bytes)
                clean = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ byte: UInt8, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let trueLiteral = Array("true".utf8)
    private static let falseLiteral = Array("false".utf8)
    private static let nullLiteral = Array("null".utf8)
}
