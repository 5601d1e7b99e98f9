import Testing

/// README's configuration table against the code: every variable either executable reads is listed,
/// every listed variable (and flag) is read by the executables the table names, and the defaults agree.
struct ConfigurationTableTests {
    @Test func everyVariableTheCodeReadsIsInTheTable() throws {
        let table = try ConfigurationTable()
        let scan = try SourceScan()
        for role in [DeployedContainer.Role.agent, .runner] {
            for variable in scan.reads[role, default: []].subtracting(SourceScan.standardVariables).sorted() {
                #expect(
                    table.rows[variable]?.readBy.contains(role) == true,
                    "the \(role) reads \(variable) but README's configuration table does not list it for the \(role)")
            }
        }
        for variable in scan.sharedReads.subtracting(SourceScan.standardVariables).sorted() {
            #expect(
                table.rows[variable] != nil,
                "a module both executables link reads \(variable), which README's configuration table does not list")
        }
    }

    @Test func everyTableVariableIsReadByTheExecutablesItNames() throws {
        let table = try ConfigurationTable()
        let scan = try SourceScan()
        for row in table.rows.values.sorted(by: { $0.variable < $1.variable }) {
            #expect(
                !row.readBy.isEmpty, "README's configuration table: \(row.variable) names no reader (agent, runner)")
            for role in row.readBy {
                #expect(
                    scan.mentions(row.variable, in: role),
                    "README says the \(role) reads \(row.variable), but its code never names it")
            }
        }
    }

    @Test func tableFlagsExistInTheCode() throws {
        let table = try ConfigurationTable()
        let scan = try SourceScan()
        for row in table.rows.values.sorted(by: { $0.variable < $1.variable }) {
            for flag in row.flag.matches(of: /--[a-z][a-z0-9-]*/).map({ String($0.output) }) {
                // swift-argument-parser derives --cache-dir from a property named cacheDir.
                let property = flag.dropFirst(2).split(separator: "-").enumerated()
                    .map {
                        $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst()
                    }.joined()
                #expect(
                    row.readBy.contains { scan.text[$0]?.contains("var \(property)") == true },
                    "README's configuration table names \(flag) for \(row.variable), but no command has a property \(property)"
                )
            }
        }
    }

    @Test func tableDefaultsAgreeWithTheCodeAndTheDesign() throws {
        let table = try ConfigurationTable()
        let scan = try SourceScan()
        for row in table.rows.values.sorted(by: { $0.variable < $1.variable }) {
            for code in Set(scan.codeDefaults(of: row.variable)) {
                #expect(
                    row.defaultCell.contains("`\(code)`"),
                    "\(row.variable): README's default is \(row.defaultCell), the code uses \"\(code)\"")
            }
        }
        // The seed's addresses and ports. RAG and SRM are off unless configured (a default address that
        // usually does not resolve would put a failed call in every task's notes), so the table names the
        // seed's address as the example instead.
        let expected = ["KAFKA_BOOTSTRAP": "kafka:9092", "METRICS_PORT": "9600"]
        for (variable, value) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(table.rows[variable]?.defaultValue == value, "\(variable): README's default should be \(value)")
        }
        for (variable, example) in [("RAG_ADDR", "rag_service:9100"), ("SRM_ADDR", "srm:9090")] {
            #expect(
                table.rows[variable]?.meaning.contains("`\(example)`") == true,
                "\(variable): README should name the seed's address \(example)")
        }
    }
}
