import BulwarkData
@testable import BulwarkFederated
import BulwarkTensor
import Testing

/// Flower's object format, checked against ids computed by flwr 1.42 itself for the same
/// records (in its venv, Benchmarks/setup-venv.sh --flower):
///
///     import numpy as np
///     from flwr.app import Array, ArrayRecord, MetricRecord, ConfigRecord, RecordDict
///     from flwr.app.message.arraychunk import ArrayChunk
///     ArrayChunk(memoryview(b"abc")).object_id
///     a0 = Array(np.array(1.5, dtype=np.float32)); a2 = Array(np.arange(6, dtype=np.float32).reshape(2, 3))
///     rec = ArrayRecord({"w": a2, "t": a0})
///     m = MetricRecord({"num-examples": 60, "train_loss": 0.25})
///     c = ConfigRecord({"lr": 0.1, "server-round": 2, "name": "x"})
///     RecordDict({"arrays": rec, "metrics": m, "config": c}).object_id
@Suite struct FlowerCodecTests {
    static func sample() throws -> FlowerRecordDict {
        let matrix = try NDArray(shape: [2, 3], storage: .float32([0, 1, 2, 3, 4, 5]))
        let scalar = try NDArray(shape: [], storage: .float32([1.5]))
        return FlowerRecordDict([
            ("arrays", .arrays([("w", FlowerArray(matrix)), ("t", FlowerArray(scalar))])),
            ("metrics", .metrics([("num-examples", .int(60)), ("train_loss", .double(0.25))])),
            ("config", .config([("lr", .double(0.1)), ("server-round", .int(2)), ("name", .string("x"))])),
        ])
    }

    /// Every object of a deflated tree, by id, as a SuperLink would serve them.
    static func objects(_ deflated: FlowerObjects.Deflated) -> [String: [UInt8]] {
        Dictionary(uniqueKeysWithValues: deflated.all.map { ($0.id, $0.content) })
    }

