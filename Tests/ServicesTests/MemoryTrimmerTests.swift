import Foundation
import Testing

@testable import Services

/// Regression: after a burst, glibc kept the freed memory in its arenas, so each fault scenario
/// of the chaos run left the gateway's RSS a few MiB higher (48, 52, 56, then 64 MiB past its
/// bound). A trim gives it back.
@Suite struct MemoryTrimmerTests {
    /// The process's resident set in bytes, from /proc.
    static func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kib = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kib * 1024
    }

    @Test func aTrimGivesFreedMemoryBackToTheSystem() throws {
        // Tests running alongside may take the freed pages before the trim does, so the release
        // is looked for in up to three rounds.
        var released: [Int] = []
        for _ in 0..<3 {
            released.append(try Self.releasedByATrimAfterABurst())
            if released.last! > 32 << 20 { break }
        }
        #expect(released.last! > 32 << 20, "MiB given back per round: \(released.map { $0 >> 20 })")
    }

    /// Allocates 64 MiB in blocks below glibc's mmap threshold, written so their pages are
    /// resident, frees all but the last (which keeps the heap's top in place, so free() alone
    /// cannot shrink it), trims, and returns how much the resident set shrank.
    static func releasedByATrimAfterABurst() throws -> Int {
        let blockSize = 4096, count = 16_384
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count {
            let block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 1, count: blockSize)
            blocks.append(block)
        }
        for block in blocks.dropLast() { block.deallocate() }
        defer { blocks.last?.deallocate() }
        let before = try residentBytes()
        #expect(MemoryTrimmer.trimNow(), "glibc's malloc_trim was not found")
        return before - (try residentBytes())
    }
}
