import Foundation
import Testing
import Services

@Suite struct UUIDTokenTests {
    @Test func tokensAreLowercaseVersion4UUIDsAndDistinct() throws {
        let tokens = (0..<1000).map { _ in UUIDToken.make() }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            let uuid = try #require(UUID(uuidString: token), "\(token) is a UUID")
            #expect(uuid.uuidString.lowercased() == token)
            let bytes = uuid.uuid
            #expect(bytes.6 >> 4 == 4, "version 4 in \(token)")
            #expect(bytes.8 >> 6 == 0b10, "RFC 9562 variant in \(token)")
        }
        // Random everywhere but the four dashes and the version digit (the variant digit still
        // takes four values).
        let fixed = (0..<36).filter { index in Set(tokens.map { Array($0.utf8)[index] }).count == 1 }
        #expect(fixed == [8, 13, 14, 18, 23])
    }
}
