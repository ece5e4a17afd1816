import BulwarkArchive
import Crypto
import Foundation
import Testing
@testable import BulwarkSupplyChain

/// Fixtures/bom, made by scripts/sign-bom-fixtures.py make-fixtures.
enum BOMFixtures {
    static func path(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return url.appendingPathComponent("bom").appendingPathComponent(name).path
    }

    static func validator() throws -> JSONSchemaValidator {
        try JSONSchemaValidator(directory: try path("schema"), root: "bom-1.6.schema.json")
    }

    static let fixedTime = Date(timeIntervalSince1970: 1_767_225_600)
}

@Suite struct SchemaValidatorTests {
    /// The Swift validator agrees with Python's jsonschema on every committed case, valid and invalid.
    @Test func agreesWithPythonJSONSchema() throws {
        let validator = try BOMFixtures.validator()
        let verdicts = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: try BOMFixtures.path("schema-cases/verdicts.json")))))
        guard case .object(let cases) = verdicts else { Issue.record("verdicts.json is not an object"); return }
        #expect(cases.count >= 15)
        var invalidSeen = 0
        for entry in cases {
            let expected = try #require(entry.value.boolValue)
            let document = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: try BOMFixtures.path("schema-cases/\(entry.key).json")))))
            let errors = validator.errors(document)
            #expect(errors.isEmpty == expected, "\(entry.key): \(errors)")
            if !expected { invalidSeen += 1 }
        }
        #expect(invalidSeen >= 10)
    }
}

@Suite struct MLBOMTests {
    func build(_ model: String, card: ModelCard = ModelCard(), signature: String? = nil) async throws -> (MLBOM, JSONValue) {
        let options = MLBOMOptions(card: card, signatureFile: signature, timestamp: BOMFixtures.fixedTime)
        let bom = try await MLBOMBuilder.build(modelAt: model, options: options)
        return (bom, try JSONParser.parse(bom.json))
    }

