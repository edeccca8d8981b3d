import Foundation
import RelayCore
import Testing

/// SPEC §4's classification table, row by row.
@Suite struct AnswerClassificationTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func classify(_ status: Int, _ body: String = "", retryAfter: String? = nil) -> AnswerClass {
        AnswerClassification.classify(.response(status: status, retryAfter: retryAfter, body: Data(body.utf8)), now: now)
    }

    @Test(arguments: [200, 201, 202, 204])
    func emptySuccessIsDelivered(status: Int) {
        #expect(classify(status) == .delivered(verdict: nil))
    }

    @Test(arguments: [
        #"{"decision":"pending","reason":"queued","correlation_id":"c"}"#,
        #"{"status":"pending","result":"queued"}"#,
        #"not json at all"#,
        #"{"something":"else"}"#,
    ])
    func pendingOrUnrecognisedSuccessIsDelivered(body: String) {
        #expect(classify(202, body) == .delivered(verdict: nil))
    }

    @Test func syncApproverDecisionsRideAlong() {
        #expect(classify(200, #"{"decision":"approve","reason":"ok"}"#) == .delivered(verdict: .approve(reason: "ok")))
        #expect(classify(200, #"{"decision":"DENY"}"#) == .delivered(verdict: .deny(reason: nil)))
    }

    @Test func syncExecutorSuccessKeepsItsResult() {
        let answer = classify(200, #"{"status":"success","result":{"selected_option":"A","selected_index":0}}"#)
        #expect(answer == .delivered(verdict: .success(result: .object(["selected_option": .string("A"), "selected_index": .integer(0)]))))
    }

    @Test func alreadyExistsCountsAsDelivered() {
        #expect(classify(202, #"{"decision":"error","reason":"approval already exists"}"#) == .delivered(verdict: nil))
        #expect(classify(202, #"{"status":"error","result":"execution already exists"}"#) == .delivered(verdict: nil))
    }

    @Test func otherAdapterErrorsAreRetryable() {
        guard case .retryable(let reason, nil) = classify(202, #"{"decision":"error","reason":"failed to send telegram message"}"#) else {
            Issue.record("expected retryable")
            return
        }
        #expect(reason.contains("failed to send telegram message"))
        guard case .retryable = classify(200, #"{"status":"error","result":"boom"}"#) else {
            Issue.record("expected retryable")
            return
        }
    }

    @Test(arguments: [301, 302, 303, 307, 308])
    func redirectsAreFailuresNotFollowed(status: Int) {
        guard case .retryable(let reason, _) = classify(status) else {
            Issue.record("expected a retryable failure for \(status)")
            return
        }
        #expect(reason.contains("redirects are not followed"))
    }

    @Test(arguments: [400, 401, 403, 404, 405, 413, 422])
    func permanentStatusesDeadLetterAtOnce(status: Int) {
        #expect(classify(status) == .permanent(reason: "HTTP \(status)", disablesEndpoint: false))
    }

    @Test func goneDisablesTheEndpoint() {
        guard case .permanent(_, true) = classify(410) else {
            Issue.record("410 must be permanent and disable the endpoint")
            return
        }
    }

    @Test(arguments: [408, 425, 429, 500, 502, 503, 504, 599])
    func transientStatusesAreRetryable(status: Int) {
        guard case .retryable(_, nil) = classify(status) else {
            Issue.record("expected retryable for \(status)")
            return
        }
    }

    @Test func retryAfterInSeconds() {
        #expect(classify(429, retryAfter: "120") == .retryable(reason: "HTTP 429", retryAfter: 120))
    }

    @Test func retryAfterAsHTTPDate() {
        // 1_800_000_000 is Fri, 15 Jan 2027 08:00:00 GMT.
        #expect(classify(503, retryAfter: "Fri, 15 Jan 2027 08:01:30 GMT") == .retryable(reason: "HTTP 503", retryAfter: 90))
    }

    @Test func egressRefusalsArePermanent() {
        guard case .permanent(let reason, false) = AnswerClassification.classify(.transportFailure(.refusedAddress("169.254.169.254 is in 169.254.0.0/16")), now: now) else {
            Issue.record("an egress refusal must dead-letter at once")
            return
        }
        #expect(reason.contains("egress"))
    }

    @Test func transportFailuresAreRetryable() {
        for failure in [TransportFailure.connect("refused"), .dns("NXDOMAIN"), .tls("bad cert"), .timeout("no answer within 1000 ms"), .refused("127.0.0.1:9"), .bodyTooLarge(limit: 262_144)] {
            guard case .retryable = AnswerClassification.classify(.transportFailure(failure), now: now) else {
                Issue.record("expected retryable for \(failure)")
                continue
            }
        }
    }
}
