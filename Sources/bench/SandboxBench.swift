enum SandboxBench {
    static func run() async throws {
        print("(no sandbox benchmark yet)")
    }
}