    @Test func objectIDsMatchFlowers() throws {
        #expect(FlowerObjects.deflate(FlowerArray(dtype: "", shape: [], stype: "", data: Array("abc".utf8))).all.first?.id
            == "8f373c1473d725a61442838233deff2aa2a89f72184e517b6a621a3b53abbbd6")
        let scalar = FlowerObjects.deflate(FlowerArray(try NDArray(shape: [], storage: .float32([1.5]))))
        #expect(scalar.id == "a35d5fe57a9959d706cbbae18973bdbb33337f847d7ed341e54e8a5a4b8c33c5")
        let content = try FlowerObjects.deflate(Self.sample())
        #expect(content.id == "126f5495aa73123995ad09b1e1cfe5b0813422a5ec4f0fa3c02a156704ca9f6a")
        // Children before parents, each object once: 2 chunks, 2 arrays, 3 records, the dict.
        #expect(content.all.count == 8)
        #expect(content.all.last?.id == content.id)
        #expect(content.all.allSatisfy { FlowerObjects.objectID($0.content) == $0.id })
    }

    @Test func recordsRoundTripThroughAMessage() throws {
        var metadata = Flwr_Proto_Metadata()
        metadata.runID = 7
        metadata.messageType = "train"
        metadata.messageID = "ignored: message ids are not part of the object"
        let message = try FlowerObjects.deflateMessage(metadata: metadata, content: Self.sample(), error: nil)
        #expect(message.tree.children.count == 1)
        let back = try #require(try FlowerObjects.inflateContent(messageID: message.id, objects: Self.objects(message)))
        #expect(back == (try Self.sample()))
    }

    @Test func identicalArraysShareOneObject() throws {
        let zeros = FlowerArray(try NDArray(shape: [4], storage: .float32([0, 0, 0, 0])))
        let record = FlowerRecordDict([("arrays", .arrays([("a.bias", zeros), ("b.bias", zeros)]))])
        let deflated = try FlowerObjects.deflate(record)
        let back = try FlowerObjects.inflateRecordDict(deflated.id, Self.objects(deflated))
        #expect(back == record)
        guard case .arrays(let arrays)? = back["arrays"] else { Issue.record("no arrays"); return }
        #expect(arrays.map(\.name) == ["a.bias", "b.bias"])
    }

    @Test func nonASCIINamesRoundTrip() throws {
        let record = FlowerRecordDict([("métriques \"π\"\n", .metrics([("ε", .double(1))]))])
        let deflated = try FlowerObjects.deflate(record)
        #expect(deflated.content.allSatisfy { $0 < 0x80 })
        #expect(try FlowerObjects.inflateRecordDict(deflated.id, Self.objects(deflated)) == record)
    }

    @Test func taskReadsTheMessageAPILayoutIncludingAScalar() throws {
        let task = try FlowerTask(messageType: "train", content: Self.sample(), runID: 1, groupID: "2")
        #expect(task.kind == .train)
        #expect(task.layout == .messageAPI(arrays: "arrays", config: "config"))
        #expect(task.weights.tensors.map(\.shape) == [[2, 3], []])
        #expect(task.weights.tensors[1].values == [1.5])
        #expect(task.round == 2)
        let result = FlowerTaskResult(weights: task.weights, exampleCount: 60, loss: 0.5)
        let reply = try result.content(for: task)
        guard case .metrics(let metrics)? = reply["metrics"], case .arrays(let arrays)? = reply["arrays"] else {
            Issue.record("reply lacks arrays or metrics"); return
        }
        #expect(metrics.map(\.name) == ["train_loss", "num-examples"])
        #expect(arrays.map(\.array.shape) == [[2, 3], []])
        #expect(try arrays[1].array.ndarray(name: "t") == NDArray(shape: [], storage: .float32([1.5])))
    }

    @Test func taskReadsTheLegacyLayout() throws {
        var legacyArray = FlowerArray(try NDArray(shape: [], storage: .float64([2.5])))
        legacyArray.dtype = ""
        legacyArray.shape = []
        let content = FlowerRecordDict([
            ("fitins.parameters", .arrays([("0", legacyArray)])),
            ("fitins.config", .config([("server_round", .int(3))])),
        ])
        let task = try FlowerTask(messageType: "train", content: content, runID: 1, groupID: "")
        #expect(task.layout == .legacy)
        #expect(task.round == 3)
        let reply = try FlowerTaskResult(weights: task.weights, exampleCount: 10, loss: 0.1).content(for: task)
        #expect(reply.items.map(\.name) == ["fitres.metrics", "fitres.num_examples", "fitres.parameters", "fitres.status"])
        guard case .arrays(let arrays)? = reply["fitres.parameters"] else { Issue.record("no parameters"); return }
        #expect(try arrays[0].array.ndarray(name: "0").dtype == .float64)
    }

    @Test func getParametersIsAnsweredWithTheLocalModelInTheLegacyLayout() throws {
        let content = FlowerRecordDict([("getparametersins.config", .config([]))])
        let task = try FlowerTask(messageType: "get_parameters", content: content, runID: 1, groupID: "0")
        #expect(task.kind == .getParameters)
        #expect(task.weights.tensors.isEmpty)
        let local = try ModelWeights(tensors: [.init(name: "dense.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
                                               .init(name: "dense.bias", shape: [], values: [7])])
        let reply = try FlowerTaskResult(weights: local, exampleCount: 5, loss: 0).content(for: task)
        #expect(reply.items.map(\.name) == ["getparametersres.parameters", "getparametersres.status"])
        guard case .arrays(let arrays)? = reply["getparametersres.parameters"] else { Issue.record("no parameters"); return }
        #expect(arrays.map(\.name) == ["0", "1"])
        let first = try arrays[0].array.ndarray(name: "0"), second = try arrays[1].array.ndarray(name: "1")
        #expect(first.shape == [2, 3] && second.shape == [])
        #expect(try first.toTensor().scalars == [1, 2, 3, 4, 5, 6] && second.toTensor().scalars == [7])
        guard case .config(let status)? = reply["getparametersres.status"] else { Issue.record("no status"); return }
        #expect(status.first?.name == "code" && status.first?.value.number == 0)
        // Without the model's parameters there is nothing to answer with.
        #expect(throws: FederatedError.self) { try FlowerTaskResult(weights: nil, exampleCount: 5, loss: 0).content(for: task) }
    }

    @Test func malformedObjectsAreOneLineErrors() throws {
        let good = try FlowerObjects.deflate(Self.sample())
        var objects = Self.objects(good)
        let cases: [[UInt8]] = [
            Array("RecordDict  5".utf8),                                   // no divider
            Array("RecordDict  9\0{}".utf8),                                // length mismatch
            Array("ArrayRecord  2\0{}".utf8),                               // wrong type
            Array("RecordDict xyz 2\0{}".utf8),                             // child id not a digest
            Array("RecordDict  11\0{\"a\": \"b\"".utf8),                    // bad JSON
            [0xff, 0xfe, 0x20, 0x20, 0x30, 0x00],                             // head not UTF-8
        ]
        for bytes in cases {
            objects[good.id] = bytes
            #expect {
                _ = try FlowerObjects.inflateRecordDict(good.id, objects)
            } throws: { error in
                guard let error = error as? FederatedError else { return false }
                return error.code == .malformed && !error.message.contains("\n")
            }
        }
        // A referenced object that never arrived.
        objects = Self.objects(good)
        objects.removeValue(forKey: good.all[0].id)
        #expect(throws: FederatedError.self) { _ = try FlowerObjects.inflateRecordDict(good.id, objects) }
        // An array whose chunk index points outside its children.
        let badArray = FlowerObjects.object(type: "Array", children: [],
                                            body: Array("{\"dtype\": \"float32\", \"shape\": [], \"stype\": \"numpy.ndarray\", \"arraychunk_ids\": [0]}".utf8))
        #expect(throws: FederatedError.self) { _ = try FlowerObjects.inflateArray("x", name: "t", ["x": badArray]) }
        // Bytes that are no .npy file.
        #expect(throws: FederatedError.self) {
            _ = try FlowerArray(dtype: "float32", shape: [], stype: FlowerArray.numpyStype, data: [1, 2, 3]).ndarray(name: "t")
        }
    }

    @Test func signedHeadersCarryAPythonStyleTimestamp() throws {
        let identity = FlowerNodeIdentity()
        let headers = try identity.headers()
        #expect(headers.map(\.0) == ["flwr-public-key", "flwr-timestamp", "flwr-signature"])
        let stamp = headers[1].1
        #expect(stamp.count == "2026-01-05T15:42:01.123456+00:00".count && stamp.hasSuffix("+00:00"))
        #expect(throws: FederatedError.self) { _ = try FlowerNodeIdentity(privateKeyPEM: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
    }
}

