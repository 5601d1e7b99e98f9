import Contracts

extension CheckReport {
    /// JUnit XML for CI systems: one test case per step, failed steps carry their new failures.
    public func junitXML() -> String {
        let failures =
            steps.filter { $0.status == .failed }.count + (tamper.isEmpty ? 0 : 1) + (configChangeFails ? 1 : 0)
        let errors = steps.filter { $0.status == .error }.count
        let skipped = steps.filter { $0.status == .skipped }.count
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml +=
            #"<testsuite name="selfcheck" tests="\#(steps.count + 2)" failures="\#(failures)" errors="\#(errors)" skipped="\#(skipped)" time="\#(Double(durationMs) / 1000)">"#
            + "\n"
        for step in steps {
            xml +=
                #"  <testcase classname="selfcheck" name="\#(escape(step.name))" time="\#(Double(step.durationMs) / 1000)">"#
            switch step.status {
            case .failed:
                let message =
                    step.limitHit == .none
                    ? "\(step.newFailures.count) new failure(s)" : "limit hit: \(step.limitHit.name)"
                let body =
                    step.newFailures.map { "\($0.key): \($0.message)" }.joined(separator: "\n") + "\n" + step.outputTail
                xml += #"<failure message="\#(escape(message))">\#(escape(body))</failure>"#
            case .error:
                xml += #"<error message="\#(escape(step.note))">\#(escape(step.outputTail))</error>"#
            case .skipped:
                xml += #"<skipped message="\#(escape(step.note))"/>"#
            default:
                break
            }
            xml += "</testcase>\n"
        }
        xml += #"  <testcase classname="selfcheck" name="tamper-guard">"#
        if !tamper.isEmpty {
            let body = tamper.map { "\($0.key): \($0.message)" }.joined(separator: "\n")
            xml += #"<failure message="tests that ran at the base no longer run">\#(escape(body))</failure>"#
        }
        xml += "</testcase>\n"
        xml += configJUnitCase()
        xml += "</testsuite>\n"
        return xml
    }

    /// Config findings fail the check unless they were allowed (`judgeConfigChanges` names them in the reason).
    private var configChangeFails: Bool { !configChanges.isEmpty && reason.contains("config: ") }

    private func configJUnitCase() -> String {
        var xml = #"  <testcase classname="selfcheck" name="config-guard">"#
        if configChangeFails {
            let body = configChanges.map { "\($0.key): \($0.message)" }.joined(separator: "\n")
            xml += #"<failure message="the patch changes tool configuration">\#(escape(body))</failure>"#
        }
        return xml + "</testcase>\n"
    }

    private func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            // XML 1.0 cannot carry other control characters, even escaped.
            case _ where scalar.value < 0x20: out += "?"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
