import Bytes
import Testing

@Suite struct SHA1Tests {
    @Test func standardVectors() {
        #expect(SHA1.hexDigest(Array("".utf8)) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hexDigest(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(SHA1.hexDigest([UInt8](repeating: 0x61, count: 1_000_000)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func theDigestIsTheHexDigestsBytes() {
        let digest = SHA1.digest(Array("abc".utf8))
        #expect(digest.count == 20)
        #expect(digest.prefix(4) == [0xa9, 0x99, 0x3e, 0x36])
        #expect(digest.last == 0x9d)
    }
}
