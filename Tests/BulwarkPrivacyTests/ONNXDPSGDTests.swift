import BulwarkModels
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkDP
@testable import BulwarkPrivacy

/// DP-SGD on imported ONNX graphs: per-example norms and clipped sums against single-example
/// backward passes, and every refusal.
@Suite struct ONNXDPSGDTests {
    // MARK: building graphs

    /// A minimal protobuf writer for hand-made ONNX graphs.
    struct Proto {
        var bytes: [UInt8] = []
        mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            bytes.append(UInt8(v))
        }
        mutating func int(_ field: Int, _ v: Int) { varint(UInt64(field << 3)); varint(UInt64(bitPattern: Int64(v))) }
        mutating func float(_ field: Int, _ v: Float) {
            varint(UInt64(field << 3 | 5))
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
        }
        mutating func data(_ field: Int, _ b: [UInt8]) { varint(UInt64(field << 3 | 2)); varint(UInt64(b.count)); bytes += b }
        mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
        mutating func message(_ field: Int, _ build: (inout Proto) -> Void) {
            var inner = Proto()
            build(&inner)
            data(field, inner.bytes)
        }
    }

    enum Attribute { case int(Int), float(Float), ints([Int]) }

    struct Node {
        var op: String, inputs: [String], output: String, attributes: [String: Attribute] = [:]
    }

    /// A model with float input `x` (batch × `inputShape`), output `y` (batch × `classes`),
    /// `nodes` in order and float initializers drawn from a seeded normal distribution.
    static func graph(inputShape: [Int], classes: Int, nodes: [Node], initializers: [(String, [Int])], seed: UInt64 = 1) -> Data {
        var rng = SeededGenerator(seed: seed)
        var m = Proto()
        m.int(1, 8)
        m.message(8) { $0.int(2, 17) }
        m.message(7) { g in
            for (k, node) in nodes.enumerated() {
                g.message(1) { n in
                    for i in node.inputs { n.string(1, i) }
                    n.string(2, node.output)
                    n.string(3, "n\(k)_\(node.op)")
                    n.string(4, node.op)
                    for (name, a) in node.attributes.sorted(by: { $0.key < $1.key }) {
                        n.message(5) { p in
                            p.string(1, name)
                            switch a {
                            case .int(let v): p.int(3, v); p.int(20, 2)
                            case .float(let v): p.float(2, v); p.int(20, 1)
                            case .ints(let v): for x in v { p.int(8, x) }; p.int(20, 7)
                            }
                        }
                    }
                }
            }
            for (name, shape) in initializers {
                let t = Tensor.normal(shape, using: &rng) * 0.5
                g.message(5) { p in
                    for d in shape { p.int(1, d) }
                    p.int(2, 1)
                    p.string(8, name)
                    var raw: [UInt8] = []
                    for f in t.scalars { withUnsafeBytes(of: f.bitPattern.littleEndian) { raw += $0 } }
                    p.data(9, raw)
                }
            }
            for (field, name, dims) in [(11, "x", inputShape), (12, "y", [classes])] {
                g.message(field) { v in
                    v.string(1, name)
                    v.message(2) { t in t.message(1) { tt in
                        tt.int(1, 1)
                        tt.message(2) { s in
                            s.message(1) { $0.string(2, "batch") }
                            for d in dims { s.message(1) { $0.int(1, d) } }
                        }
                    } }
                }
            }
        }
        return Data(m.bytes)
    }

    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static func fixture(_ path: String) -> URL { tests.appendingPathComponent("BulwarkModelsTests/Fixtures/" + path) }

    /// Zoo MLP exported by Bulwark (Gemm transB = 1 with bias [out]).
    static func exportedMLP() throws -> ONNXModel {
        var rng = SeededGenerator(seed: 3)
        let zoo = try Sequential(inputShape: [6], layers: [Dense(6, 5, rng: &rng), ReLU(), Dense(5, 3, rng: &rng)])
        return try ONNXModel(serialized: ONNXExporter.serialize(zoo))
    }

    /// Zoo CNN exported by Bulwark: conv 2→3 pad 1 (direct norms), conv 3→8 stride 2 (ghost norms), Gemm.
    static func exportedCNN() throws -> (ONNXModel, Sequential) {
        var rng = SeededGenerator(seed: 4)
        let zoo = try Sequential(inputShape: [2, 6, 6], layers: [
            Conv2D(2, 3, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(),
            Conv2D(3, 8, kernel: (3, 3), stride: (2, 2), rng: &rng), Tanh(), Flatten(), Dense(32, 4, rng: &rng),
        ])
        return (try ONNXModel(serialized: ONNXExporter.serialize(zoo)), zoo)
    }

    /// MatMul + Add (bias [5] and [1, 3]).
    static func matmulAdd() throws -> ONNXModel {
        try ONNXModel(serialized: graph(inputShape: [6], classes: 3, nodes: [
            Node(op: "MatMul", inputs: ["x", "w1"], output: "h1"), Node(op: "Add", inputs: ["h1", "b1"], output: "h2"),
            Node(op: "Relu", inputs: ["h2"], output: "h3"), Node(op: "MatMul", inputs: ["h3", "w2"], output: "h4"),
            Node(op: "Add", inputs: ["b2", "h4"], output: "y"),
        ], initializers: [("w1", [6, 5]), ("b1", [5]), ("w2", [5, 3]), ("b2", [1, 3])]))
    }

    /// Gemm with transB = 0, α, β and C [1, 4]; then Gemm transB = 1 with a scalar-broadcast C [1].
    static func gemmAlphaBeta() throws -> ONNXModel {
        try ONNXModel(serialized: graph(inputShape: [6], classes: 3, nodes: [
            Node(op: "Gemm", inputs: ["x", "w1", "c1"], output: "h1", attributes: ["alpha": .float(0.7), "beta": .float(1.3)]),
            Node(op: "Tanh", inputs: ["h1"], output: "h2"),
            Node(op: "Gemm", inputs: ["h2", "w2", "c2"], output: "y", attributes: ["transB": .int(1), "beta": .float(0.5)]),
        ], initializers: [("w1", [6, 4]), ("c1", [1, 4]), ("w2", [3, 4]), ("c2", [1])]))
    }

    /// Conv without bias (pads, stride 2, dilation 1), Add of a [1, 3, 1, 1] bias, then a Gemm.
    static func convAdd() throws -> ONNXModel {
        try ONNXModel(serialized: graph(inputShape: [2, 5, 5], classes: 4, nodes: [
            Node(op: "Conv", inputs: ["x", "k"], output: "c", attributes: ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])]),
            Node(op: "Add", inputs: ["c", "b"], output: "cb"), Node(op: "Relu", inputs: ["cb"], output: "r"),
            Node(op: "Flatten", inputs: ["r"], output: "f"),
            Node(op: "Gemm", inputs: ["f", "w", "bw"], output: "y", attributes: ["transB": .int(1)]),
        ], initializers: [("k", [3, 2, 3, 3]), ("b", [1, 3, 1, 1]), ("w", [4, 27]), ("bw", [4])]))
    }

    static func model(_ name: String) throws -> ONNXModel {
        switch name {
        case "mlp": try exportedMLP()
        case "cnn": try exportedCNN().0
        case "matmul+add": try matmulAdd()
        case "gemm α β": try gemmAlphaBeta()
        default: try convAdd()
        }
    }

    // MARK: references

    static func batch(_ model: ONNXModel, n: Int, seed: UInt64) -> (Tensor, [Int]) {
        var rng = SeededGenerator(seed: seed)
        let x = Tensor.normal([n] + model.inputShape, using: &rng)
        return (x, (0..<n).map { _ in Int(rng.next() % UInt64(model.classCount)) })
    }

    static let models = ["mlp", "cnn", "matmul+add", "gemm α β", "conv+add"]

    // MARK: norms and clipped sums

    @Test(arguments: models)
    func perExampleNormsMatchSingleExampleBackward(_ name: String) throws {
        let model = try Self.model(name)
        let (x, y) = Self.batch(model, n: 7, seed: 11)
        let per = try PerExampleGradients(model: model, inputs: x, labels: y)
        #expect(per.batchSize == 7 && per.losses.count == 7)
        for i in 0..<7 {
            let expected = norm(singleExampleGradient(model, x.slice(i), y[i]))
            #expect(expected > 0)
            #expect(abs(per.norms[i] - expected) <= 1e-4 * max(1, expected), "\(name) example \(i): \(per.norms[i]) vs \(expected)")
        }
    }

    @Test(arguments: models)
    func clippedSumEqualsSumOfClippedSingleExampleGradients(_ name: String) throws {
        let model = try Self.model(name)
        let (x, y) = Self.batch(model, n: 6, seed: 12)
        let per = try PerExampleGradients(model: model, inputs: x, labels: y)
        let c: Float = per.norms.sorted()[3]  // some examples clipped, some not
        let sum = try per.clipped(maxNorm: c)
        #expect(sum.clippedCount == per.norms.filter { $0 > c }.count && sum.clippedCount > 0)
        let expected = clippedSumReference(model, x, y, maxNorm: c)
        #expect(sum.gradients.count == model.parameters.count)
        for k in expected.indices {
            #expect(sum.gradients[k].shape == expected[k].shape, "\(name) parameter \(model.parameterNames[k])")
            let diff = zip(sum.gradients[k].scalars, expected[k].scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(diff <= 1e-4, "\(name) parameter \(model.parameterNames[k]): max difference \(diff)")
        }
    }

    /// The exported zoo CNN gives the zoo path's norms: the same factors by another route.
    @Test func exportedCNNNormsEqualTheZooModels() throws {
        let (onnx, zoo) = try Self.exportedCNN()
        let (x, y) = Self.batch(onnx, n: 5, seed: 13)
        let a = try PerExampleGradients(model: onnx, inputs: x, labels: y).norms
        let b = try PerExampleGradients(model: zoo, inputs: x, labels: y).norms
        for (u, v) in zip(a, b) { #expect(abs(u - v) <= 1e-5 * max(1, v)) }
    }

    /// The PyTorch-exported CNN (Conv + Gemm, opset 17) — the model of the CLI example.
    @Test func pytorchCNNNormsMatchSingleExampleBackward() throws {
        let model = try ONNXModel(contentsOf: Self.fixture("onnx-train/cnn_train.onnx"))
        let (x, y) = Self.batch(model, n: 4, seed: 14)
        let per = try PerExampleGradients(model: model, inputs: x, labels: y)
        for i in 0..<4 {
            let expected = norm(singleExampleGradient(model, x.slice(i), y[i]))
            #expect(abs(per.norms[i] - expected) <= 1e-4 * max(1, expected))
        }
    }

    @Test func dpsgdFineTunesAnONNXModelAndReportsTheAccountantsEpsilon() throws {
        var model = try Self.matmulAdd()
        let (x, _) = Self.batch(model, n: 60, seed: 15)
        let y = (0..<60).map { x.scalars[$0 * 6] > 0 ? 1 : 0 }  // learnable from the first feature
        let before = model.parameters
        let lossBefore = model.forwardLoss(x, y)
        var sgd = SGD(learningRate: 0.2)
        let config = DPSGDConfiguration(noiseMultiplier: 0.5, maxGradientNorm: 1, samplingRate: 0.2, epochs: 4, delta: 1e-5,
                                        randomness: .seededInsecure(seed: 2))
        var reported: [Double] = []
        let result = try DPSGD.train(&model, inputs: x, labels: y, optimizer: &sgd, configuration: config,
                                     epochEnded: { reported.append($0.epsilon) })
        #expect(result.steps == 4 * 5 && reported.count == 4)
        #expect(result.epsilon == (try config.epsilon(afterSteps: 20)) && reported.last == result.epsilon)
        #expect(zip(before, model.parameters).allSatisfy { $0.scalars != $1.scalars }, "every parameter gets an update")
        #expect(model.forwardLoss(x, y) < lossBefore)
    }

    // MARK: refusals

    static func refusal(_ model: ONNXModel) -> String? {
        do { try model.checkPerExampleGradients(); return nil } catch { return error.message }
    }

    @Test func batchNormalisationIsRefusedNamingTheNode() throws {
        let model = try ONNXModel(contentsOf: Self.fixture("onnx-train/cnn_bn_train.onnx"))
        let message = try #require(Self.refusal(model))
        #expect(message.contains("BatchNormalization") && message.contains("mix examples"), "\(message)")
        // … and before any step: DPSGD.train leaves the parameters as they were
        var trained = model
        let (x, y) = Self.batch(model, n: 4, seed: 1)
        var sgd = SGD(learningRate: 0.1)
        let config = DPSGDConfiguration(noiseMultiplier: 1, maxGradientNorm: 1, samplingRate: 0.5, epochs: 1, delta: 1e-5,
                                        randomness: .seededInsecure(seed: 3))
        #expect(throws: PrivacyError.self) { try DPSGD.train(&trained, inputs: x, labels: y, optimizer: &sgd, configuration: config) }
        #expect(trained.parameters.map(\.scalars) == model.parameters.map(\.scalars))
    }

    @Test func groupedConvolutionIsRefused() throws {
        let model = try ONNXModel(contentsOf: Self.fixture("onnx/cnn.onnx"))  // PyTorch Conv2d(4, 8, 3, groups=2)
        let message = try #require(Self.refusal(model))
        #expect(message.contains("(Conv)") && message.contains("group = 2"), "\(message)")
    }

    @Test func weightSharingIsRefused() throws {
        let model = try ONNXModel(serialized: Self.graph(inputShape: [4], classes: 4, nodes: [
            Node(op: "MatMul", inputs: ["x", "w"], output: "h"), Node(op: "Relu", inputs: ["h"], output: "r"),
            Node(op: "MatMul", inputs: ["r", "w"], output: "y"),
        ], initializers: [("w", [4, 4])]))
        let message = try #require(Self.refusal(model))
        #expect(message.contains("'n2_MatMul'") && message.contains("also used by node 'n0_MatMul'") && message.contains("weight sharing"),
                "\(message)")
    }

    @Test func otherLayoutsAreRefused() throws {
        var cases: [(String, Data, String)] = [
            ("MatMul with a 3-D input", Self.graph(inputShape: [2, 3], classes: 8, nodes: [
                Node(op: "MatMul", inputs: ["x", "w"], output: "h"), Node(op: "Flatten", inputs: ["h"], output: "y"),
            ], initializers: [("w", [3, 4])]), "2-D (batch × features) data input"),
            ("Gemm transA = 1", Self.graph(inputShape: [4], classes: 3, nodes: [
                Node(op: "Transpose", inputs: ["x"], output: "t"),
                Node(op: "Gemm", inputs: ["t", "w"], output: "y", attributes: ["transA": .int(1)]),
            ], initializers: [("w", [4, 3])]), "transA = 1"),
            ("MatMul parameter × data", Self.graph(inputShape: [4], classes: 3, nodes: [
                Node(op: "Transpose", inputs: ["x"], output: "t"), Node(op: "MatMul", inputs: ["w", "t"], output: "p"),
                Node(op: "Transpose", inputs: ["p"], output: "y"),
            ], initializers: [("w", [3, 4])]), "first operand"),
            ("Add of two parameters", Self.graph(inputShape: [3], classes: 3, nodes: [
                Node(op: "Add", inputs: ["b1", "b2"], output: "b"), Node(op: "Add", inputs: ["x", "b"], output: "y"),
            ], initializers: [("b1", [3]), ("b2", [3])]), "adds two parameters"),
            ("Add that broadcasts the data", Self.graph(inputShape: [1], classes: 4, nodes: [
                Node(op: "Add", inputs: ["x", "b"], output: "y"),
            ], initializers: [("b", [4])]), "broadcasts the data input"),
        ]
        cases.append(("centring by the batch mean", Self.graph(inputShape: [3], classes: 2, nodes: [
            Node(op: "ReduceMean", inputs: ["x"], output: "m", attributes: ["axes": .ints([0])]),
            Node(op: "Sub", inputs: ["x", "m"], output: "c"), Node(op: "MatMul", inputs: ["c", "w"], output: "y"),
        ], initializers: [("w", [3, 2])]), "the graph mixes examples"))
        for (what, bytes, needle) in cases {
            let model = try ONNXModel(serialized: bytes)
            let message = try #require(Self.refusal(model), "\(what) was accepted")
            #expect(message.contains(needle), "\(what): \(message)")
            #expect(message.contains("node '") || needle == "the graph mixes examples", "\(what) does not name the node: \(message)")
            #expect(!message.contains("\n"))
        }
    }
}

extension ONNXModel {
    /// Mean cross-entropy of the model on a batch (inference pass).
    fileprivate func forwardLoss(_ x: Tensor, _ y: [Int]) -> Float {
        let tape = Tape()
        return softmaxCrossEntropy(logits: logits(tape.constant(x)), labels: y).value.scalars[0]
    }
}
