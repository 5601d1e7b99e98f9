import Testing

/// Every sandbox test, one at a time: they start processes, and the escape cases block a thread each
/// while a black-box runner works, which must not starve the async API tests of the cooperative pool.
@Suite(.serialized)
enum SandboxSuites {}
