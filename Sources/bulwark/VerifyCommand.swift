import ArgumentParser
import BulwarkArchive
import BulwarkSupplyChain
import Foundation

/// `bulwark verify`: check a model against its OpenSSF Model Signing signature.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a model against its OpenSSF Model Signing signature (from Bulwark or model-signing).",
        discussion: """
        Checks the bundle's signature with --public-key, or its certificate chain against the CA \
        certificates of --certificate-chain, then hashes the model as the signature records \
        (files or shards, ignored paths) and compares every digest. Exit codes: 0 verified; \
        1 the model differs from what was signed (each file listed on stderr); 2 the signature \
        is malformed, invalid, or from another key or CA, or the model cannot be read.
        """
    )

    @Argument(help: "The model file or directory.")
    var model: String

    @Option(name: .customLong("public-key"), help: "PEM public key of the signer.")
    var publicKey: String?

    @Option(name: .customLong("certificate-chain"), help: "PEM CA certificates trusted to issue signing certificates. Repeatable.")
    var certificateChain: [String] = []

    @Option(help: "The signature bundle to check.")
    var signature: String?

    @Option(help: "An attestation (from bulwark attest or assess --sign-with) to check instead of a signature: its signature, that the model matches its subjects, and prints its findings.")
    var attestation: String?

    @Option(help: "With --attestation: the report.json that must be the attested one.")
    var report: String?

    @OptionGroup var hashing: HashingArguments

    @Flag(help: "Print one JSON object on stdout when verification passes (failures stay one line each on stderr).")
    var json = false

    func validate() throws {
        guard (publicKey == nil) != certificateChain.isEmpty else {
            throw ValidationError("give either --public-key or --certificate-chain (not both)")
        }
        guard (signature == nil) != (attestation == nil) else {
            throw ValidationError("give either --signature or --attestation (one of them)")
        }
        if report != nil && attestation == nil { throw ValidationError("--report goes with --attestation") }
    }

    func run() async throws {
        let resolved = try hashing.options(model: model, signature: signature ?? attestation ?? "", requireMethod: false)
        let options = ModelVerificationOptions(
            method: resolved.method,
            ignorePaths: resolved.hashing.ignorePaths,
            ignoreGitPaths: resolved.hashing.ignoreGitPaths,
            allowSymlinks: resolved.hashing.allowSymlinks,
            parallelism: resolved.hashing.parallelism
        )
        let started = Date()
        do {
            let key: ModelVerificationKey
            if let publicKey {
                key = .publicKey(try ModelSigningPublicKey(pemFile: publicKey))
            } else {
                key = .certificateAuthorities(try ModelSigningCertificate.load(pemFiles: certificateChain))
            }
            if let attestation {
                try await verifyAttestation(attestation, key: key, options: options, started: started)
                return
            }
            let verified = try await ModelVerifier.verify(modelAt: model, signatureFile: signature ?? "", key: key, options: options)
            let seconds = Date().timeIntervalSince(started)
            let manifest = verified.manifest
            if json {
                try? printJSON(VerifyResult(verified: true, model: model, files: manifest.fileCount, items: manifest.items.count,
                                           signer: verified.signer, seconds: seconds, attestation: nil))
            } else {
                print("Verified '\(model)': \(manifest.fileCount) files (\(manifest.items.count) \(manifest.serialization.method.name == "files" ? "digests" : "shards")) match the signature by \(verified.signer), in \(String(format: "%.2f", seconds)) s")
            }
        } catch {
            Terminal.note("error: \(error.message)")
            for difference in error.differences { Terminal.note("  \(difference)") }
            throw ExitCode(error.code == .modelMismatch || error.code == .reportMismatch ? 1 : 2)
        }
    }

    private func verifyAttestation(_ file: String, key: ModelVerificationKey, options: ModelVerificationOptions, started: Date) async throws(SigningError) {
        let bytes: [UInt8]
        do { bytes = try FileChecks.readRegularFile(file, maxBytes: 512 << 20) } catch { throw SigningError(.io, "cannot read the attestation: \(error.message)") }
        var reportBytes: [UInt8]?
        if let report {
            do { reportBytes = try FileChecks.readRegularFile(report, maxBytes: AssessmentAttestation.maxReportBytes) } catch { throw SigningError(.io, "cannot read the report: \(error.message)") }
        }
        let v = try await AssessmentAttestation.verify(modelAt: model, attestation: bytes, file: file, key: key, report: reportBytes, options: options)
        if json {
            try? printJSON(VerifyResult(verified: true, model: model, files: v.manifest.fileCount, items: v.manifest.items.count,
                                        signer: v.signer, seconds: Date().timeIntervalSince(started),
                                        attestation: .init(file: file, reportTitle: v.reportTitle, reportSHA256: v.reportDigestHex,
                                                           command: v.command, seed: v.seed, toolVersion: v.toolVersion,
                                                           findings: v.findings.map { .init(severity: $0.severity, title: $0.title) })))
            return
        }
        print("Verified attestation '\(file)': '\(model)' (\(v.manifest.fileCount) files) matches its subjects, signed by \(v.signer), in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        print("report: \(v.reportTitle) (sha256 \(v.reportDigestHex.prefix(16))…\(report != nil ? ", matches \(report ?? "")" : ""))")
        if !v.command.isEmpty { print("command: \(v.command)") }
        if let seed = v.seed { print("seed: \(seed), bulwark \(v.toolVersion)") }
        let order = ["critical", "high", "medium", "low", "info"]
        let counts = order.map { s in "\(v.findings.filter { $0.severity == s }.count) \(s)" }.joined(separator: ", ")
        print("findings: \(counts)")
        for f in v.findings.sorted(by: { (order.firstIndex(of: $0.severity) ?? 9) < (order.firstIndex(of: $1.severity) ?? 9) }) {
            print("  \(f.severity)  \(f.title)")
        }
    }
}

/// What `verify --json` prints when verification passes.
struct VerifyResult: Codable {
    /// What an attestation binds.
    struct Attestation: Codable {
        /// One finding of the attested report.
        struct Finding: Codable { var severity: String, title: String }
        var file: String, reportTitle: String, reportSHA256: String, command: String, seed: Int64?, toolVersion: String, findings: [Finding]
        enum CodingKeys: String, CodingKey {
            case file, command, seed, findings
            case reportTitle = "report_title", reportSHA256 = "report_sha256", toolVersion = "tool_version"
        }
    }
    var verified: Bool, model: String, files: Int, items: Int, signer: String, seconds: Double, attestation: Attestation?
}
