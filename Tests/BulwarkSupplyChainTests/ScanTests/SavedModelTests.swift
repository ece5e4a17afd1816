import Testing
@testable import BulwarkSupplyChain
import BulwarkArchive

@Test(arguments: ["benign-savedmodel_tf2-saved_model.pb", "benign-savedmodel_tf1-saved_model.pb"])
func savedModelWithOnlyTheSaverTouchingFilesIsClean(name: String) throws {
    let file = ArtifactScanner().scanFile(path: try ScanFixtures.path(name))
    #expect(file.format == "tf-savedmodel")
    #expect(file.findings.isEmpty, "\(file.findings)")
    #expect(file.verdict == .clean)
}

@Test(arguments: [("malicious-savedmodel_readfile-saved_model.pb", "tensorflow.dangerous-op", "ReadFile node 'ReadFile' in function __inference_serve_20"),
                  ("malicious-savedmodel_writefile-saved_model.pb", "tensorflow.dangerous-op", "WriteFile node 'WriteFile' in graph"),
                  ("malicious-savedmodel_pyfunc-saved_model.pb", "tensorflow.dangerous-op", "EagerPyFunc"),
                  ("malicious-savedmodel_matching_files_tf1-saved_model.pb", "tensorflow.dangerous-op", "MatchingFiles"),
                  ("malicious-savedmodel_restore_in_serving-saved_model.pb", "tensorflow.checkpoint-op-outside-saver", "RestoreV2 node 'RestoreV2' in function __inference_serve_20"),
                  ("malicious-savedmodel_calls_saver-saved_model.pb", "tensorflow.checkpoint-op-outside-saver", "SaveV2 node 'SaveV2' in function __inference__traced_save_45")])
func savedModelFileAndPythonOpsAreMalicious(name: String, rule: String, detail: String) throws {
    let file = ArtifactScanner().scanFile(path: try ScanFixtures.path(name))
    #expect(file.format == "tf-savedmodel")
    #expect(file.verdict == .malicious)
    #expect(file.findings.contains { $0.rule == rule && $0.detail.hasPrefix(detail) }, "\(file.findings)")
}

@Test func savedModelReaderReadsFunctionsCallsAndTags() throws {
    let info = try SavedModelInfo(bytes: try ScanFixtures.bytes("benign-savedmodel_tf2-saved_model.pb"))
    #expect(info.schemaVersion == 1 && info.tags == [["serve"]] && info.hasSaver)
    #expect(info.functions.contains("__inference__traced_save_45"))
    #expect(info.nodes.first { $0.name == "StatefulPartitionedCall_1" }?.calls == ["__inference__traced_save_45"])
    #expect(info.nodes.contains { $0.op == "SaveV2" && $0.function == "__inference__traced_save_45" })
}

@Test func truncatedSavedModelIsAFindingNotACrash() throws {
    let good = try ScanFixtures.bytes("benign-savedmodel_tf2-saved_model.pb")
    for cut in stride(from: 3, to: good.count, by: 11) {
        let (format, findings, _) = try ArtifactScanner().scanSource(MemorySource(Array(good.prefix(cut))), directory: ".")
        #expect(format == "tf-savedmodel")
        #expect(findings.contains { $0.rule == "tensorflow.malformed" }, "cut at \(cut)")
    }
    #expect(throws: FormatError.self) { try SavedModelInfo(bytes: [0x08, 0x01, 0x12, 0x7f, 0x0a]) }
}

@Test func savedModelDataFilesAreRecognisedOnlyNextToSavedModelPb() {
    let exists: (String) -> Bool = { $0 == "m/saved_model.pb" }
    #expect(ArtifactScanner.isSavedModelDataFile("m/variables/variables.index", exists: exists))
    #expect(ArtifactScanner.isSavedModelDataFile("m/variables/variables.data-00000-of-00001", exists: exists))
    #expect(ArtifactScanner.isSavedModelDataFile("m/fingerprint.pb", exists: exists))
    #expect(!ArtifactScanner.isSavedModelDataFile("other/variables/variables.index", exists: exists))
    #expect(!ArtifactScanner.isSavedModelDataFile("m/variables/evil.pkl", exists: exists))
}

@Test func saverScopeIsOnlyTheTF1SaveNameScope() {
    #expect(ArtifactScanner.isSaverScope("save/SaveV2") && ArtifactScanner.isSaverScope("save_3/RestoreV2"))
    #expect(!ArtifactScanner.isSaverScope("saver/SaveV2") && !ArtifactScanner.isSaverScope("save_x/SaveV2") && !ArtifactScanner.isSaverScope("SaveV2"))
}

@Test func kerasMetadataOfASavedModelGetsTheKerasChecks() throws {
    let benign = ArtifactScanner().scanFile(path: try ScanFixtures.path("benign-keras_savedmodel/keras_metadata.pb"))
    #expect(benign.format == "keras-metadata" && benign.verdict == .clean, "\(benign.findings)")
    let evil = ArtifactScanner().scanFile(path: try ScanFixtures.path("malicious-keras_savedmodel_lambda/keras_metadata.pb"))
    #expect(evil.verdict == .malicious)
    #expect(evil.findings.contains { $0.rule == "keras.lambda-layer" && $0.detail.hasPrefix("root.layer-1") })
    let meta = try KerasSavedMetadata(bytes: try ScanFixtures.bytes("malicious-keras_savedmodel_lambda/keras_metadata.pb"))
    #expect(meta.nodes.map(\.path) == ["root.layer-0", "root.layer-1"])
    #expect(throws: FormatError.self) { try KerasSavedMetadata(bytes: [0x0a, 0x50, 0x1a]) }
}

@Test func kerasLayerMetadataInTheObjectGraphIsChecked() throws {
    let file = ArtifactScanner().scanFile(path: try ScanFixtures.path("malicious-keras_savedmodel_lambda-saved_model.pb"))
    #expect(file.verdict == .malicious)
    #expect(file.findings.contains { $0.rule == "keras.lambda-layer" && $0.detail.hasPrefix("object graph") })
    let info = try SavedModelInfo(bytes: try ScanFixtures.bytes("malicious-keras_savedmodel_lambda-saved_model.pb"))
    #expect(info.userObjectMetadata.count == 2)
}
