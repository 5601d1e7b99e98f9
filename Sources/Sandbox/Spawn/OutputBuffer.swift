/// Keeps the last `capacity` bytes of a stream and counts all of them.
struct OutputBuffer {
    let capacity: Int
    private(set) var total: UInt64 = 0
    private var storage: [UInt8] = []
    private var start = 0  // ring start once full

    init(capacity: Int) { self.capacity = max(capacity, 0) }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        total += UInt64(chunk.count)
        guard capacity > 0 else { return }
        for byte in chunk.suffix(capacity) {
            if storage.count < capacity {
                storage.append(byte)
            } else {
                storage[start] = byte
                start = (start + 1) % capacity
            }
        }
    }

    var truncated: Bool { total > UInt64(storage.count) }
    var bytes: [UInt8] { Array(storage[start...] + storage[..<start]) }
}
