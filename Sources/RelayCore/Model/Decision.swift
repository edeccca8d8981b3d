/// The normalized outcome of a request (SPEC §1).
public enum Decision: String, Sendable, Codable, CaseIterable {
    case approved
    case denied
    case expired
    case failed
    case applied
}
