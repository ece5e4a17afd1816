import Foundation

/// Quotes a word for a POSIX shell when it holds anything but safe characters; used to print the
/// command that reproduces a finding. Package-internal: not part of Bulwark's public API.
package func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