@Suite struct FlowerFleetClientTests {
    @Test func addressesAreHostAndPort() throws {
        let identity = FlowerNodeIdentity()
        #expect(try FlowerFleetClient(superlink: "127.0.0.1:9092", identity: identity, timeoutSeconds: 5).baseURL == "http://127.0.0.1:9092")
        #expect(try FlowerFleetClient(superlink: "https://link.example:443/", identity: identity, timeoutSeconds: 5).baseURL == "https://link.example:443")
        for bad in ["127.0.0.1", "http://host:9092/v1", "", "ftp://host:1", "host:9092?x=1"] {
            #expect(throws: FederatedError.self) { _ = try FlowerFleetClient(superlink: bad, identity: identity, timeoutSeconds: 5) }
        }
        #expect(throws: FederatedError.self) { _ = try FlowerFleetClient(superlink: "127.0.0.1:9092", identity: identity, timeoutSeconds: 0) }
    }

    @Test func errorBodiesBecomeOneLine() {
        #expect(FlowerFleetClient.errorDetail(Array("{\"code\": 2007, \"message\": \"Run is\\nfinished.\"}".utf8)) == ": Run is finished.")
        #expect(FlowerFleetClient.errorDetail(Array("<!DOCTYPE html>\n<html>".utf8)) == ": an HTML page")
        #expect(FlowerFleetClient.errorDetail([]) == "")
    }
}
