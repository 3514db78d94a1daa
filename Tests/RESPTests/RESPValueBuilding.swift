import Bytes
import RESP

/// A bulk string of `text`, for replies written out in tests.
func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }
