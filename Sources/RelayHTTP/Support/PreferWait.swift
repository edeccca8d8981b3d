import Foundation
import HTTPTypes

/// The `wait` preference of RFC 7240 (`Prefer: wait=10`, among others, in one field or several). A preference
/// is a request, not a demand: one the relay cannot read is ignored, and one longer than `http.max_wait_sec` is
/// honoured up to it — `Preference-Applied` says how long the relay waited.
enum PreferWait {
    static func seconds(in fields: HTTPFields) -> Int? {
        for field in fields[values: .prefer] {
            for preference in field.split(separator: ",") {
                let token = preference.split(separator: ";", maxSplits: 1).first ?? ""
                let parts = token.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, parts[0].lowercased() == "wait" else { continue }
                let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                if let seconds = Int(value), seconds >= 0 { return seconds }
            }
        }
        return nil
    }
}

extension HTTPField.Name {
    static let prefer = Self("Prefer")!
    static let preferenceApplied = Self("Preference-Applied")!
}
