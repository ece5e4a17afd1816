package import Foundation
import SwiftProtobuf

/// How two ONNX files differ when initializer values are set aside: which initializers'
/// data changed, and whether everything else (graph, nodes, opset, inputs, outputs, metadata,
/// unknown fields, initializer names and types) is identical. For tests and tools that check
/// that a re-export changed only weights.
package struct ONNXFileComparison: Sendable, Equatable {
    /// Names of the initializers whose data (`raw_data`, `float_data`, external data) differ.
    package var changedInitializers: Set<String>
    /// Whether the two files are equal once initializer data is cleared.
    package var identicalApartFromInitializerData: Bool
    /// Whether the second file holds unknown fields at the top level, as many as the first.
    package var keepsUnknownFields: Bool

    /// Decodes both files and compares them.
    package init(_ first: Data, _ second: Data) throws(ONNXError) {
        func decode(_ d: Data) throws(ONNXError) -> Onnx_ModelProto {
            do { return try Onnx_ModelProto(serializedBytes: d) } catch {
                throw ONNXError(.malformed, "not a valid ONNX protobuf (\(error))", underlying: error)
            }
        }
        var a = try decode(first), b = try decode(second)
        keepsUnknownFields = a.unknownFields == b.unknownFields
        changedInitializers = []
        let otherByName = Dictionary(b.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        for p in a.graph.initializer {
            guard let q = otherByName[p.name] else { continue }
            if p.rawData != q.rawData || p.floatData != q.floatData || p.externalData != q.externalData { changedInitializers.insert(p.name) }
        }
        for i in a.graph.initializer.indices { a.graph.initializer[i].rawData = Data(); a.graph.initializer[i].floatData = [] }
        for i in b.graph.initializer.indices { b.graph.initializer[i].rawData = Data(); b.graph.initializer[i].floatData = [] }
        identicalApartFromInitializerData = a == b
    }
}
