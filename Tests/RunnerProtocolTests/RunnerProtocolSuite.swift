import Testing

/// Every suite of this target, run one test at a time: they start servers and threads, and the CI
/// machine has two cores.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct RunnerProtocolSuite {}
