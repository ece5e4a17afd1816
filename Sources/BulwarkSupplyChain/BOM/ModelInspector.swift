internal import Foundation
import BulwarkArchive
#if canImport(Glibc)
internal import Glibc
// `struct stat` may resolve through CoreFoundation once Foundation is imported publicly in the module.
#if canImport(CoreFoundation)
internal import CoreFoundation
#endif
#elseif canImport(Darwin)
internal import Darwin
#endif

/// What Bulwark could read from one model file's structure.
public struct WeightFileInfo: Sendable, Equatable {
    /// Path relative to the model root (`.` for a single-file model).
    public let path: String
    /// `onnx` or `safetensors`.
    public let format: String
    /// Parameters (sum of tensor element counts), when every tensor's size is known.
    public let parameterCount: Int64?
    /// A one-line summary of the structure (producer, opset, operators, dtypes).
    public let architecture: String?
    /// Why the structure could not be read, or what is wrong with it.
    public let problems: [String]
}

/// Model facts read from the files themselves: formats, parameter counts, architecture.
public struct ModelInspection: Sendable, Equatable {
    /// The recognised weight files.
    public let weightFiles: [WeightFileInfo]
    /// Architecture from a Hugging Face `config.json` at the model root (`architectures[0]`).
    public let configArchitecture: String?
    /// Architecture family from `config.json` (`model_type`).
    public let configFamily: String?

    /// Total parameters over all weight files, when all of them are known.
    public var parameterCount: Int64? {
        guard !weightFiles.isEmpty else { return nil }
        var total: Int64 = 0
        for file in weightFiles {
            guard let count = file.parameterCount else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(count)
            if overflow { return nil }
            total = sum
        }
        return total
    }

    /// The distinct formats, sorted.
    public var formats: [String] { Array(Set(weightFiles.map(\.format))).sorted() }
}

/// Reads ONNX and safetensors structure with the scanner's bounded readers (never loading weights
/// into a runtime), plus `config.json` of Hugging Face layouts.
enum ModelInspector {
    /// ONNX files above this size are not parsed (their graph is read whole).
    static let maxOnnxBytes: Int64 = 2 << 30

    static func inspect(root: String, manifest: ModelManifest) -> ModelInspection {
        let isDirectory = manifest.items.first?.key.path != "."
        var weightFiles: [WeightFileInfo] = []
        for path in Set(manifest.items.map(\.key.path)).sorted(by: ModelPath.precedes) {
            let absolute = isDirectory ? root + "/" + path : root
            let lower = (isDirectory ? path : root).lowercased()
            if lower.hasSuffix(".onnx") {
                weightFiles.append(inspectOnnx(absolute, relative: path))
            } else if lower.hasSuffix(".safetensors") {
                weightFiles.append(inspectSafetensors(absolute, relative: path))
            }
        }
        var architecture: String?
        var family: String?
        if isDirectory, let bytes = try? readSmallFile(root + "/config.json", limit: 4 << 20, what: "config"),
           let config = try? JSONParser.parse(bytes, maxDepth: 32) {
            architecture = config["architectures"]?.arrayValue?.first?.stringValue
            family = config["model_type"]?.stringValue
        }
        return ModelInspection(weightFiles: weightFiles, configArchitecture: architecture, configFamily: family)
    }

    private static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    static func inspectOnnx(_ path: String, relative: String) -> WeightFileInfo {
        func failed(_ why: String) -> WeightFileInfo {
            WeightFileInfo(path: relative, format: "onnx", parameterCount: nil, architecture: nil, problems: [why])
        }
        guard let size = fileSize(path) else { return failed("cannot read the file") }
        guard size <= maxOnnxBytes else { return failed("larger than \(maxOnnxBytes) bytes; structure not read") }
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limit: Int(maxOnnxBytes), what: "ONNX model")
        } catch {
            return failed(error.message)
        }
        let info: OnnxModelInfo
        do {
            info = try OnnxModelInfo(bytes: bytes)
        } catch {
            return failed(error.message)
        }
        let opsets = info.opsets.map { "\($0.domain.isEmpty ? "ai.onnx" : $0.domain) \($0.version)" }.joined(separator: ", ")
        let operators = info.operators.map { $0.domain.isEmpty ? $0.opType : "\($0.domain).\($0.opType)" }.sorted()
        let shown = operators.prefix(24).joined(separator: ", ") + (operators.count > 24 ? ", …" : "")
        var summary = "ONNX IR v\(info.irVersion), opset \(opsets.isEmpty ? "?" : opsets), \(info.nodeCount) nodes (\(shown))"
        if !info.producerName.isEmpty { summary += ", produced by \(info.producerName) \(info.producerVersion)".trimmingCharacters(in: .whitespaces) }
        let external = info.initializers.filter { $0.externalLocation != nil }.count
        let problems = external > 0 ? ["\(external) initializers stored in external data files"] : []
        return WeightFileInfo(path: relative, format: "onnx", parameterCount: info.parameterCount, architecture: summary, problems: problems)
    }

    static func inspectSafetensors(_ path: String, relative: String) -> WeightFileInfo {
        func failed(_ why: String) -> WeightFileInfo {
            WeightFileInfo(path: relative, format: "safetensors", parameterCount: nil, architecture: nil, problems: [why])
        }
        if let kind = FileChecks.nonRegularKind(path) { return failed("not a regular file (\(kind))") }
        guard let size = fileSize(path), let handle = FileHandle(forReadingAtPath: path) else { return failed("cannot read the file") }
        defer { try? handle.close() }
        guard let first8 = try? handle.read(upToCount: 8) else { return failed("cannot read the file") }
        let header: SafetensorsHeader
        do {
            let length = try SafetensorsHeader.headerLength(first8: Array(first8), fileSize: Int(size))
            guard let headerBytes = try? handle.read(upToCount: length), headerBytes.count == length else { return failed("header shorter than declared") }
            header = try SafetensorsHeader(header: Array(headerBytes), fileSize: Int(size))
        } catch {
            return failed(error.message)
        }
        var dtypes: [String: Int] = [:]
        for tensor in header.tensors { dtypes[tensor.dtype, default: 0] += 1 }
        let dtypeSummary = dtypes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let summary = "safetensors: \(header.tensors.count) tensors (\(dtypeSummary.isEmpty ? "none" : dtypeSummary))"
        return WeightFileInfo(path: relative, format: "safetensors", parameterCount: header.parameterCount.map(Int64.init),
                              architecture: summary, problems: header.problems.map(\.message))
    }
}
