import CRdKafka
import Dispatch

extension KafkaConsumer {
    /// The offset after the last message of each partition of `topic` (its high watermark), from
    /// `rd_kafka_metadata` and `rd_kafka_query_watermark_offsets`. Do not call it during `close()`.
    /// - Throws: `KafkaError` when the broker does not answer within `timeout`.
    public func endOffsets(topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [Int32: Int64] {
        let handle = self.handle
        let result: Result<[Int32: Int64], KafkaError> = await withCheckedContinuation { continuation in
            // Metadata and watermark queries block; they are thread-safe, so any plain thread will do.
            DispatchQueue.global().async {
                continuation.resume(
                    returning: Self.queryEndOffsets(
                        handle.pointer, topic: topic, timeoutMs: Int32(clamping: timeout.milliseconds)))
            }
        }
        return try result.get()
    }

    fileprivate static func queryEndOffsets(_ handle: OpaquePointer, topic: String, timeoutMs: Int32) -> Result<
        [Int32: Int64], KafkaError
    > {
        let context = "end offsets of \(topic)"
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            return .failure(KafkaError(code: KafkaErrorCode(rd_kafka_last_error()), context: context))
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 0, topicHandle, &metadata, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            return .failure(KafkaError(code: KafkaErrorCode(err), context: context))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt == 1, metadata.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let topicErr =
                metadata.pointee.topic_cnt == 1
                ? metadata.pointee.topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
            return .failure(KafkaError(code: KafkaErrorCode(topicErr), context: context))
        }
        let topicMetadata = metadata.pointee.topics[0]
        var result: [Int32: Int64] = [:]
        for index in 0..<Int(topicMetadata.partition_cnt) {
            let partition = topicMetadata.partitions[index].id
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMs)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                return .failure(KafkaError(code: KafkaErrorCode(err), context: "\(context)[\(partition)]"))
            }
            result[partition] = high
        }
        return .success(result)
    }
}
