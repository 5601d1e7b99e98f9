import Foundation

// libFuzzer target for the patch engine (built by scripts/fuzz with `swiftc -sanitize=fuzzer` over
// Sources/Patch and this file, as one module). Each input is tried twice against a fixed tree:
// as a model's reply (extract → parse → validate → resolve, what the runner does) and as a bare diff
// (parse → validate → resolve). Besides crashes and hangs it checks one property: a canonical diff the
// engine produced is accepted again as is, with no repair.

/// The fixed base tree, a git checkout made by scripts/fuzz (FUZZ_PATCH_TREE).
let fuzzTree: URL = {
    guard let path = ProcessInfo.processInfo.environment["FUZZ_PATCH_TREE"], !path.isEmpty else {
        fatalError("FUZZ_PATCH_TREE is not set: run the target through scripts/fuzz")
    }
    return URL(fileURLWithPath: path)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func patchFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if case .success(let resolved) = PatchEngine.prepare(text, against: fuzzTree) {
        expectStable(resolved)
    }
    let policy = PatchPolicy()
    guard text.utf8.count <= policy.maxBytes, let patch = try? PatchEngine.parse(text) else { return 0 }
    guard (try? PatchEngine.validate(patch, policy: policy, tree: fuzzTree)) != nil else { return 0 }
    if let resolved = try? PatchEngine.resolve(patch, against: fuzzTree) {
        expectStable(resolved)
    }
    return 0
}

/// A canonical diff is a fixed point of the engine.
func expectStable(_ resolved: ResolvedPatch) {
    switch PatchEngine.prepare(resolved.canonicalDiff, against: fuzzTree) {
    case .success(let again):
        if again.canonicalDiff != resolved.canonicalDiff || again.repaired {
            fail("canonical diff changed on a second pass (repairs: \(again.repairs)):\n\(resolved.canonicalDiff)\n--- became ---\n\(again.canonicalDiff)")
        }
    case .failure(let error):
        fail("canonical diff rejected on a second pass: \(error)\n\(resolved.canonicalDiff)")
    }
}

/// Prints why and aborts: libFuzzer catches SIGABRT and saves the input (precondition's message is lost in -O).
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz property broken: \(message)\n".utf8))
    abort()
}
