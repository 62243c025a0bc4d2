import Foundation
import Hummingbird

/// RFC 9457 problem details.
struct Problem: Error, Sendable {
    var status: HTTPResponse.Status
    var title: String
    var detail: String

    var response: Response {
        let object: [String: Any] = ["type": "about:blank", "title": title, "status": status.code, "detail": detail]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: status, headers: [.contentType: "application/problem+json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ detail: String) -> Problem { Problem(status: .badRequest, title: "Bad request", detail: detail) }
    static func notFound(_ detail: String) -> Problem { Problem(status: .notFound, title: "Not found", detail: detail) }
    static func unavailable(_ detail: String) -> Problem { Problem(status: .serviceUnavailable, title: "Owner not known yet", detail: detail) }
}

/// JSON responses.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
