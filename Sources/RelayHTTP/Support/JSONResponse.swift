import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore

/// JSON answers, encoded as every door shows documents (`APIJSON`).
enum JSONResponse {
    static func encode(_ value: some Encodable) -> Data {
        APIJSON.encode(value)
    }

    static func make(status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        raw(status: status, encode(value), headers: headers)
    }

    static func raw(status: HTTPResponse.Status, _ data: Data, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

