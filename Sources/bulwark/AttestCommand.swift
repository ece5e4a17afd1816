import ArgumentParser
import BulwarkArchive
import BulwarkSupplyChain
import Foundation

/// `bulwark attest`: sign an assessment report as an in-toto attestation bound to the model.
struct AttestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "Sign a report as an in-toto attestation whose subjects are the model's file digests.",
        discussion: """
        The statement's subjects are the model's files (or shards) with their SHA-256 digests, as \
        the OpenSSF Model Signing manifest computes them; its predicate is the report (its digest, \
        tool version, command, seed, a summary and every finding). It is written in a Sigstore \
        bundle like `sign`'s. Check it with `bulwark verify --attestation FILE --public-key P MODEL`. \
        Exit codes: 0 written; 1 bad input (report, key, paths).

          bulwark attest --model models/cnn.safetensors --report report/report.json --private-key key.pem --out cnn.attestation.json
        """
    )

    @Option(help: "The model file or directory the report assesses.")
    var model: String

    @Option(help: "The report.json written by assess, evaluate --out or privacy audit --out.")
    var report: String

    @Option(name: .customLong("private-key"), help: "PEM EC private key (P-256, P-384 or P-521; unencrypted).")
    var privateKey: String

    @Option(help: "Where to write the attestation bundle.")
    var out: String

    @OptionGroup var hashing: HashingArguments

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() async throws {
        try refuseOverwrite(out, inputs: [model, report, privateKey], trees: [model], role: "--out")
        let options = try hashing.options(model: model, signature: out, requireMethod: true)
        let started = Date()
        do {
            let reportBytes: [UInt8]
            do { reportBytes = try FileChecks.readRegularFile(report, maxBytes: AssessmentAttestation.maxReportBytes) } catch {
                throw CLIError("cannot read the report: \(error.message)")
            }
            let key = try ModelSigningPrivateKey(pemFile: privateKey)
            let attestation = try await AssessmentAttestation.sign(modelAt: model, report: reportBytes, identity: .key(key), options: options.hashing)
            try attestation.write(to: out)
            let seconds = Date().timeIntervalSince(started)
            if json {
                return try printJSON(AttestResult(model: model, files: attestation.manifest.fileCount, report: report, seconds: seconds,
                                                  attestation: out, sha256: attestation.bundleDigestHex))
            }
            print("Attested '\(model)': \(attestation.manifest.fileCount) files bound to '\(report)' in \(String(format: "%.2f", seconds)) s")
            print("Attestation: \(out) (sha256 \(attestation.bundleDigestHex))")
        } catch let error as SigningError {
            throw error
        }
    }
}

/// What `attest --json` prints.
struct AttestResult: Codable {
    var model: String, files: Int, report: String, seconds: Double, attestation: String, sha256: String
}
