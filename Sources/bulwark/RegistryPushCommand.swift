import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `bulwark registry push`: stream a file as a new draft version, optionally through the gates.
struct RegistryPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload a model file as a new draft version (streamed, digest-checked by the server); --submit runs the gates.",
        discussion: """
        The file's SHA-256 is computed first and sent with the upload, so the server refuses \
        bytes that changed on the way. The signature bundle (bulwark sign) and the attestation \
        (bulwark attest) travel base64-encoded in request headers (48 KiB each at most).
        """
    )

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The model's name.") var model: String
    @Argument(help: "The artifact file.") var file: String
    @Option(help: "An OpenSSF Model Signing bundle for the file (bulwark sign --out).") var signature: String?
    @Option(help: "A Bulwark assessment attestation for the file (bulwark attest).") var attestation: String?
    @Option(name: .customLong("parent-version"), help: "The version of the same model this one derives from.") var parentVersion: Int?
    @Option(name: .customLong("dataset-manifest-digest"), help: "sha256:<64 hex> of the training data's manifest (bulwark data manifest).")
    var datasetManifestDigest: String?
    @Option(name: .customLong("training-command"), help: "The command line that trained the model.") var trainingCommand: String?
    @Option(help: "The file name recorded with the version (default: the file's own name).") var filename: String?
    @Flag(help: "Submit the version to the gates right after the upload (staging when they pass).") var submit = false
    @Flag(help: "Print the version as JSON.") var json = false

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw CLIError("\(file): not a readable file")
        }
        let (digest, size) = try ServerClient.sha256(ofFileAt: file)
        var headers: [(String, String)] = [("Content-Type", "application/octet-stream"), ("Accept", "application/json")]
        for (path, header) in [(signature, "Bulwark-Signature-Bundle"), (attestation, "Bulwark-Attestation")] {
            guard let path else { continue }
            guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { throw CLIError("\(path): cannot be read") }
            guard data.count <= 48 * 1024 else { throw CLIError("\(path): more than 48 KiB; the server takes bundles up to 48 KiB") }
            headers.append((header, data.base64EncodedString()))
        }
        var query: [(String, String)] = [("filename", filename ?? (file as NSString).lastPathComponent), ("sha256", digest)]
        if let parentVersion { query.append(("parentVersion", String(parentVersion))) }
        if let datasetManifestDigest { query.append(("datasetManifestDigest", datasetManifestDigest)) }
        if let trainingCommand { query.append(("trainingCommand", trainingCommand)) }
        var request = client.request(.POST, try client.url(["api", "v1", "models", model, "versions"], query: query), headers: headers)
        request.body = .stream(FileChunks(path: file, chunkSize: 256 * 1024), length: .known(size))
        let response = try await client.execute(request, timeout: ServerClient.transferTimeout)
        let bytes = try await ServerClient.collect(response, limit: 16 << 20)
        try ServerClient.check(response.status, bytes)
        var version = try ServerClient.decode(RemoteVersion.self, bytes, what: "upload")
        if !json { print("pushed \(version.model) version \(version.number) (\(version.state)), sha256:\(version.sha256), \(version.size) bytes") }
        if submit {
            (version, _) = try await client.json(.POST, ["api", "v1", "models", model, "versions", String(version.number), "submit"], as: RemoteVersion.self)
            if !json { print("submitted: gates passed, \(version.model) version \(version.number) is in \(version.state)") }
        }
        if json { try printJSON(version) }
    }
}
