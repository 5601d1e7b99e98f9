// `bench [patch|sandbox|kafka|check|all]`: every figure is printed next to a baseline measured in the same run.
let which = CommandLine.arguments.dropFirst().first ?? "all"
let suites: [(String, () async throws -> Void)] = [
    ("patch", PatchBench.run),
    ("sandbox", SandboxBench.run),
    ("kafka", KafkaBench.run),
    ("check", CheckBench.run),
]
for (name, run) in suites where which == "all" || which == name {
    print("== \(name)")
    try await run()
}
