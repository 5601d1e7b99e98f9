import CRdKafka

/// Called inside `rd_kafka_consumer_poll` when the group hands out or takes back partitions.
/// Commits are synchronous for the caller, so nothing is pending here: revoking just stops fetching,
/// and the next owner starts at the last acknowledged commit.
let rdKafkaRebalance:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { handle, err, partitions, _ in
        guard let handle else { return }
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        let logger = RDKafkaContext.of(handle)?.logger
        let names = describe(partitions)
        if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            logger?.info("assigned \(names)")
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, partitions) { rd_kafka_error_destroy(error) }
            } else {
                _ = rd_kafka_assign(handle, partitions)
            }
        } else {
            let lost = rd_kafka_assignment_lost(handle) != 0
            logger?.info("\(lost ? "lost" : "revoked") \(names)")
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) { rd_kafka_error_destroy(error) }
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
        }
    }

private func describe(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> String {
    guard let list else { return "[]" }
    let items = (0..<Int(list.pointee.cnt)).map { index in
        let element = list.pointee.elems[index]
        return "\(String(cString: element.topic))[\(element.partition)]"
    }
    return "[\(items.joined(separator: ", "))]"
}
