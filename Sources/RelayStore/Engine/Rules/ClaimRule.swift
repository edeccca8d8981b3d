import Foundation
import RelayCore

/// How many due messages a claim may take, and from where: each endpoint within its concurrency and its
/// circuit, the forwards within their pools (SPEC §4, §11).
enum ClaimRule {
    /// What a claim may take from one endpoint: how many, and whether this is the single probe of an open circuit.
    static func take(from load: EndpointLoad, room: Int, now: Date) -> (take: Int, probe: Bool) {
        let take = min(load.endpoint.concurrency - load.inFlight, room)
        switch CircuitBreaker.state(nextProbeAt: load.endpoint.nextProbeAt, now: now) {
        case .closed: return (take, false)
        case .open: return (0, false)
        // One probe at a time; the next may go a probe interval later unless this one succeeds.
        case .probing: return load.inFlight == 0 && take > 0 ? (1, true) : (0, false)
        }
    }

    /// The control plane's share of a forward claim.
    static func controlPlaneTake(_ load: ForwardLoad, room: Int, lease: LeaseTerms) -> Int {
        max(0, min(room, lease.forwardConcurrency - load.controlPlane))
    }

    /// The callback forwards to take, in due order, as long as their URL has room and the pool does: a
    /// stalling URL holds `callbackURLConcurrency` slots of the callback pool, not all of them.
    static func callbackForwards(_ candidates: [ForwardCandidate], load: ForwardLoad, room: Int, lease: LeaseTerms) -> [String] {
        var room = callbackRoom(load, room: room, lease: lease)
        var perURL = load.byCallbackURL
        var picked: [String] = []
        for candidate in candidates where room > 0 {
            guard perURL[candidate.url, default: 0] < lease.callbackURLConcurrency else { continue }
            perURL[candidate.url, default: 0] += 1
            picked.append(candidate.id)
            room -= 1
        }
        return picked
    }

    /// What the callback URLs' pool may still take in this claim.
    static func callbackRoom(_ load: ForwardLoad, room: Int, lease: LeaseTerms) -> Int {
        min(lease.forwardConcurrency - load.byCallbackURL.values.reduce(0, +), room)
    }

    /// How many due callback forwards a claim looks at (through the index, never the whole backlog).
    static let candidateWindow = 256
}
