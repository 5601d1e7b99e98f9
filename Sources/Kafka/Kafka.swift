// Kafka consumer and producer over librdkafka, and the development cluster.
