enum PatchBench {
    static func run() async throws {
        print("(no patch benchmark yet)")
    }
}
