internal import Foundation
import BulwarkArchive

/// One `-----BEGIN LABEL----- … -----END LABEL-----` block of a PEM file.
struct PEMBlock: Sendable {
    let label: String
    var der: [UInt8]

    /// Largest PEM file read (keys and certificate bundles are small).
    static let maxFileBytes = 16 << 20

    /// Every block of `text`, in order; text outside blocks is ignored (as OpenSSL does).
    static func parseAll(_ bytes: [UInt8], file: String) throws(SigningError) -> [PEMBlock] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SigningError(.key, "'\(file)' is not a PEM text file")
        }
        var blocks: [PEMBlock] = []
        var currentLabel: String?
        var body = ""
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if let label = currentLabel {
                if line == "-----END \(label)-----" {
                    guard let der = Data(base64Encoded: body) else {
                        throw SigningError(.key, "'\(file)': the \(label) block is not valid base64")
                    }
                    blocks.append(PEMBlock(label: label, der: Array(der)))
                    currentLabel = nil
                    body = ""
                } else if line.hasPrefix("-----") {
                    throw SigningError(.key, "'\(file)': the \(label) block is not terminated")
                } else if line.contains(":") {
                    // RFC 1421 headers such as "Proc-Type: 4,ENCRYPTED" mark legacy encrypted keys.
                    if line.hasPrefix("Proc-Type:") && line.contains("ENCRYPTED") {
                        throw SigningError(.key, "'\(file)' holds an encrypted private key; decrypt it first (openssl ec -in KEY -out PLAIN)")
                    }
                } else {
                    body += line
                }
            } else if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                currentLabel = String(line.dropFirst(11).dropLast(5))
            }
        }
        if let label = currentLabel { throw SigningError(.key, "'\(file)': the \(label) block is not terminated") }
        return blocks
    }

    /// PEM text for `der` under `label` as OpenSSL and Python's `cryptography` write it: base64
    /// in lines of 64 characters, each line ending in a newline.
    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Array(Data(der).base64EncodedString().utf8)
        var text = "-----BEGIN \(label)-----\n"
        var start = 0
        while start < base64.count {
            let end = min(base64.count, start + 64)
            text += String(decoding: base64[start..<end], as: UTF8.self) + "\n"
            start = end
        }
        return text + "-----END \(label)-----\n"
    }
}

/// Reads a whole small file, refusing ones larger than `limit` bytes.
func readSmallFile(_ path: String, limit: Int, what: String) throws(SigningError) -> [UInt8] {
    if let kind = FileChecks.nonRegularKind(path) { throw SigningError(.io, "\(what) '\(path)' is not a regular file (\(kind))") }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw SigningError(.io, "cannot open \(what) '\(path)'")
    }
    defer { try? handle.close() }
    let data: Data
    do {
        data = try handle.read(upToCount: limit + 1) ?? Data()
    } catch {
        throw SigningError(.io, "cannot read \(what) '\(path)': \(error.localizedDescription)", underlying: error)
    }
    guard data.count <= limit else { throw SigningError(.io, "\(what) '\(path)' is larger than \(limit) bytes") }
    return Array(data)
}

/// Overwrites `bytes` with zeros (for key material that is no longer needed).
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        guard let base = raw.baseAddress else { return }
        memset(base, 0, raw.count)
    }
}
