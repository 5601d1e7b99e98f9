import CSandbox
import FoundationEssentials
import Glibc

/// The plain C data the child reads after clone(): a `csb_config` and everything it points to, allocated
/// here and freed when this object goes away (after the child has its own copy-on-write copy).
final class ChildConfig {
    var raw = csb_config()
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit { allocations.forEach { free($0) } }

    func string(_ text: String) -> UnsafePointer<CChar> {
        let pointer = strdup(text)!
        allocations.append(UnsafeMutableRawPointer(pointer))
        return UnsafePointer(pointer)
    }

    /// A NULL-terminated array of C strings (argv, envp).
    func stringArray(_ texts: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        let array = allocate(UnsafePointer<CChar>?.self, count: texts.count + 1)
        for (index, text) in texts.enumerated() { array[index] = string(text) }
        array[texts.count] = nil
        return UnsafePointer(array)
    }

    func array<T>(_ values: [T]) -> UnsafePointer<T>? {
        guard !values.isEmpty else { return nil }
        let array = allocate(T.self, count: values.count)
        array.initialize(from: values, count: values.count)
        return UnsafePointer(array)
    }

    func bytes(_ values: [UInt8]) -> UnsafeRawPointer? {
        guard !values.isEmpty else { return nil }
        let pointer = allocate(UInt8.self, count: values.count)
        pointer.initialize(from: values, count: values.count)
        return UnsafeRawPointer(pointer)
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = malloc(MemoryLayout<T>.stride * max(count, 1))!
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: count)
    }
}
