/// The normalized outcome of a request (SPEC §1).
public enum Decision: String, Sendable, Codable, CaseIterable {
    case approved
    case denied
    case expired
    case failed
    case applied
    /// A cancel (SPEC §12): never a peer's word, only the cancel door's.
    case cancelled
}
