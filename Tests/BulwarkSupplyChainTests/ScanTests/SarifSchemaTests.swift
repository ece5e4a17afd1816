import Foundation
import Testing
@testable import BulwarkSupplyChain

/// The OASIS SARIF 2.1.0 schema from Fixtures/scan/sarif (get_sarif_schema.sh fetches it).
private func sarifValidator() throws -> JSONSchemaValidator {
    let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return try JSONSchemaValidator(directory: url.appendingPathComponent("scan/sarif").path, root: "sarif-schema-2.1.0.json")
}

private func sarifJSON(_ files: [ScannedFile]) throws -> JSONValue {
    try JSONParser.parse(Array(try JSONEncoder().encode(ScanSarifLog(files: files))), maxDepth: 256)
}

@Test func scanSarifLogValidatesAgainstTheSarif210Schema() async throws {
    let folder = try ScanFixtures.path("")
    let files = await ArtifactScanner().scan(paths: [folder], jobs: 2)
    #expect(files.contains { $0.verdict == .malicious } && files.contains { $0.verdict == .clean } && files.contains { $0.verdict == .unsupported })
    let log = try sarifJSON(files)
    let errors = try sarifValidator().errors(log)
    #expect(errors.isEmpty, "\(errors.prefix(10))")
    let results = log["runs"]?.arrayValue?.first?["results"]?.arrayValue ?? []
    #expect(results.count == files.reduce(0) { $0 + $1.findings.count + ($1.verdict == .unsupported || $1.verdict == .error ? 1 : 0) })
}

@Test func pathsBecomeURIReferencesAndOffsetsRegions() throws {
    #expect(ScanSarifLog.uriReference("models/a b%.pt") == "models/a%20b%25.pt")
    let file = ScannedFile(path: "m/x y.pkl", format: "pickle", verdict: .malicious,
                           findings: [ScanFinding(severity: .critical, rule: "pickle.dangerous-callable", detail: "os.system", offset: 7)])
    let log = try sarifJSON([file])
    #expect(try sarifValidator().errors(log).isEmpty)
    let location = log["runs"]?.arrayValue?.first?["results"]?.arrayValue?.first?["locations"]?.arrayValue?.first?["physicalLocation"]
    #expect(location?["artifactLocation"]?["uri"]?.stringValue == "m/x%20y.pkl")
    #expect(location?["region"]?["byteOffset"] == .number("7"))
}

@Test func schemaRejectsWhatSarifForbids() throws {
    let validator = try sarifValidator()
    let good = try sarifJSON([ScannedFile(path: "a", format: "pickle", verdict: .suspicious, findings: [ScanFinding(severity: .medium, rule: "r", detail: "d", offset: nil)])])
    #expect(validator.errors(good).isEmpty)
    // A level outside none/note/warning/error, a missing version, a byte offset below -1.
    let bad = [
        #"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}"#,
        #"{"runs":[{"tool":{"driver":{"name":"x"}}}]}"#,
        #"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a"},"region":{"byteOffset":-2}}}]}]}]}"#,
    ]
    for text in bad { #expect(!validator.errors(try JSONParser.parse(Array(text.utf8))).isEmpty, "\(text)") }
}

@Test func committedCorpusLogIsValidForThisValidatorToo() throws {
    // bulwark-corpus.sarif was validated with Python jsonschema by get_sarif_schema.sh.
    let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("scan/sarif/bulwark-corpus.sarif")
    let log = try JSONParser.parse(Array(try Data(contentsOf: url)), maxDepth: 256)
    #expect(try sarifValidator().errors(log).isEmpty)
}
