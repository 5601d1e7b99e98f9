import Foundation

// libFuzzer target for the patch engine (built by scripts/fuzz with `swiftc -sanitize=fuzzer` over
// Sources/Patch and this file, as one module). Each input is tried twice against a fixed tree:
// as a model's reply (extract → parse → validate → resolve, what the runner does) and as a bare diff
// (parse → validate → resolve). Besides crashes and hangs it checks one property: a canonical diff the
// engine produced is accepted again as is, with no repair, on the path that produced it. (Across paths
// it need not be: a bare diff's line may end in CR as content, which a model's reply reads as CRLF.)

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
    if case .success(let resolved) = asModelReply(text) {
        expectStable(resolved, on: asModelReply)
    }
    if case .success(let resolved) = asBareDiff(text) {
        expectStable(resolved, on: asBareDiff)
    }
    return 0
}

/// What the runner does with a model's reply.
func asModelReply(_ text: String) -> Result<ResolvedPatch, PatchError> {
    PatchEngine.prepare(text, against: fuzzTree)
}

/// A diff taken as it is: parse → validate → resolve, no extraction or CRLF normalisation.
func asBareDiff(_ text: String) -> Result<ResolvedPatch, PatchError> {
    Result { () throws(PatchError) -> ResolvedPatch in
        let patch = try PatchEngine.parse(text)
        try PatchEngine.validate(patch, policy: PatchPolicy(), tree: fuzzTree)
        return try PatchEngine.resolve(patch, against: fuzzTree)
    }
}

/// A canonical diff is a fixed point of the path that produced it.
func expectStable(_ resolved: ResolvedPatch, on path: (String) -> Result<ResolvedPatch, PatchError>) {
    switch path(resolved.canonicalDiff) {
    case .success(let again):
        if again.canonicalDiff != resolved.canonicalDiff || again.repaired {
            fail(
                "canonical diff changed on a second pass (repairs: \(again.repairs)):\n\(resolved.canonicalDiff)\n--- became ---\n\(again.canonicalDiff)"
            )
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
