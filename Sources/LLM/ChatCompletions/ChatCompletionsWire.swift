/// The JSON the chat-completions API speaks; only the fields we send or read.
enum ChatCompletionsWire {
    struct Request: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
        }
        struct ResponseFormat: Encodable {
            var type: String
        }

        var model: String
        var messages: [Message]
        var temperature: Double
        var responseFormat: ResponseFormat?
        var maxTokens: Int?

        enum CodingKeys: String, CodingKey {
            case model, messages, temperature
            case responseFormat = "response_format"
            case maxTokens = "max_tokens"
        }
    }

    struct Response: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                var content: String?
                var refusal: String?
            }
            var message: Message?
            var finishReason: String?

            enum CodingKeys: String, CodingKey {
                case message
                case finishReason = "finish_reason"
            }
        }
        struct Usage: Decodable {
            var promptTokens: Int?
            var completionTokens: Int?
            var totalTokens: Int?

            enum CodingKeys: String, CodingKey {
                case promptTokens = "prompt_tokens"
                case completionTokens = "completion_tokens"
                case totalTokens = "total_tokens"
            }
        }

        var choices: [Choice]?
        var usage: Usage?
    }

    /// OpenAI's error body: `{"error": {"message": …, "type": …, "code": …}}`.
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var message: String?
        }
        var error: Detail?
    }
}