    func property(_ component: JSONValue?, _ name: String) -> String? {
        component?["properties"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["value"]?.stringValue
    }

    @Test func onnxModelWithYAMLCardValidates() async throws {
        let card = try ModelCard(file: try BOMFixtures.path("card.yaml"))
        let (bom, json) = try await build(try BOMFixtures.path("tiny-mlp.onnx"), card: card)
        let errors = try BOMFixtures.validator().errors(json)
        #expect(errors.isEmpty, "\(errors)")
        let model = json["metadata"]?["component"]
        #expect(model?["type"]?.stringValue == "machine-learning-model")
        #expect(model?["name"]?.stringValue == "tiny-mlp")
        #expect(model?["version"]?.stringValue == "1.2.0")
        let expected = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: try BOMFixtures.path("expected.json")))))
        let parameters = try #require(expected["tiny-mlp.onnx"]?.int64Value)
        #expect(bom.inspection.parameterCount == parameters)
        #expect(property(model, "bulwark:parameter-count") == String(parameters))
        #expect(property(model, "bulwark:format") == "onnx")
        let architecture = try #require(model?["modelCard"]?["modelParameters"]?["modelArchitecture"]?.stringValue)
        #expect(architecture.contains("opset ai.onnx 17"))
        #expect(architecture.contains("Gemm") && architecture.contains("Relu"))
        #expect(model?["modelCard"]?["modelParameters"]?["datasets"]?.arrayValue?.count == 2)
        #expect(model?["modelCard"]?["quantitativeAnalysis"]?["performanceMetrics"]?.arrayValue?.first?["value"]?.stringValue == "0.93")
        #expect(model?["modelCard"]?["considerations"]?["technicalLimitations"]?.arrayValue?.first?.stringValue == "Trained on synthetic data only")
        // A single-file model carries the file's SHA-256 itself.
        let hash = model?["hashes"]?.arrayValue?.first
        #expect(hash?["alg"]?.stringValue == "SHA-256")
        #expect(hash?["content"]?.stringValue == bom.manifest.resources.first?.digestHex)
    }

    @Test func safetensorsDirectoryReadsConfigAndCountsParameters() async throws {
        let card = try ModelCard(file: try BOMFixtures.path("card.json"))
        let (bom, json) = try await build(try BOMFixtures.path("hf-model"), card: card)
        #expect(try BOMFixtures.validator().errors(json).isEmpty)
        let expected = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: try BOMFixtures.path("expected.json")))))
        #expect(bom.inspection.parameterCount == expected["hf-model"]?.int64Value)
        let parameters = json["metadata"]?["component"]?["modelCard"]?["modelParameters"]
        #expect(parameters?["modelArchitecture"]?.stringValue == "TinyMLPForClassification")
        #expect(parameters?["architectureFamily"]?.stringValue == "tinymlp")
        let files = try #require(json["components"]?.arrayValue)
        #expect(files.map { $0["name"]?.stringValue } == ["config.json", "model.safetensors"])
        let weights = files[1]
        #expect(property(weights, "bulwark:format") == "safetensors")
        #expect(property(weights, "bulwark:architecture")?.contains("1 F32") == true)
        #expect(json["dependencies"]?.arrayValue?.first?["dependsOn"]?.arrayValue?.count == 2)
    }

    @Test func signatureDigestIsRecorded() async throws {
        let signature = try SigningFixtures.path("ms-key-files.sig")
        let (bom, json) = try await build(try SigningFixtures.path("model"), signature: signature)
        #expect(try BOMFixtures.validator().errors(json).isEmpty)
        let reference = try #require(json["metadata"]?["component"]?["externalReferences"]?.arrayValue?.first)
        #expect(reference["type"]?.stringValue == "digital-signature")
        let digest = try #require(bom.signatureDigestHex)
        #expect(reference["hashes"]?.arrayValue?.first?["content"]?.stringValue == digest)
        #expect(digest == hexString(SHA256.hash(data: try SigningFixtures.bytes("ms-key-files.sig"))))
        // The manifest digest is the one model-signing signed for this model.
        let signed = try InTotoStatement.decode(try SigningFixtures.bytes("ms-key-files.statement.json"))
        #expect(property(json["metadata"]?["component"], "openssf-model-signing:manifest-digest") == "sha256:" + hexString(signed.rootDigest))
    }

    @Test func outputIsReproducible() async throws {
        let (first, _) = try await build(try BOMFixtures.path("hf-model"))
        let (second, _) = try await build(try BOMFixtures.path("hf-model"))
        #expect(first.json == second.json)
        let other = try await MLBOMBuilder.build(modelAt: try BOMFixtures.path("hf-model"), options: MLBOMOptions(card: { var c = ModelCard(); c.version = "2"; return c }(), timestamp: BOMFixtures.fixedTime))
        let serial = { (bytes: [UInt8]) in try JSONParser.parse(bytes)["serialNumber"]?.stringValue }
        #expect(try serial(first.json) != serial(other.json))
    }

    /// The validator really validates: breaking a real BOM makes it fail.
    @Test func brokenBOMsFailValidation() async throws {
        let (_, json) = try await build(try BOMFixtures.path("tiny-mlp.onnx"), card: try ModelCard(file: try BOMFixtures.path("card.yaml")))
        let validator = try BOMFixtures.validator()
        #expect(validator.errors(json).isEmpty)
        func replacing(_ value: JSONValue, at path: [String], with replacement: JSONValue?) -> JSONValue {
            guard let key = path.first, case .object(var members) = value, let index = members.firstIndex(where: { $0.key == key }) else { return value }
            if path.count == 1 {
                if let replacement { members[index] = JSONMember(key, replacement) } else { members.remove(at: index) }
            } else {
                members[index] = JSONMember(key, replacing(members[index].value, at: Array(path.dropFirst()), with: replacement))
            }
            return .object(members)
        }
        let broken: [(String, JSONValue)] = [
            ("no specVersion", replacing(json, at: ["specVersion"], with: nil)),
            ("bad component type", replacing(json, at: ["metadata", "component", "type"], with: .string("model"))),
            ("bad approach", replacing(json, at: ["metadata", "component", "modelCard", "modelParameters", "approach"], with: .object([JSONMember("type", .string("guessing"))]))),
            ("bad hash", replacing(json, at: ["metadata", "component", "hashes"], with: .array([.object([JSONMember("alg", .string("SHA-256")), JSONMember("content", .string("zz"))])]))),
            ("bad serial", replacing(json, at: ["serialNumber"], with: .string("1234"))),
            ("unknown field", .object((json.objectMembers ?? []) + [JSONMember("parameterCount", .integer(67))])),
        ]
        for (name, document) in broken {
            #expect(!validator.errors(document).isEmpty, "\(name) passed validation")
        }
    }

    @Test func cardFilesAreChecked() throws {
        let yaml = "name: x\ndatasets:\n  - a\n  - b\nmetrics:\n  - type: accuracy\n    value: 0.5\n"
        let card = try ModelCard(bytes: Array(yaml.utf8))
        #expect(card.datasets == ["a", "b"])
        #expect(card.metrics == [ModelCard.Metric(type: "accuracy", value: "0.5")])
        #expect(throws: BOMError.self) { _ = try ModelCard(bytes: Array("colour: blue\n".utf8)) }
        #expect(throws: BOMError.self) { _ = try ModelCard(bytes: Array("approach: guessing\n".utf8)) }
        #expect(throws: BOMError.self) { _ = try ModelCard(bytes: Array("{\"name\": ".utf8)) }
        #expect(throws: BOMError.self) { _ = try ModelCard(bytes: Array("description: |\n  long\n".utf8)) }
        var options = ModelCard()
        options.license = "MIT"
        #expect(card.overridden(by: options).license == "MIT")
        #expect(card.overridden(by: options).name == "x")
    }
}

extension JSONValue {
    var objectMembers: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
