enum KafkaBench {
    static func run() async throws {
        print("(no kafka benchmark yet)")
    }
}
