@testable import Bytes
import Testing

@Suite struct ByteBufferTests {
    @Test func writeThenReadIntegersInBothByteOrders() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(0x0102))
        buffer.writeInteger(UInt32(0x0304_0506), endianness: .little)
        buffer.writeInteger(Int64(-2))
        #expect(buffer.readableBytesView.elementsEqual([1, 2, 6, 5, 4, 3, 255, 255, 255, 255, 255, 255, 255, 254]))
        #expect(buffer.readInteger(as: UInt16.self) == 0x0102)
        #expect(buffer.readInteger(endianness: .little, as: UInt32.self) == 0x0304_0506)
        #expect(buffer.readInteger(as: Int64.self) == -2)
        #expect(buffer.readInteger(as: UInt8.self) == nil)
    }

    @Test func partialReadsConsumeNothing() {
        var buffer = ByteBuffer(bytes: [1, 2, 3])
        #expect(buffer.readInteger(as: UInt32.self) == nil)
        #expect(buffer.readSlice(length: 4) == nil)
        #expect(buffer.readBytes(length: 4) == nil)
        #expect(buffer.readerIndex == 0)
        #expect(buffer.readBytes(length: 3) == [1, 2, 3])
    }

    @Test func slicesShareStorageAndSurviveLaterWrites() {
        var buffer = ByteBuffer(string: "hello world")
        let hello = buffer.readSlice(length: 5)!
        #expect(hello == ByteBuffer(string: "hello"))
        #expect(hello.readerIndex == 0 && hello.readableBytes == 5)
        buffer.moveReaderIndex(forwardBy: 1)
        buffer.writeString("!")
        buffer.discardReadBytes()
        buffer.setInteger(UInt8(ascii: "W"), at: 0)
        #expect(buffer.description == "World!")
        #expect(hello.description == "hello", "copy-on-write keeps the slice intact")
    }

    @Test func writingToASliceCopiesInsteadOfClobberingTheParent() {
        let parent = ByteBuffer(string: "abcdef")
        var slice = parent.getSlice(at: 0, length: 3)!
        slice.writeString("XYZ")
        #expect(slice.description == "abcXYZ")
        #expect(parent.description == "abcdef")
    }

    @Test func compactionKeepsUnreadBytesAndReusesSpace() {
        var buffer = ByteBuffer(capacity: 8)
        buffer.writeString("12345678")
        _ = buffer.readBytes(length: 6)
        let capacity = buffer.capacity
        buffer.discardReadBytes()
        #expect(buffer.readerIndex == 0 && buffer.writerIndex == 2)
        buffer.writeString("abcdef")
        #expect(buffer.capacity == capacity, "compaction made room without growing")
        #expect(buffer.description == "78abcdef")
    }

    @Test func directWritesMoveTheWriterIndex() {
        var buffer = ByteBuffer()
        let written = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 100) { space in
            #expect(space.count >= 100)
            space[0] = 42
            space[1] = 43
            return 2
        }
        #expect(written == 2)
        #expect(buffer.readBytes(length: 2) == [42, 43])
    }

    @Test func growthPreservesContentAcrossManyWrites() {
        var buffer = ByteBuffer(capacity: 1)
        var expected: [UInt8] = []
        for i in 0..<10_000 {
            let byte = UInt8(truncatingIfNeeded: i &* 31)
            buffer.writeInteger(byte)
            expected.append(byte)
        }
        #expect(buffer.readableBytesView.elementsEqual(expected))
    }

    @Test func equalityAndHashingLookOnlyAtReadableBytes() {
        var a = ByteBuffer(string: "xxabc")
        a.moveReaderIndex(forwardBy: 2)
        let b: ByteBuffer = "abc"
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ByteBuffer(string: "abd"))
    }

    @Test func clearOnSharedStorageLeavesSlicesAlone() {
        var buffer = ByteBuffer(string: "keep")
        let slice = buffer.getSlice(at: 0, length: 4)!
        buffer.clear()
        buffer.writeString("new!")
        #expect(slice.description == "keep")
        #expect(buffer.description == "new!")
    }

    @Test func emptyBuffersWrittenSeparatelyStayIndependent() {
        var first = ByteBuffer()
        var second = ByteBuffer(capacity: 0)
        first.writeString("one")
        _ = second.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { _ in 0 }
        second.writeInteger(UInt8(ascii: "2"))
        var cleared = ByteBuffer()
        cleared.clear()
        cleared.writeString("three")
        #expect(first.description == "one")
        #expect(second.description == "2")
        #expect(cleared.description == "three")
        #expect(ByteBuffer().readableBytes == 0)
    }
}

@Suite struct ByteBufferZeroCopyTests {
    @Test func readSliceViewsTheSameBytesWithoutCopying() throws {
        var buffer = ByteBuffer(string: "header:payload")
        let base = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        _ = buffer.readSlice(length: 7)
        let read = buffer.readSlice(length: 7)
        let payload = try #require(read)
        #expect(payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == base + 7)
        #expect(payload.storage === buffer.storage)
        #expect(payload.capacity == buffer.capacity - 7, "a view to the end of the storage, not a new allocation")
    }
}
