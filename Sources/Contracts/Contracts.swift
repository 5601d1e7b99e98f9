import SwiftProtobuf

/// The version both executables print.
public let productVersion = "0.1.0"

extension SwiftProtobuf.Message {
    /// JSON with the `.proto` field names (`exit_code`, not `exitCode`): the form our reports and task
    /// files use, and what other languages' `json_format` with `preserving_proto_field_name` reads.
    public func protoNamedJSON() throws -> String {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return try jsonString(options: options)
    }
}
