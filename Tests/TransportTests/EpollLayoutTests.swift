import Glibc
import Testing
@testable import Transport

/// `struct epoll_event` as the loop reads and writes it: packed to 12 bytes on x86_64, 16 with
/// `data` aligned elsewhere.
@Suite struct EpollLayoutTests {
    @Test func storeAndLoadRoundTripInTheHeaderLayout() {
        #if arch(x86_64)
        #expect(Epoll.eventSize == 12 && Epoll.dataOffset == 4)
        #elseif arch(arm64)
        #expect(Epoll.eventSize == 16 && Epoll.dataOffset == 8)
        #endif
        let events: UInt32 = Epoll.in | Epoll.rdhup | Epoll.edgeTriggered
        let data: UInt64 = 0x0102_0304_0506_0708
        var bytes = [UInt8](repeating: 0xEE, count: Epoll.eventSize + 4)
        bytes.withUnsafeMutableBytes { raw in
            Epoll.store(events: events, data: data, into: raw.baseAddress!)
            let loaded = Epoll.load(from: raw.baseAddress!)
            #expect(loaded.events == events && loaded.data == data)
        }
        // Little-endian fields at their offsets; nothing written past the event.
        #expect(bytes[0..<4].elementsEqual(withUnsafeBytes(of: events.littleEndian, Array.init)))
        #expect(bytes[Epoll.dataOffset..<Epoll.dataOffset + 8].elementsEqual(withUnsafeBytes(of: data.littleEndian, Array.init)))
        #expect(bytes[Epoll.eventSize...].allSatisfy { $0 == 0xEE })
    }

    @Test func kernelFillsAnArrayOfEventsInTheSameLayout() throws {
        let calls = try LinuxCalls.system.get()
        let epoll = calls.epollCreate1(Epoll.cloexec)
        try #require(epoll >= 0)
        defer { close(epoll) }
        let tags: [UInt64] = [0x1111_2222_3333_4444, 0x5555_6666_7777_8888]
        var descriptors: [Int32] = []
        defer { for fd in descriptors { close(fd) } }
        for tag in tags {
            let fd = calls.eventfd(0, EventFDFlags.nonblock | EventFDFlags.cloexec)
            try #require(fd >= 0)
            descriptors.append(fd)
            let added = withUnsafeTemporaryAllocation(byteCount: Epoll.eventSize, alignment: 8) { raw in
                Epoll.store(events: Epoll.in, data: tag, into: raw.baseAddress!)
                return calls.epollCtl(epoll, Epoll.ctlAdd, fd, raw.baseAddress!)
            }
            try #require(added == 0)
            var one: UInt64 = 1
            try #require(write(fd, &one, 8) == 8)
        }
        // The second event starts `eventSize` bytes after the first only if the size is right.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 2 * Epoll.eventSize, alignment: 8)
        defer { buffer.deallocate() }
        #expect(calls.epollWait(epoll, buffer, 2, 1000) == 2)
        let loaded = (0..<2).map { Epoll.load(from: buffer + $0 * Epoll.eventSize) }
        #expect(Set(loaded.map(\.data)) == Set(tags))
        #expect(loaded.allSatisfy { $0.events & Epoll.in != 0 })
    }
}
